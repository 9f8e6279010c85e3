/**
 * A message on its way to a POP3 client (RETR, TOP), as a pure streaming transform: feed the
 * stored bytes (CRLF) chunk by chunk, send what comes out, then send end().
 *
 * Stages, in order:
 * 1. outlook-no-nuls (Dovecot pop3_client_workarounds): NUL octets are removed; Outlook stops
 *    reading at a NUL.
 * 2. TOP (RFC 1939 §7): the header, the blank line and at most `topLines` body lines.
 * 3. Dot-stuffing (RFC 1939 §3): a line that begins with "." gets one more ".".
 * 4. At end(): a last line without CRLF gets one (the terminator must start a line);
 *    oe-ns-eoh (Dovecot): a message whose header never ends with an empty line gets one, because
 *    Outlook Express and Netscape Mail mis-parse it otherwise; then the terminator ".\r\n".
 */

export interface MessageOutputOptions {
  /** outlook-no-nuls workaround. */
  stripNuls: boolean;
  /** oe-ns-eoh workaround. */
  addMissingEoh: boolean;
  /** TOP: body lines to send after the header; undefined = the whole message (RETR). */
  topLines?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('.\r\n');

export class MessageOutput {
  private headerEnded = false;
  /** Whether the current header line has an octet other than CR (else it may end the header). */
  private headerLineText = false;
  private bodyLinesLeft: number;
  private atLineStart = true;
  private lastByte = -1;
  private finished = false;

  constructor(private readonly opts: MessageOutputOptions) {
    this.bodyLinesLeft = opts.topLines ?? -1;
  }

  /** True once TOP has sent all it will: the caller can stop reading the message. */
  get done(): boolean { return this.finished; }

  /** Transforms one chunk; the result may be empty. */
  push(chunk: Buffer): Buffer {
    if (this.finished || chunk.length === 0) return EMPTY;
    let c = chunk;
    if (this.opts.stripNuls && c.indexOf(0) >= 0) c = stripNuls(c);
    if (!this.headerEnded || this.bodyLinesLeft >= 0) c = this.limit(c);
    if (c.length === 0) return EMPTY;
    this.lastByte = c[c.length - 1]!;
    return this.dotStuff(c);
  }

  /** The tail: missing CRLF, missing end of header (oe-ns-eoh), and ".\r\n". */
  end(): Buffer {
    const parts: Buffer[] = [];
    if (this.lastByte !== -1 && this.lastByte !== LF) parts.push(CRLF);
    if (this.opts.addMissingEoh && !this.headerEnded) parts.push(CRLF);
    parts.push(TERMINATOR);
    this.finished = true;
    return Buffer.concat(parts);
  }

  /** Tracks the end of the header and cuts the body after `topLines` lines. */
  private limit(c: Buffer): Buffer {
    let pos = 0;
    while (pos < c.length) {
      if (!this.headerEnded) {
        const nl = c.indexOf(LF, pos);
        if (nl < 0) {
          if (!this.headerLineText) this.headerLineText = hasNonCr(c, pos, c.length);
          return c;
        }
        if (!this.headerLineText && !hasNonCr(c, pos, nl)) this.headerEnded = true;
        this.headerLineText = false;
        pos = nl + 1;
        if (this.headerEnded && this.bodyLinesLeft === 0) { this.finished = true; return c.subarray(0, pos); }
        continue;
      }
      if (this.bodyLinesLeft < 0) return c;
      const nl = c.indexOf(LF, pos);
      if (nl < 0) return c;
      pos = nl + 1;
      if (--this.bodyLinesLeft === 0) { this.finished = true; return c.subarray(0, pos); }
    }
    return c;
  }

  private dotStuff(c: Buffer): Buffer {
    let parts: Buffer[] | null = null;
    let from = 0;
    let lineStart = this.atLineStart ? 0 : -1;
    if (lineStart < 0) {
      const nl = c.indexOf(LF);
      lineStart = nl < 0 ? c.length : nl + 1;
    }
    while (lineStart < c.length) {
      if (c[lineStart] === DOT) {
        (parts ??= []).push(c.subarray(from, lineStart), DOT_BUF);
        from = lineStart;
      }
      const nl = c.indexOf(LF, lineStart);
      if (nl < 0) break;
      lineStart = nl + 1;
    }
    this.atLineStart = c[c.length - 1] === LF;
    if (!parts) return c;
    parts.push(c.subarray(from));
    return Buffer.concat(parts);
  }
}

const EMPTY = Buffer.alloc(0);

/** Stops at the first octet other than CR: header lines are checked in O(1), not byte by byte. */
function hasNonCr(c: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (c[i] !== CR) return true;
  return false;
}
const DOT_BUF = Buffer.from('.');

function stripNuls(c: Buffer): Buffer {
  const out = Buffer.allocUnsafe(c.length);
  let n = 0;
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) out[n++] = c[i]!;
  return out.subarray(0, n);
}
