/**
 * Our LMTP server as a separate process for the LMTP benchmark: LmtpServer + Deliverer (Sieve on)
 * + MaildirStore, mail home <root>/<domain>/<localpart> as Dovecot's in loadtest/lib/dovecot.ts.
 * Every user@domain exists. Prints one JSON line {"port":N} once listening; exits on SIGTERM.
 *
 *   node dist/loadtest/bench/lmtp-server-proc.js --root <mailroot> --spool <dir> [--fsync 0|1]
 */
import '../../services/mail/threadpool.js'; // as the node: 16 pool threads unless UV_THREADPOOL_SIZE says otherwise
import { MaildirStore } from '../../libs/maildir/src/index.js';
import { Deliverer } from '../../libs/delivery/src/deliverer.js';
import { mailHome } from '../../libs/delivery/src/home.js';
import { smtpRelay } from '../../libs/delivery/src/relay.js';
import { LmtpServer } from '../../libs/lmtp-server/src/server.js';
import { LIMITS } from '../../libs/core/src/limits.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import { arg } from '../lib/bench-args.js';

const root = arg('root', '');
const spool = arg('spool', '');
if (!root || !spool) { console.error('--root and --spool are required'); process.exit(2); }

const record = (user: string): UserRecord => ({ user, aliases: [], homeServer: null, quotaBytes: null, forwards: [], forwardCopyToSelf: false, disabled: false });
const directory: Directory = {
  async authenticate() { return null; },
  async lookup(a) { return a.includes('@') ? record(a.toLowerCase()) : null; },
  async resolve(a) { return a.includes('@') ? { kind: 'user', user: record(a.toLowerCase()) } : null; },
  async sharedFolders() { return []; },
  async domains() { return ['bench.example']; },
  async close() {},
};
const logger = { info() {}, warn() {}, error(o: object, m: string) { process.stderr.write(`${m} ${JSON.stringify(o)}\n`); } };
const store = new MaildirStore({ fsync: arg('fsync', '1') === '1' });
const relay = smtpRelay({ host: '127.0.0.1', port: 1, name: 'bench' });
const delivery = new Deliverer({ store, directory, relay, logger, hostname: 'bench', mailHome: (u) => mailHome(root, u.user) });
const server = new LmtpServer({
  delivery, logger,
  config: { hostname: 'bench', maxMessageSize: LIMITS.lmtpMaxMessageSize, maxRecipients: 100, idleTimeoutMs: 600_000, spoolDir: spool },
});
const port = await server.listen({ host: '127.0.0.1', port: Number(arg('port', '0')) });
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => { void server.close().then(() => store.close()).then(() => process.exit(0)); });
