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
import type { Envelope } from './types.js';
import { fieldValue, splitHeaderFields } from './headers.js';
import { envelopeFromFields } from './envelope.js';
import { StructureParser } from './structure.js';

/** The header fields ENVELOPE is made of (RFC 3501 §7.4.2), lower-case. */
const ENVELOPE_FIELDS = new Set(['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id']);
/** Raw header bytes that cannot exceed the parser's header limit even with every LF bare (doubled). */
const HEADER_FAST_MAX = Math.floor(LIMITS.mimeMaxHeaderBytes / 2);

/** Envelope of a complete header block (ends with its blank line) of at most HEADER_FAST_MAX bytes. */
function fieldsEnvelope(hdr: Buffer): Envelope {
  const pairs: Array<[string, string]> = [];
  for (const f of splitHeaderFields(hdr)) {
    if (ENVELOPE_FIELDS.has(f.name.toLowerCase())) pairs.push([f.name, fieldValue(hdr, f)]);
  }
  return envelopeFromFields(pairs);
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
  const end = headerEnd(buf);
  if (end < 0 || end > HEADER_FAST_MAX) return null;
  return fieldsEnvelope(buf.subarray(0, end));
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
    if (this.done) return fieldsEnvelope(hdr);
    // No blank line: the whole message is header; the parser decides how its last line counts.
    const p = new StructureParser();
    p.write(hdr);
    return p.end().envelope;
  }
}
