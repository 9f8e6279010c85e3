/**
 * Raw LMTP client (RFC 2033; SMTP replies RFC 5321 §4.2): LHLO, optional STARTTLS (RFC 3207),
 * MAIL/RCPT/DATA with one reply per accepted recipient after the data (RFC 2033 §4.2).
 */
import { LineClient, dotStuff } from './line-client.js';
import type { Target } from './target.js';

export interface SmtpReply { code: number; lines: string[]; ms: number }

export interface DeliveryResult {
  /** Per recipient: the RCPT reply code and, when accepted, the post-DATA reply code. */
  rcpts: { rcpt: string; rcptCode: number; dataCode: number | null; text: string }[];
  mailMs: number; rcptMs: number; dataMs: number; totalMs: number;
  mailCode: number;
}

export class LmtpClient {
  greeting: SmtpReply | null = null;
  extensions = new Set<string>();
  private constructor(readonly lc: LineClient) {}

  static async connect(t: Target, port: number, implicitTls: boolean, localAddress?: string): Promise<LmtpClient> {
    const lc = await LineClient.connect(t, port, implicitTls, localAddress, t.connectTimeoutMs);
    const c = new LmtpClient(lc);
    try {
      c.greeting = await c.reply();
    } catch (e) {
      lc.destroy();
      throw new Error(`no LMTP greeting: ${(e as Error).message}`);
    }
    if (c.greeting.code !== 220) { lc.destroy(); throw new Error(`LMTP greeting is not 220: ${c.greeting.lines.join(' ').slice(0, 100)}`); }
    lc.timeoutMs = 120_000;
    return c;
  }

  /** Reads one (possibly multi-line "250-") reply. */
  async reply(): Promise<SmtpReply> {
    const t0 = process.hrtime.bigint();
    const lines: string[] = [];
    for (;;) {
      const l = await this.lc.readLine();
      if (!/^\d{3}[ -]?/.test(l)) throw new Error(`malformed LMTP reply: ${l.slice(0, 100)}`);
      lines.push(l);
      if (l.length <= 3 || l[3] === ' ') break;
    }
    return { code: Number(lines[lines.length - 1]!.slice(0, 3)), lines, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  async cmd(line: string): Promise<SmtpReply> {
    const t0 = process.hrtime.bigint();
    this.lc.write(`${line}\r\n`);
    const r = await this.reply();
    return { ...r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  async lhlo(name = 'loadtest.localhost'): Promise<SmtpReply> {
    const r = await this.cmd(`LHLO ${name}`);
    if (r.code === 250) this.extensions = new Set(r.lines.slice(1).map((l) => l.slice(4).split(' ')[0]!.toUpperCase()));
    return r;
  }

  async startTls(): Promise<SmtpReply> {
    const r = await this.cmd('STARTTLS');
    if (r.code === 220) { await this.lc.startTls(); await this.lhlo(); }
    return r;
  }

  /** One transaction; the caller decides what the codes mean. */
  async deliver(from: string, rcpts: string[], message: Buffer): Promise<DeliveryResult> {
    const t0 = process.hrtime.bigint();
    const mail = await this.cmd(`MAIL FROM:<${from}>${this.extensions.has('8BITMIME') ? ' BODY=8BITMIME' : ''}`);
    const res: DeliveryResult = { rcpts: [], mailMs: mail.ms, rcptMs: 0, dataMs: 0, totalMs: 0, mailCode: mail.code };
    if (mail.code !== 250) { res.totalMs = Number(process.hrtime.bigint() - t0) / 1e6; return res; }
    for (const r of rcpts) {
      const rr = await this.cmd(`RCPT TO:<${r}>`);
      res.rcptMs += rr.ms;
      res.rcpts.push({ rcpt: r, rcptCode: rr.code, dataCode: null, text: rr.lines.join(' ') });
    }
    const accepted = res.rcpts.filter((r) => r.rcptCode === 250 || r.rcptCode === 251);
    if (accepted.length === 0) { await this.cmd('RSET'); res.totalMs = Number(process.hrtime.bigint() - t0) / 1e6; return res; }
    const d0 = process.hrtime.bigint();
    const go = await this.cmd('DATA');
    if (go.code !== 354) {
      for (const a of accepted) { a.dataCode = go.code; a.text = go.lines.join(' '); }
    } else {
      this.lc.write(dotStuff(message));
      await this.lc.drain();
      // RFC 2033 §4.2: one reply for each recipient that was accepted, in RCPT order.
      for (const a of accepted) {
        const r = await this.reply();
        a.dataCode = r.code; a.text = r.lines.join(' ');
      }
    }
    res.dataMs = Number(process.hrtime.bigint() - d0) / 1e6;
    res.totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return res;
  }

  async quit(): Promise<void> {
    try { await this.cmd('QUIT'); } catch { /* closed */ } finally { this.lc.destroy(); }
  }

  destroy(): void { this.lc.destroy(); }
}
