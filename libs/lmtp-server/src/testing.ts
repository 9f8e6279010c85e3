/** Test helper: a line-level LMTP client over a real socket (TCP or UNIX). */
import { connect, type Socket } from 'node:net';

export interface Reply { code: number; lines: string[]; text: string }

export class LmtpTestClient {
  private buf = '';
  private waiting: Array<() => void> = [];
  private ended = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => { this.buf += d.toString('latin1'); this.wake(); });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  private wake(): void { for (const w of this.waiting.splice(0)) w(); }

  static async open(target: { port: number } | { path: string }): Promise<LmtpTestClient> {
    const s = 'port' in target ? connect({ host: '127.0.0.1', port: target.port }) : connect({ path: target.path });
    await new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('error', reject); });
    const c = new LmtpTestClient(s);
    await c.reply(); // greeting
    return c;
  }

  write(data: string | Buffer): void { this.socket.write(data); }

  /** Reads one (possibly multi-line) reply. */
  async reply(ms = 15_000): Promise<Reply> {
    const end = Date.now() + ms;
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        const lines = m[0].split('\r\n').filter(Boolean);
        return { code: Number(lines[lines.length - 1]!.slice(0, 3)), lines, text: m[0] };
      }
      if (this.ended) throw new Error(`connection closed; pending: ${JSON.stringify(this.buf)}`);
      if (Date.now() > end) throw new Error(`no reply; pending: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => { this.waiting.push(r); setTimeout(r, 200); });
    }
  }

  async replies(n: number): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply());
    return out;
  }

  async cmd(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  async closed(ms = 5000): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.ended && Date.now() < end) await new Promise<void>((r) => { this.waiting.push(r); setTimeout(r, 100); });
    return this.ended;
  }

  close(): void { this.socket.destroy(); }
}
