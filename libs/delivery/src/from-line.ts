/**
 * Drops a leading mbox "From " separator line, as dovecot-lda does: MTAs that pipe to a local
 * delivery agent (Postfix "pipe" with the F flag, procmail, fetchmail mda) often prepend one, and
 * it is not part of the RFC 5322 message.
 */
import { Transform, type TransformCallback } from 'node:stream';

export function stripMboxFromLine(): Transform {
  let head: Buffer | null = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (head === null) return cb(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 5 && !head.includes(0x0a)) return cb();
      const buf = head;
      head = null;
      if (buf.subarray(0, 5).toString('latin1') !== 'From ') return cb(null, buf);
      // Keep buffering until the end of the "From " line (bounded: a From_ line is short).
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > 8192) return cb(null, buf); // not a From_ line after all
        head = buf;
        return cb();
      }
      cb(null, buf.subarray(nl + 1));
    },
    flush(cb: TransformCallback) {
      if (head && head.length > 0 && head.subarray(0, 5).toString('latin1') !== 'From ') this.push(head);
      cb();
    },
  });
}
