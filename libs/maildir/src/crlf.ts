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
    if (chunk.length === 0) return chunk;
    // The CR of a leading LF ended the previous chunk: that LF is no bare LF.
    const skip = this.lastCR && chunk[0] === LF ? 1 : 0;
    this.lastCR = chunk[chunk.length - 1] === CR;
    // latin1 maps every octet to one char and back; the regex engine does the scanning natively,
    // fast even while this code is still cold (a first session runs it unoptimised).
    const text = chunk.toString('latin1', skip);
    if (!HAS_BARE_LF.test(text)) return chunk;
    const fixed = text.replace(ANY_NEWLINE, '\r\n');
    const out = Buffer.allocUnsafe(skip + fixed.length);
    if (skip) out[0] = LF;
    out.write(fixed, skip, 'latin1');
    return out;
  }
}

const HAS_BARE_LF = /(?:^|[^\r])\n/;
const ANY_NEWLINE = /\r?\n/g;

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
