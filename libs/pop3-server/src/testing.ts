/**
 * Test harness (not a test): a Pop3Server (and an ImapServer on the same store, for cross-protocol
 * tests) on 127.0.0.1 port 0 over a MaildirStore in a temp dir, an in-memory Directory, a
 * self-signed certificate for "localhost"; plus a raw POP3 line client.
 */
import tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../maildir/src/index.js';
import { TestDirectory, USERS } from '../../testing/src/directory.js';
import { testCert } from '../../testing/src/cert.js';
import { BufferedClient, connectLoopback } from '../../testing/src/raw-client.js';
import { ImapServer } from '../../imap-server/src/server.js';
import { Pop3Server } from './server.js';
import type { Pop3ServerConfig, Pop3ServerDeps } from './deps.js';

export { TestDirectory, USERS, userRecord } from '../../testing/src/directory.js';
export { testCert } from '../../testing/src/cert.js';

export interface Harness {
  server: Pop3Server;
  imap: ImapServer;
  port: number;
  tlsPort: number;
  imapPort: number;
  dir: string;
  cert: string;
  directory: TestDirectory;
  store: MaildirStore;
  config: Pop3ServerConfig;
  /** Delivers a message into a user's INBOX through the store (as LMTP would). */
  deliver(user: string, msg: string | Buffer): Promise<number>;
  close(): Promise<void>;
}

export function homeOf(dir: string, user: string): string {
  return join(dir, user.split('@')[1]!, user.split('@')[0]!);
}

export async function startHarness(over: Partial<Pop3ServerConfig> = {}, extra: Partial<Pop3ServerDeps> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'pop3-test-'));
  const { key, cert } = await testCert();
  const ctx = tls.createSecureContext({ key, cert });
  const directory = new TestDirectory();
  const store = new MaildirStore({ hostname: 'test.host', fsync: false });
  const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const config: Pop3ServerConfig = {
    hostname: 'pop3.test',
    allowPlaintextAuth: true,
    mailHome: (u) => homeOf(dir, u.user),
    uidlFormat: '%08Xu%08Xv',
    workarounds: ['outlook-no-nuls', 'oe-ns-eoh'],
    lockSessions: false,
    idleTimeoutMs: 10 * 60 * 1000,
    maxUserIpConnections: 50,
    ...over,
  };
  const server = new Pop3Server({ store, directory, logger, metrics: new Registry(), tls: ctx, config, ...extra });
  const port = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  const tlsPort = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: true });
  const imap = new ImapServer({
    store, directory, logger, metrics: new Registry(), tls: ctx,
    config: {
      hostname: 'imap.test', allowPlaintextAuth: true, mailHome: config.mailHome, autoMailboxes: {}, specialUse: {},
      maxMessageSize: 10 * 1024 * 1024, idleTimeoutMs: 30 * 60 * 1000, maxUserIpConnections: 50,
    },
  });
  const imapPort = await imap.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  return {
    server, imap, port, tlsPort, imapPort, dir, cert, directory, store, config,
    async deliver(user, msg) {
      const acc = await store.openAccount({ user, home: homeOf(dir, user) });
      try {
        const r = await acc.append('INBOX', Readable.from([Buffer.isBuffer(msg) ? msg : Buffer.from(msg)]), { delivery: true });
        return r.uid;
      } finally { await acc.close(); }
    },
    async close() {
      await server.close();
      await imap.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A raw POP3 client for transcript tests. */
export class Pop3Client extends BufferedClient {
  static async connect(port: number, implicitTls = false): Promise<Pop3Client> {
    return new Pop3Client(await connectLoopback(port, implicitTls));
  }

  /** One line without CRLF (latin1). */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for line; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await this.more(left);
    }
  }

  /** Sends a command and reads the one-line reply. */
  async cmd(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.line();
  }

  /** Reads a multi-line body up to "." (raw lines, still dot-stuffed). */
  async body(timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      if (l === '.') return out;
      out.push(l);
    }
  }

  /** Sends a command; returns [first line, body lines] (body only after +OK). */
  async multi(text: string): Promise<[string, string[]]> {
    const first = await this.cmd(text);
    return [first, first.startsWith('+OK') ? await this.body() : []];
  }

  async closedByServer(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.more(50);
    return this.closed;
  }

  startTls(): Promise<void> {
    return this.upgradeTls({ servername: 'localhost', rejectUnauthorized: false }, true);
  }
}

/** A logged-in client (USER/PASS; plaintext allowed in the harness). */
export async function loggedIn(h: Harness, user = 'alice@example.org'): Promise<Pop3Client> {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  await c.cmd(`USER ${user}`);
  const r = await c.cmd(`PASS ${USERS[user]}`);
  if (!r.startsWith('+OK')) throw new Error(`login failed: ${r}`);
  return c;
}

export function message(subject: string, body = 'Hello world\r\n'): string {
  return `From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}`;
}
