/**
 * Our POP3 server as a separate process for the benchmark (its CPU and RSS are its own):
 * Pop3Server + MaildirStore on 127.0.0.1, mail home <root>/<domain>/<localpart> as Dovecot's
 * mail_location in loadtest/lib/dovecot.ts, every user's password "pass".
 * Prints one JSON line {"port":N,"pid":P} on stdout once listening; exits on SIGTERM.
 *
 *   node dist/loadtest/bench/pop3-server-proc.js --root <mailroot> [--port 0]
 */
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../libs/maildir/src/index.js';
import { Pop3Server } from '../../libs/pop3-server/src/index.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import { arg } from '../lib/bench-args.js';

const root = arg('root', '');
if (!root) { console.error('--root is required'); process.exit(2); }
const port = Number(arg('port', '0'));

function record(user: string): UserRecord {
  return { user, aliases: [], homeServer: null, quotaBytes: null, forwards: [], forwardCopyToSelf: false, disabled: false };
}

/** Any user@domain with the password "pass" (the benchmark measures POP3, not the directory). */
const directory: Directory = {
  async authenticate(login, password) { return password === 'pass' && login.includes('@') ? record(login.toLowerCase()) : null; },
  async lookup(address) { return address.includes('@') ? record(address.toLowerCase()) : null; },
  async resolve(address) { return address.includes('@') ? { kind: 'user', user: record(address.toLowerCase()) } : null; },
  async sharedFolders() { return []; },
  async domains() { return ['bench.example']; },
  async close() {},
};

const store = new MaildirStore({ hostname: 'bench', fsync: false });
const server = new Pop3Server({
  store, directory, logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }), metrics: new Registry(), tls: null,
  config: {
    hostname: 'bench.example', allowPlaintextAuth: true,
    mailHome: (u) => { const [local, domain] = u.user.split('@'); return join(root, domain!, local!); },
    uidlFormat: '%08Xu%08Xv', workarounds: ['outlook-no-nuls', 'oe-ns-eoh'], lockSessions: false,
    idleTimeoutMs: 10 * 60 * 1000, maxUserIpConnections: 100_000,
  },
});

const bound = await server.listen({ host: '127.0.0.1', port, implicitTls: false });
process.stdout.write(JSON.stringify({ port: bound, pid: process.pid }) + '\n');

const stop = async (): Promise<void> => {
  await server.close().catch(() => undefined);
  await store.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => { void stop(); });
process.on('SIGINT', () => { void stop(); });
