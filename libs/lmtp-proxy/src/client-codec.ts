/**
 * The client side of LMTP, pure and incremental: a reply reader (RFC 5321 §4.2: "ddd-text" lines
 * continue, "ddd text" ends a reply) and a streaming dot-stuffer (RFC 5321 §4.5.2) for backends
 * without CHUNKING. No I/O: the socket wrapper (backend-client.ts) feeds bytes in and writes out.
 */
export interface BackendReply {
  readonly code: number;
  /** RFC 3463 enhanced code of the last line, or null. */
  readonly enhanced: string | null;
  /** Text of every line without code and enhanced code. */
  readonly lines: readonly string[];
}

export class ReplyReader {
  private buf = '';
  private lines: string[] = [];

  constructor(private readonly maxLine: number) {}

  /** Adds bytes; returns the complete replies they finish. Throws on a line that is not a reply. */
  push(chunk: Buffer): BackendReply[] {
    this.buf += chunk.toString('latin1');
    const out: BackendReply[] = [];
    for (;;) {
      const lf = this.buf.indexOf('\n');
      if (lf < 0) {
        if (this.buf.length > this.maxLine) throw new Error('backend reply line too long');
        return out;
      }
      const line = this.buf.slice(0, lf).replace(/\r$/, '');
      this.buf = this.buf.slice(lf + 1);
      const m = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
      if (!m) throw new Error(`bad backend reply line: ${JSON.stringify(line.slice(0, 80))}`);
      this.lines.push(m[3]!);
      if (m[2] === '-') {
        if (this.lines.length > 1000) throw new Error('backend reply has too many lines');
        continue;
      }
      const code = Number(m[1]);
      const lines = this.lines.map((l) => l.replace(/^[245]\.\d{1,3}\.\d{1,3} /, ''));
      const e = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/.exec(this.lines[this.lines.length - 1]!);
      this.lines = [];
      out.push({ code, enhanced: e ? e[1]! : null, lines });
    }
  }
}

/**
 * Adds the leading dots, chunk by chunk, and the end marker at the end. Only a "." at the start of a
 * line (after CRLF, or at the very start) is doubled; the state is whether the last bytes were CRLF.
 */
export class DotStuffer {
  /** 0: at line start, 1: after CR, 2: mid-line. */
  private st: 0 | 1 | 2 = 0;

  stuff(chunk: Buffer): Buffer {
    const from = this.st;
    let st = from;
    let extra = 0;
    for (const c of chunk) {
      if (c === 0x2e && st === 0) extra++;
      st = next(st, c);
    }
    this.st = st;
    if (extra === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let j = 0;
    st = from;
    for (const c of chunk) {
      if (c === 0x2e && st === 0) out[j++] = 0x2e;
      out[j++] = c;
      st = next(st, c);
    }
    return out;
  }

  /** The terminator: CRLF first when the message did not end with one (RFC 5321 §4.1.1.4). */
  end(): Buffer {
    return Buffer.from(this.st === 0 ? '.\r\n' : '\r\n.\r\n', 'latin1');
  }
}

const next = (st: 0 | 1 | 2, c: number): 0 | 1 | 2 => (c === 0x0d ? 1 : c === 0x0a && st === 1 ? 0 : 2);
