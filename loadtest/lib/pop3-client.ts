/**
 * Raw POP3 client (RFC 1939, STLS RFC 2595, AUTH PLAIN RFC 5034) for load tests: every call
 * returns the server's status and the latency; multi-line answers are read until the lone "."
 * and un-dot-stuffed. Talks to any POP3 server.
 */
import { LineClient, unstuffLine } from './line-client.js';
import type { Target } from './target.js';

export interface Pop3Reply { ok: boolean; text: string; ms: number }

export class Pop3Client {
  greeting = '';
  private constructor(readonly lc: LineClient) {}

  static async connect(t: Target, port: number, implicitTls: boolean, localAddress?: string): Promise<Pop3Client> {
    const lc = await LineClient.connect(t, port, implicitTls, localAddress, t.connectTimeoutMs);
    const c = new Pop3Client(lc);
    try {
      c.greeting = await lc.readLine();
    } catch (e) {
      lc.destroy();
      throw new Error(`no POP3 greeting: ${(e as Error).message}`);
    }
    if (!c.greeting.startsWith('+OK')) { lc.destroy(); throw new Error(`POP3 greeting is not +OK: ${c.greeting.slice(0, 100)}`); }
    lc.timeoutMs = 60_000;
    return c;
  }

  async cmd(line: string): Promise<Pop3Reply> {
    const t0 = process.hrtime.bigint();
    this.lc.write(`${line}\r\n`);
    const r = await this.lc.readLine();
    return { ok: r.startsWith('+OK'), text: r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  /** A command with a multi-line answer (CAPA, LIST, UIDL, RETR, TOP): lines without the terminator. */
  async multi(line: string): Promise<Pop3Reply & { lines: string[]; bytes: number }> {
    const t0 = process.hrtime.bigint();
    this.lc.write(`${line}\r\n`);
    const first = await this.lc.readLine();
    const lines: string[] = [];
    let bytes = 0;
    if (first.startsWith('+OK')) {
      for (;;) {
        const l = await this.lc.readLine();
        if (l === '.') break;
        const u = unstuffLine(l);
        bytes += u.length + 2;
        lines.push(u);
      }
    }
    return { ok: first.startsWith('+OK'), text: first, lines, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  async capabilities(): Promise<Set<string>> {
    const r = await this.multi('CAPA');
    return new Set(r.ok ? r.lines.map((l) => l.split(' ')[0]!.toUpperCase()) : []);
  }

  async stls(): Promise<Pop3Reply> {
    const r = await this.cmd('STLS');
    if (r.ok) await this.lc.startTls();
    return r;
  }

  /** USER/PASS (RFC 1939 §7); the PASS reply decides. */
  async login(user: string, pass: string): Promise<Pop3Reply> {
    const t0 = process.hrtime.bigint();
    const u = await this.cmd(`USER ${user}`);
    if (!u.ok) return u;
    const p = await this.cmd(`PASS ${pass}`);
    return { ...p, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  /** RETR n: the message with CRLF line ends restored. */
  async retr(n: number): Promise<Pop3Reply & { message: Buffer }> {
    const r = await this.multi(`RETR ${n}`);
    return { ...r, message: Buffer.from(r.lines.length ? r.lines.join('\r\n') + '\r\n' : '', 'latin1') };
  }

  async quit(): Promise<Pop3Reply> {
    try { return await this.cmd('QUIT'); } finally { this.lc.destroy(); }
  }

  destroy(): void { this.lc.destroy(); }
}
