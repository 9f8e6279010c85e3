/**
 * Test harness (not a test): a ManageSieveServer on 127.0.0.1 port 0 with an in-memory directory,
 * mail homes in a temp dir, a self-signed certificate for "localhost" written to a file (for
 * sieve-connect --tlscafile), and a raw client for transcript tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generateSelfSigned, secureContext } from '../../tls/src/index.js';
import { parseScript, supportedExtensions } from '../../sieve/src/index.js';
import { MemoryDirectory } from '../../testing/src/directory.js';
import { BufferedClient, connectLoopback } from '../../testing/src/raw-client.js';
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
export class RawClient extends BufferedClient {
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await connectLoopback(port));
  }

  private async waitMore(): Promise<void> {
    if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString())}`);
    if (!(await this.more(10_000))) throw new Error(`timeout; buffered: ${JSON.stringify(this.buf.toString())}`);
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
          while (this.buf.length < i + 2 + n) await this.waitMore();
          l += '\n' + this.buf.subarray(i + 2, i + 2 + n).toString();
          this.buf = this.buf.subarray(i + 2 + n);
          const rest = await this.line();
          return l + rest;
        }
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      await this.waitMore();
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

  async cmd(s: string): Promise<string[]> { this.send(`${s}\r\n`); return this.response(); }

  async starttls(ca: string): Promise<string[]> {
    const r = await this.cmd('STARTTLS');
    if (!/^OK/.test(r.at(-1)!)) throw new Error(`STARTTLS refused: ${r.join('|')}`);
    await this.upgradeTls({ ca, servername: 'localhost' }, false);
    return this.response();
  }

  async login(user: string, pass: string): Promise<string[]> {
    return this.cmd(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${user}\0${pass}`).toString('base64')}"`);
  }
}
