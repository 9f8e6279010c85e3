/**
 * Line-ending handling. We store CRLF; files written by others may use bare LF. Content is always
 * served with CRLF (mailstore contract), so reading a bare-LF file normalises on the fly and
 * sizes/offsets count the CRLF form.
 */
import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

/** Incremental bare-LF → CRLF converter (state carries a trailing CR across chunks). */
export class CrlfNormalizer {
  private lastCR = false;

  push(chunk: Buffer): Buffer {
    // Lines are found with indexOf and copied with copy() (native): no per-byte JS loop, which
    // matters most while the code is still cold (a first session runs it unoptimised).
    const bare: number[] = [];
    for (let nl = chunk.indexOf(LF); nl >= 0; nl = chunk.indexOf(LF, nl + 1)) {
      if (nl === 0 ? !this.lastCR : chunk[nl - 1] !== CR) bare.push(nl);
    }
    if (chunk.length > 0) this.lastCR = chunk[chunk.length - 1] === CR;
    if (bare.length === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + bare.length);
    let from = 0;
    let j = 0;
    for (const nl of bare) {
      j += chunk.copy(out, j, from, nl);
      out[j++] = CR;
      from = nl;
    }
    chunk.copy(out, j, from);
    return out;
  }
}

/** Transform: normalise to CRLF and pass through only virtual bytes [start, end). */
export class CrlfRangeStream extends Transform {
  private readonly norm = new CrlfNormalizer();
  private pos = 0;

  constructor(private readonly rangeStart: number, private readonly rangeEnd: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const data = this.norm.push(chunk);
    const from = this.pos;
    const to = from + data.length;
    this.pos = to;
    if (to <= this.rangeStart || from >= this.rangeEnd) {
      cb();
      return;
    }
    cb(null, data.subarray(Math.max(0, this.rangeStart - from), Math.min(data.length, this.rangeEnd - from)));
    if (to >= this.rangeEnd) this.emit('range-done');
  }
}
