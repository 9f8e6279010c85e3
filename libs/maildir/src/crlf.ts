/**
 * Line-ending handling. We store CRLF; files written by others may use bare LF. Content is always
 * served with CRLF (mailstore contract), so reading a bare-LF file normalises on the fly and
 * sizes/offsets count the CRLF form.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Incremental bare-LF → CRLF converter (state carries a trailing CR across chunks). */
export class CrlfNormalizer {
  private lastCR = false;

  push(chunk: Buffer): Buffer {
    let extra = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && !(i === 0 ? this.lastCR : chunk[i - 1] === 0x0d)) extra++;
    }
    let out = chunk;
    if (extra > 0) {
      out = Buffer.allocUnsafe(chunk.length + extra);
      let j = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === 0x0a && !(i === 0 ? this.lastCR : chunk[i - 1] === 0x0d)) out[j++] = 0x0d;
        out[j++] = c;
      }
    }
    if (chunk.length > 0) this.lastCR = chunk[chunk.length - 1] === 0x0d;
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
