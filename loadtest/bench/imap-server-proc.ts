/**
 * Our IMAP server as a separate process for the benchmark (so its RSS can be measured alone):
 * ImapServer + MaildirStore on 127.0.0.1, mail home <root>/<domain>/<localpart> as Dovecot's
 * mail_location in loadtest/lib/dovecot.ts, every user's password "pass".
 * Prints one JSON line {"port":N,"pid":N,"pids":[...]} on stdout once listening; exits on SIGTERM.
 * --workers N (N > 1): the product's worker mechanism (libs/workers, as the mail node's node.workers):
 * this process binds the port and hands each connection to one of N worker processes running this
 * same file with --role worker; pids lists the primary and the workers (their memory and CPU count).
 *
 *   node dist/loadtest/bench/imap-server-proc.js --root <mailroot> [--fsync 0|1] [--port 0] [--workers 1]
 */
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../libs/maildir/src/index.js';
import { ImapServer } from '../../libs/imap-server/src/index.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import { WorkerPool, joinPool } from '../../libs/workers/src/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const root = arg('root', '');
if (!root) { console.error('--root is required'); process.exit(2); }
const fsync = arg('fsync', '0') === '1';
const port = Number(arg('port', '0'));
const workers = Number(arg('workers', '1'));
const role = arg('role', 'primary');
if (!Number.isInteger(workers) || workers < 1) { console.error('--workers must be a positive integer'); process.exit(2); }
export const BENCH_PASSWORD = 'pass';

function record(user: string): UserRecord {
  return { user, aliases: [], homeServer: null, quotaBytes: null, forwards: [], forwardCopyToSelf: false, disabled: false };
}

/** Any user@domain with the bench password (the benchmark measures IMAP, not the directory). */
const directory: Directory = {
  async authenticate(login, password) { return password === BENCH_PASSWORD && login.includes('@') ? record(login.toLowerCase()) : null; },
  async lookup(address) { return address.includes('@') ? record(address.toLowerCase()) : null; },
  async resolve(address) { return address.includes('@') ? { kind: 'user', user: record(address.toLowerCase()) } : null; },
  async sharedFolders() { return []; },
  async domains() { return ['bench.example']; },
  async close() {},
};

if (role === 'primary' && workers > 1) {
  const pool = new WorkerPool({
    count: workers, script: new URL(import.meta.url), args: [...process.argv.slice(2), '--role', 'worker'],
    logger: pino({ level: process.env.BENCH_LOG ?? 'warn' }),
  });
  await pool.start();
  const bound = await pool.listen({ name: 'imap', service: 'imap', host: '127.0.0.1', port, implicitTls: false, protocol: 'imap', limit: () => Infinity });
  process.stdout.write(JSON.stringify({ port: bound, pid: process.pid, pids: [process.pid, ...pool.pids()] }) + '\n');
  const stopPool = async (): Promise<void> => { await pool.close().catch(() => undefined); process.exit(0); };
  process.on('SIGTERM', () => { void stopPool(); });
  process.on('SIGINT', () => { void stopPool(); });
  process.on('SIGUSR2', () => { (globalThis as { gc?: () => void }).gc?.(); void pool.broadcast('gc'); });
} else {
  await serve(role === 'worker');
}

async function serve(asWorker: boolean): Promise<void> {
  const side = asWorker ? joinPool() : null;
  const store = new MaildirStore({ hostname: 'bench', fsync });
  const server = new ImapServer({
    store,
    directory,
    logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }),
    metrics: new Registry(),
    tls: null,
    config: {
      hostname: 'bench.example',
      allowPlaintextAuth: true,
      mailHome: (u) => { const [local, domain] = u.user.split('@'); return join(root, domain!, local!); },
      autoMailboxes: {},
      specialUse: {},
      maxMessageSize: 64 * 1024 * 1024,
      idleTimeoutMs: 30 * 60 * 1000,
      maxUserIpConnections: 100_000,
    },
  });

  const bound = await server.listen({ host: '127.0.0.1', port, implicitTls: false, ...(side ? { source: side.source('imap', port) } : {}) });
  if (side) {
    side.rpc.handle('gc', () => { (globalThis as { gc?: () => void }).gc?.(); });
    side.onStop(async () => { await server.close().catch(() => undefined); await store.close().catch(() => undefined); }, 10_000);
    side.ready();
    return;
  }
  process.stdout.write(JSON.stringify({ port: bound, pid: process.pid, pids: [process.pid] }) + '\n');

  const stop = async (): Promise<void> => {
    await server.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => { void stop(); });
  // The benchmark asks for a full GC before each memory sample (node --expose-gc), so the
  // per-connection figure is live memory, not garbage that happens to be uncollected.
  process.on('SIGUSR2', () => { (globalThis as { gc?: () => void }).gc?.(); });
  process.on('SIGINT', () => { void stop(); });
}
