/**
 * Test harness (not a test): a ManageSieveServer on 127.0.0.1 port 0 with an in-memory directory,
 * mail homes in a temp dir, a self-signed certificate for "localhost" written to a file (for
 * sieve-connect --tlscafile), and a raw client for transcript tests.
 */
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generateSelfSigned, secureContext } from '../../tls/src/index.js';
import { parseScript, supportedExtensions } from '../../sieve/src/index.js';
import { MemoryDirectory } from '../../quota/src/memory-directory.js';
import { mailHome } from '../../delivery/src/home.js';
import { ManageSieveServer } from './server.js';
import type { ManageSieveConfig, ManageSieveDeps } from './deps.js';

export interface Harness {
  server: ManageSieveServer;
  port: number;
  root: string;
  certFile: string;
  cert: string;
  directory: MemoryDirectory;
  mailRoot: string;
  home(user: string): string;
  close(): Promise<void>;
}

export async function startHarness(over: Partial<ManageSieveConfig> = {}, withTls = true, extra: Partial<ManageSieveDeps> = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'msieve-'));
  const pems = await generateSelfSigned(['localhost', '127.0.0.1']);
  const certFile = join(root, 'cert.pem');
  await writeFile(certFile, pems.cert);
  const directory = new MemoryDirectory({
    'alice@example.org': { password: 'alicepw' },
    'bob@example.org': { password: 'bobpw' },
  });
  const mailRoot = join(root, 'mail');
  const config: ManageSieveConfig = {
    implementation: 'Test ManageSieve', allowPlaintextAuth: false,
    mailHome: (u) => mailHome(mailRoot, u.user),
    maxScripts: 5, maxStorage: 64 * 1024, maxScriptSize: 16 * 1024, maxRedirects: 4, idleTimeoutMs: 60_000, fsync: false,
    ...over,
  };
  const server = new ManageSieveServer({
    directory, logger: pino({ level: 'silent' }), tls: withTls ? secureContext(pems) : null, config,
    parseScript: (t) => parseScript(t, { maxSize: config.maxScriptSize }), extensions: supportedExtensions, ...extra,
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    server, port, root, certFile, cert: pems.cert, directory, mailRoot,
    home: (u) => mailHome(mailRoot, u),
    async close() { await server.close(); await rm(root, { recursive: true, force: true }); },
  };
}

/** A raw ManageSieve client: sends lines, reads responses up to the final OK/NO/BYE (literals honoured). */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public sock: net.Socket) { this.attach(sock); }

  private attach(sock: net.Socket): void {
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  static async connect(port: number): Promise<RawClient> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
    return new RawClient(sock);
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString())}`);
    await new Promise<void>((r, j) => {
      const t = setTimeout(() => j(new Error(`timeout; buffered: ${JSON.stringify(this.buf.toString())}`)), 10_000);
      this.waiters.push(() => { clearTimeout(t); r(); });
    });
  }

  /** One line (a literal announced at its end is read and appended as "\n<content>"). */
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        let l = this.buf.subarray(0, i).toString();
        const m = /\{(\d+)\}$/.exec(l);
        if (m) {
          const n = Number(m[1]);
          while (this.buf.length < i + 2 + n) await this.more();
          l += '\n' + this.buf.subarray(i + 2, i + 2 + n).toString();
          this.buf = this.buf.subarray(i + 2 + n);
          const rest = await this.line();
          return l + rest;
        }
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      await this.more();
    }
  }

  /** Lines up to and including the final OK / NO / BYE. */
  async response(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line();
      out.push(l);
      if (/^(OK|NO|BYE)\b/i.test(l)) return out;
    }
  }

  send(s: string): void { this.sock.write(s); }

  async cmd(s: string): Promise<string[]> { this.send(`${s}\r\n`); return this.response(); }

  async starttls(ca: string): Promise<string[]> {
    const r = await this.cmd('STARTTLS');
    if (!/^OK/.test(r.at(-1)!)) throw new Error(`STARTTLS refused: ${r.join('|')}`);
    this.sock.removeAllListeners('data');
    const t = tls.connect({ socket: this.sock, ca, servername: 'localhost' });
    await new Promise<void>((res, j) => { t.once('secureConnect', () => res()); t.once('error', j); });
    this.sock = t;
    this.attach(t);
    return this.response();
  }

  async login(user: string, pass: string): Promise<string[]> {
    return this.cmd(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${user}\0${pass}`).toString('base64')}"`);
  }

  close(): void { this.sock.destroy(); }
}
