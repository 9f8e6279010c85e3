/**
 * Test helpers (not tests): an in-memory Directory with users, aliases, groups and forwards, and a
 * tiny SMTP sink that stands in for the relay (Postfix) and records what it was given.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Directory, GroupRecord, Recipient, UserRecord } from '../../directory/src/types.js';

export function user(address: string, o: Partial<UserRecord> = {}): UserRecord {
  return { user: address, aliases: [], homeServer: null, quotaBytes: null, forwards: [], forwardCopyToSelf: false, disabled: false, ...o };
}

export function memoryDirectory(users: UserRecord[], groups: GroupRecord[] = [], domains = ['example.org']): Directory {
  const find = (a: string): UserRecord | null => users.find((u) => u.user === a || u.aliases.includes(a)) ?? null;
  return {
    async authenticate() { return null; },
    async lookup(a) { return find(a.toLowerCase()); },
    async resolve(a): Promise<Recipient | null> {
      const x = a.toLowerCase();
      const u = find(x);
      if (u) return { kind: 'user', user: u };
      const g = groups.find((gr) => gr.address === x);
      return g ? { kind: 'group', group: g } : null;
    },
    async sharedFolders() { return []; },
    async domains() { return domains; },
    async close() {},
  };
}

export interface SinkMessage { from: string; to: string[]; data: string }

/** Minimal ESMTP receiver on 127.0.0.1 (ephemeral port): accepts everything, keeps messages in memory. */
export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  private server: Server | null = null;
  private waiters: Array<() => void> = [];
  port = 0;
  /** When set, RCPT answers with this (to test relay failures). */
  failRcpt: string | null = null;

  async start(): Promise<number> {
    this.server = createServer((s) => this.session(s));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Resolves once `n` messages have arrived (or rejects after `ms`). */
  async waitFor(n: number, ms = 10_000): Promise<SinkMessage[]> {
    const end = Date.now() + ms;
    while (this.messages.length < n) {
      if (Date.now() > end) throw new Error(`sink: expected ${n} messages, got ${this.messages.length}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
    return this.messages;
  }

  private session(s: Socket): void {
    s.on('error', () => undefined);
    let buf = '';
    let inData = false;
    let cur: SinkMessage = { from: '', to: [], data: '' };
    s.write('220 sink ESMTP\r\n');
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.startsWith('.\r\n');
          if (end < 0 && !atStart) return;
          const body = atStart ? '' : buf.slice(0, end + 2);
          buf = atStart ? buf.slice(3) : buf.slice(end + 5);
          inData = false;
          cur.data = body.replace(/^\.\./gm, '.');
          this.messages.push(cur);
          cur = { from: '', to: [], data: '' };
          s.write('250 2.0.0 queued\r\n');
          for (const w of this.waiters.splice(0)) w();
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') s.write('250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') s.write('250 sink\r\n');
        else if (verb === 'MAIL') { cur.from = /<([^>]*)>/.exec(line)?.[1] ?? ''; s.write('250 2.1.0 ok\r\n'); }
        else if (verb === 'RCPT') {
          if (this.failRcpt) { s.write(`${this.failRcpt}\r\n`); continue; }
          cur.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); s.write('250 2.1.5 ok\r\n');
        }
        else if (verb === 'DATA') { inData = true; s.write('354 go\r\n'); }
        else if (verb === 'QUIT') { s.end('221 bye\r\n'); return; }
        else if (verb === 'RSET' || verb === 'NOOP') s.write('250 ok\r\n');
        else s.write('502 5.5.1 no\r\n');
      }
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
