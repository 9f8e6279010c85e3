/**
 * Raw ManageSieve client (RFC 5804): capability greeting, STARTTLS, AUTHENTICATE PLAIN,
 * LISTSCRIPTS, PUTSCRIPT, LOGOUT. Responses end with OK / NO / BYE; literals {N} / {N+} in
 * responses are read by count (§1.2 / §4).
 */
import { LineClient } from './line-client.js';
import type { Target } from './target.js';

export interface SieveReply { status: 'OK' | 'NO' | 'BYE'; text: string; lines: string[]; ms: number }

export class SieveClient {
  capabilities = new Map<string, string>();
  private constructor(readonly lc: LineClient) {}

  static async connect(t: Target, port: number, implicitTls: boolean, localAddress?: string): Promise<SieveClient> {
    const lc = await LineClient.connect(t, port, implicitTls, localAddress, t.connectTimeoutMs);
    const c = new SieveClient(lc);
    let r: SieveReply;
    try { r = await c.response(); } catch (e) { lc.destroy(); throw new Error(`no ManageSieve greeting: ${(e as Error).message}`); }
    if (r.status !== 'OK') { lc.destroy(); throw new Error(`ManageSieve greeting: ${r.status} ${r.text}`); }
    c.setCaps(r.lines);
    lc.timeoutMs = 60_000;
    return c;
  }

  private setCaps(lines: string[]): void {
    this.capabilities.clear();
    for (const l of lines) {
      const m = /^"([^"]+)"(?: "(.*)")?$/.exec(l);
      if (m) this.capabilities.set(m[1]!.toUpperCase(), m[2] ?? '');
    }
  }

  /** Reads response lines up to the OK/NO/BYE line. */
  async response(): Promise<SieveReply> {
    const t0 = process.hrtime.bigint();
    const lines: string[] = [];
    for (;;) {
      let l = await this.lc.readLine();
      for (let m = /\{(\d+)\+?\}$/.exec(l); m; m = /\{(\d+)\+?\}$/.exec(l)) {
        const lit = await this.lc.readBytes(Number(m[1]));
        l = l.slice(0, m.index) + JSON.stringify(lit.toString('latin1')) + (await this.lc.readLine());
      }
      const st = /^(OK|NO|BYE)\b ?(.*)$/i.exec(l);
      if (st) return { status: st[1]!.toUpperCase() as SieveReply['status'], text: st[2] ?? '', lines, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
      lines.push(l);
    }
  }

  async cmd(line: string | Buffer): Promise<SieveReply> {
    const t0 = process.hrtime.bigint();
    this.lc.write(typeof line === 'string' ? `${line}\r\n` : line);
    const r = await this.response();
    return { ...r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  async startTls(): Promise<SieveReply> {
    const r = await this.cmd('STARTTLS');
    if (r.status === 'OK') {
      await this.lc.startTls();
      // RFC 5804 §2.2: the server sends its capabilities again after the handshake.
      const caps = await this.response();
      this.setCaps(caps.lines);
    }
    return r;
  }

  async authenticate(user: string, pass: string): Promise<SieveReply> {
    const ir = Buffer.from(`\0${user}\0${pass}`, 'utf8').toString('base64');
    return this.cmd(`AUTHENTICATE "PLAIN" "${ir}"`);
  }

  async putScript(name: string, script: string): Promise<SieveReply> {
    const body = Buffer.from(script, 'utf8');
    return this.cmd(Buffer.concat([Buffer.from(`PUTSCRIPT "${name}" {${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
  }

  async logout(): Promise<void> {
    try { await this.cmd('LOGOUT'); } catch { /* closed */ } finally { this.lc.destroy(); }
  }

  destroy(): void { this.lc.destroy(); }
}
