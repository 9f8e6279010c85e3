/**
 * The Postfix SMTP access policy delegation protocol (postfix.org/SMTPD_POLICY_README.html),
 * pure and incremental: a request is `name=value` lines ended by an empty line; the answer is
 * `action=...` and an empty line. Postfix keeps the connection open for further requests.
 *
 * A request over `maxRequestBytes` (all lines together) or with a line that is not `name=value`
 * is still read to its empty line, so the connection stays in step, and reported as invalid.
 */
const LF = 0x0a;

export type PolicyEvent =
  | { readonly type: 'request'; readonly attrs: Readonly<Record<string, string>> }
  | { readonly type: 'invalid'; readonly reason: string };

export class PolicyReceiver {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  private bytes = 0;
  private invalid: string | null = null;
  /** Bytes of an over-long line being skipped. */
  private skipping = false;

  constructor(private readonly maxRequestBytes: number) {}

  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) this.buf = chunk;
    else this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  next(): PolicyEvent | null {
    for (;;) {
      const lf = this.buf.indexOf(LF, this.pos);
      if (lf < 0) {
        const pending = this.buf.length - this.pos;
        if (this.bytes + pending > this.maxRequestBytes) {
          // Drop what we have of the line; the request is already lost.
          this.invalid ??= 'request too large';
          this.skipping = true;
          this.pos = this.buf.length;
        }
        return null;
      }
      const lineLen = lf - this.pos;
      const raw = this.buf.subarray(this.pos, lf);
      this.pos = lf + 1;
      if (this.skipping) { this.skipping = false; continue; }
      this.bytes += lineLen + 1;
      const line = raw.toString('utf8').replace(/\r$/, '');
      if (line === '') {
        const ev: PolicyEvent = this.invalid ? { type: 'invalid', reason: this.invalid } : { type: 'request', attrs: this.attrs };
        this.attrs = Object.create(null) as Record<string, string>;
        this.bytes = 0;
        this.invalid = null;
        return ev;
      }
      if (this.bytes > this.maxRequestBytes) { this.invalid ??= 'request too large'; continue; }
      const eq = line.indexOf('=');
      if (eq <= 0) { this.invalid ??= 'malformed attribute line'; continue; }
      const name = line.slice(0, eq);
      if (!/^[a-z_][a-z0-9_]*$/i.test(name)) { this.invalid ??= 'malformed attribute name'; continue; }
      this.attrs[name] = line.slice(eq + 1);
    }
  }
}

/** One answer: `action=<action>` and the empty line that ends it. */
export function encodeAction(action: string): string {
  return `action=${action.replace(/[\r\n]+/g, ' ')}\n\n`;
}
