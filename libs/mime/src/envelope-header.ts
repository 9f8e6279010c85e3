/**
 * ENVELOPE (RFC 3501 §7.4.2) from the top-level header alone: FETCH ENVELOPE needs nothing below
 * the blank line that ends the header (RFC 5322 §2.1), so the storage reads the first block of a
 * message instead of parsing the whole file (Dovecot reads only the header for it, too).
 *
 * The result is exactly StructureParser's envelope for the whole message (the property test in
 * envelope-header.test.ts checks it under every chunking): a header up to HEADER_FAST_MAX bytes
 * cannot reach the parser's header limit (LIMITS.mimeMaxHeaderBytes, counted with bare LF as
 * CRLF), so its fields are read directly; a longer header, or one that runs to the end of the
 * message without a blank line, goes through StructureParser itself, limit and all.
 */
import { LIMITS } from '../../core/src/limits.js';
import type { Address, Envelope } from './types.js';
import { headerBytesToString, unfold } from './headers.js';
import { parseAddressList } from './envelope.js';
import { parseAddressListFast } from './address-fast.js';
import { StructureParser } from './structure.js';

/** The header fields ENVELOPE is made of (RFC 3501 §7.4.2), lower-case; the index is the field's slot. */
const FIELDS = ['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id'] as const;
const F_DATE = 0, F_SUBJECT = 1, F_FROM = 2, F_SENDER = 3, F_REPLY_TO = 4, F_TO = 5, F_CC = 6, F_BCC = 7, F_IN_REPLY_TO = 8, F_MESSAGE_ID = 9;
const FIELD_BYTES = FIELDS.map((f) => Buffer.from(f, 'latin1'));
/** Raw header bytes that cannot exceed the parser's header limit even with every LF bare (doubled). */
const HEADER_FAST_MAX = Math.floor(LIMITS.mimeMaxHeaderBytes / 2);

/**
 * Slot of the field named by buf[a, b) (case-insensitive), or -1. Compares bytes, so the ~15 other
 * fields of a header (Received, DKIM-Signature, ...) cost no string. A name with 8-bit bytes is no
 * envelope field: no character outside ASCII lower-cases to one of these names' letters.
 */
function fieldSlot(buf: Buffer, a: number, b: number): number {
  let k: number;
  switch (b - a) {
    case 2: k = (buf[a]! | 0x20) === 0x74 ? F_TO : F_CC; break;
    case 3: k = F_BCC; break;
    case 4: k = (buf[a]! | 0x20) === 0x64 ? F_DATE : F_FROM; break;
    case 6: k = F_SENDER; break;
    case 7: k = F_SUBJECT; break;
    case 8: k = F_REPLY_TO; break;
    case 10: k = F_MESSAGE_ID; break;
    case 11: k = F_IN_REPLY_TO; break;
    default: return -1;
  }
  const want = FIELD_BYTES[k]!;
  for (let i = 0; i < want.length; i++) {
    const c = buf[a + i]!;
    const t = want[i]!;
    // '-' exactly; letters either case (c | 0x20 would also turn CR into '-').
    if (t === 0x2d ? c !== 0x2d : (c | 0x20) !== t) return -1;
  }
  return k;
}

/**
 * The first value of each envelope field in a header block at the start of `buf`, read the way
 * splitHeaderFields + fieldValue read them (same lines, same folding, same garbage rules); null
 * when `buf` holds no complete header (no blank line) or it is longer than HEADER_FAST_MAX.
 */
function envelopeValues(buf: Buffer): Array<string | undefined> | null {
  const at: number[] = [];       // per slot: valueStart, end (of the first occurrence)
  let cur = -1;                  // slot of the field whose continuation lines we are on
  let pos = 0;
  const n = Math.min(buf.length, HEADER_FAST_MAX);
  for (;;) {
    if (pos >= n) return null;
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0 || lf >= n) return null;
    const lineEnd = lf + 1;
    const contentEnd = lf > pos && buf[lf - 1] === 0x0d ? lf - 1 : lf;
    if (contentEnd === pos) break; // the blank line
    const c0 = buf[pos];
    if (c0 === 0x20 || c0 === 0x09) {
      if (cur >= 0) at[cur * 2 + 1] = lineEnd;
    } else {
      cur = -1;
      const colon = buf.indexOf(0x3a, pos);
      if (colon >= 0 && colon < contentEnd) {
        let nameEnd = colon;
        while (nameEnd > pos && (buf[nameEnd - 1] === 0x20 || buf[nameEnd - 1] === 0x09)) nameEnd--;
        const k = nameEnd > pos ? fieldSlot(buf, pos, nameEnd) : -1;
        if (k >= 0 && at[k * 2] === undefined) {
          at[k * 2] = colon + 1;
          at[k * 2 + 1] = lineEnd;
          cur = k;
        }
      }
    }
    pos = lineEnd;
  }
  const out: Array<string | undefined> = new Array(FIELDS.length);
  for (let k = 0; k < FIELDS.length; k++) {
    const v = at[k * 2];
    if (v !== undefined) out[k] = unfold(headerBytesToString(buf.subarray(v, at[k * 2 + 1])));
  }
  return out;
}

/** envelopeFromFields over the values, with the fast path for plain address lists (address-fast.ts). */
function valuesEnvelope(v: Array<string | undefined>): Envelope {
  const addrs = (k: number): Address[] | null => {
    const s = v[k];
    if (s === undefined) return null;
    return parseAddressListFast(s) ?? parseAddressList(s);
  };
  const from = addrs(F_FROM);
  return {
    date: v[F_DATE] ?? null,
    subject: v[F_SUBJECT] ?? null,
    from,
    // RFC 3501 §7.4.2: the server fills sender and reply-to from From when absent.
    sender: addrs(F_SENDER) ?? from,
    replyTo: addrs(F_REPLY_TO) ?? from,
    to: addrs(F_TO),
    cc: addrs(F_CC),
    bcc: addrs(F_BCC),
    inReplyTo: v[F_IN_REPLY_TO] ?? null,
    messageId: v[F_MESSAGE_ID] ?? null,
  };
}

/**
 * Length of the header block at the start of `buf` including its blank line (a line that is empty
 * or a lone CR before the LF, as the structure parser sees it), or -1 when `buf` holds no blank line.
 */
export function headerEnd(buf: Buffer): number {
  let pos = 0;
  const n = buf.length;
  while (pos < n) {
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) return -1;
    if (lf === pos || (lf === pos + 1 && buf[pos] === 0x0d)) return lf + 1;
    pos = lf + 1;
  }
  return -1;
}

/**
 * The envelope when `buf` (the start of a message) holds the whole header; null when more bytes are
 * needed (no blank line yet) or the header is long (then feed a HeaderEnvelopeParser).
 */
export function headerEnvelope(buf: Buffer): Envelope | null {
  const v = envelopeValues(buf);
  return v ? valuesEnvelope(v) : null;
}

/**
 * Incremental form, fed the message from its first byte in chunks of any size. write() returns true
 * once the header is complete (later bytes are ignored, so the caller can stop reading); end() gives
 * the envelope, also when the message ended without a blank line. Keeps at most HEADER_FAST_MAX
 * bytes; a longer header streams through a StructureParser (bounded by its own header limit).
 */
export class HeaderEnvelopeParser {
  private parts: Buffer[] = [];
  private len = 0;
  /** Bytes of the current, unfinished line, and whether its first byte is CR. */
  private lineLen = 0;
  private lineFirstCR = false;
  private done = false;
  private long: StructureParser | null = null;

  write(chunk: Buffer): boolean {
    if (this.done) return true;
    const n = chunk.length;
    let pos = 0;
    let take = n;
    while (pos < n) {
      const lf = chunk.indexOf(0x0a, pos);
      if (lf < 0) {
        if (this.lineLen === 0) this.lineFirstCR = chunk[pos] === 0x0d;
        this.lineLen += n - pos;
        break;
      }
      const lineLen = this.lineLen + (lf - pos);
      const firstCR = this.lineLen > 0 ? this.lineFirstCR : chunk[pos] === 0x0d;
      this.lineLen = 0;
      pos = lf + 1;
      if (lineLen === 0 || (lineLen === 1 && firstCR)) {
        take = pos;
        this.done = true;
        break;
      }
    }
    this.keep(chunk.subarray(0, take));
    return this.done;
  }

  private keep(b: Buffer): void {
    if (b.length === 0) return;
    if (this.long) { this.long.write(b); return; }
    // A copy: callers reuse their read buffers.
    this.parts.push(Buffer.from(b));
    this.len += b.length;
    if (this.len > HEADER_FAST_MAX) {
      this.long = new StructureParser();
      for (const p of this.parts) this.long.write(p);
      this.parts = [];
    }
  }

  /** Whether the blank line ending the header has been seen. */
  get complete(): boolean { return this.done; }

  end(): Envelope {
    if (this.long) return this.long.end().envelope;
    const hdr = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
    const v = this.done ? envelopeValues(hdr) : null;
    if (v) return valuesEnvelope(v);
    // No blank line: the whole message is header; the parser decides how its last line counts.
    const p = new StructureParser();
    p.write(hdr);
    return p.end().envelope;
  }
}
