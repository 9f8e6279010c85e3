/**
 * Test harness (not a test): an ImapServer on 127.0.0.1 port 0 over a MaildirStore in a temp dir,
 * an in-memory Directory, a self-signed EC certificate for "localhost" and a silent logger;
 * plus a raw line client for transcript tests.
 */
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../maildir/src/index.js';
import { TestDirectory, USERS } from '../../testing/src/directory.js';
import { testCert } from '../../testing/src/cert.js';
import { connectLoopback } from '../../testing/src/raw-client.js';
import { ImapServer } from './server.js';
import type { ImapServerConfig } from './deps.js';

export { TestDirectory, USERS, userRecord } from '../../testing/src/directory.js';
export { testCert } from '../../testing/src/cert.js';

export interface Harness {
  server: ImapServer;
  port: number;
  tlsPort: number;
  dir: string;
  cert: string;
  directory: TestDirectory;
  store: MaildirStore;
  config: ImapServerConfig;
  close(): Promise<void>;
}

export async function startHarness(over: Partial<ImapServerConfig> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'imap-test-'));
  const { key, cert } = await testCert();
  const ctx = tls.createSecureContext({ key, cert });
  const directory = new TestDirectory();
  const store = new MaildirStore({ hostname: 'test.host', fsync: false });
  const config: ImapServerConfig = {
    hostname: 'imap.test',
    allowPlaintextAuth: true,
    mailHome: (u) => join(dir, u.user.split('@')[1]!, u.user.split('@')[0]!),
    autoMailboxes: {},
    specialUse: {},
    maxMessageSize: 10 * 1024 * 1024,
    idleTimeoutMs: 30 * 60 * 1000,
    maxUserIpConnections: 50,
    ...over,
  };
  const server = new ImapServer({
    store, directory, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), metrics: new Registry(), tls: ctx, config,
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  const tlsPort = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: true });
  return {
    server, port, tlsPort, dir, cert, directory, store, config,
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A raw IMAP client for transcript tests: send lines, read lines. */
export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(public sock: net.Socket) {
    this.attach(sock);
  }

  private attach(sock: net.Socket): void {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => { this.buf += d; this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number, implicitTls = false): Promise<RawClient> {
    return new RawClient(await connectLoopback(port, implicitTls));
  }

  send(data: string | Buffer): void { this.sock.write(data); }

  /** Reads one line (without CRLF); throws on timeout or close. */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for line; buffered: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** Reads exactly n bytes (for literals). */
  async bytes(n: number, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for bytes');
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
    const s = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return s;
  }

  /**
   * Sends a tagged command and collects all lines up to and including the tagged response.
   * Literals in responses are inlined into the line they belong to.
   */
  async cmd(tag: string, text: string, timeoutMs = 5000): Promise<string[]> {
    this.send(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  async until(tag: string, timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      let l = await this.line(timeoutMs);
      for (;;) {
        const m = /\{(\d+)\}$/.exec(l);
        if (!m) break;
        l += '\r\n' + (await this.bytes(Number(m[1]), timeoutMs));
        l += await this.line(timeoutMs);
      }
      out.push(l);
      if (l.startsWith(tag + ' ')) return out;
    }
  }

  /** Upgrades this connection with TLS (after the server's OK to STARTTLS). */
  async startTls(): Promise<void> {
    this.sock.removeAllListeners('data');
    const s = tls.connect({ socket: this.sock, servername: 'localhost', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject); });
    this.sock = s;
    this.buf = '';
    this.attach(s);
  }

  close(): void { this.sock.destroy(); }
}

/** Logs in a raw client (plaintext allowed in the harness). */
export async function loggedIn(h: Harness, user = 'alice@example.org'): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  await c.line();
  const r = await c.cmd('L', `LOGIN ${user} ${USERS[user]}`);
  if (!r[r.length - 1]!.startsWith('L OK')) throw new Error('login failed: ' + r.join('|'));
  return c;
}

export function message(subject: string, body = 'Hello world\r\n', extra = ''): string {
  return `From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: ${subject}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extra}\r\n${body}`;
}

export async function appendRaw(c: RawClient, mailbox: string, msg: string, flags = ''): Promise<string[]> {
  const len = Buffer.byteLength(msg, 'utf8');
  c.send(`A APPEND ${mailbox} ${flags ? `(${flags}) ` : ''}{${len}+}\r\n${msg}\r\n`);
  return c.until('A');
}
