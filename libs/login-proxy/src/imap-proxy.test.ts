// ImapProxy in process against a scripted backend (real loopback sockets): the protocol edges the
// end-to-end tests in services/proxy do not reach (literals, pre-login APPEND, TEMP, unknown home
// server, refused master login, in-process kick, user+IP limit).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MailError } from '../../core/src/errors.js';
import type { UserRecord } from '../../directory/src/types.js';
import { SaslAuthenticator } from '../../sasl/src/index.js';
import { MemoryRegistry } from '../../registry/src/index.js';
import { RawClient, userRecord } from '../../imap-server/src/testing.js';
import { BackendPool } from './backend-pool.js';
import { ImapProxy } from './imap-proxy.js';

const homes: Record<string, string | null> = { 'alice@example.org': 'good.test', 'bob@example.org': 'refusing.test', 'carol@example.org': 'nowhere.test' };
let temp = false;
const users = {
  async authenticate(login: string, password: string): Promise<UserRecord | null> {
    if (temp) throw new MailError('TEMP', 'directory down');
    const u = login.toLowerCase();
    return u in homes && password === 'pw' ? { ...userRecord(u), homeServer: homes[u]! } : null;
  },
  async lookup(a: string): Promise<UserRecord | null> { return a in homes ? { ...userRecord(a), homeServer: homes[a]! } : null; },
};

/** A backend that greets, answers ID, and accepts (or refuses) AUTHENTICATE; then echoes commands as "tag OK echo". */
async function backend(accept: boolean, seen: string[]): Promise<net.Server> {
  const s = net.createServer((c) => {
    c.on('error', () => undefined);
    c.write('* OK [CAPABILITY IMAP4rev1 ID] fake ready\r\n');
    let buf = '';
    c.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push(line);
        const [tag, cmd] = line.split(' ');
        if (cmd === 'ID') c.write(`* ID NIL\r\n${tag} OK ID done\r\n`);
        else if (cmd === 'AUTHENTICATE') c.write(accept ? `${tag} OK [CAPABILITY IMAP4rev1 FAKECAP] Logged in\r\n` : `${tag} NO [AUTHENTICATIONFAILED] no\r\n`);
        else c.write(`${tag} OK echo ${cmd}\r\n`);
      }
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

const seenGood: string[] = [];
let good: net.Server;
let refusing: net.Server;
let proxy: ImapProxy;
let port = 0;
const registry = new MemoryRegistry('test');
let pool: BackendPool;

before(async () => {
  good = await backend(true, seenGood);
  refusing = await backend(false, []);
  const addr = (s: net.Server) => `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
  pool = new BackendPool({ backends: { 'good.test': addr(good), 'refusing.test': addr(refusing) }, failureThreshold: 2, coolDownMs: 60_000, connectTimeoutMs: 1000 });
  const sasl = new SaslAuthenticator(users, { allowPlaintext: false, trustedNetworks: ['127.0.0.0/8'], masterSeparator: '*', masterUsers: {}, masterNetworks: [] }, async () => false);
  proxy = new ImapProxy({
    sasl, registry, pool, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), metrics: new Registry(), tls: null, hostname: 'proxy.test',
    master: { user: 'proxy', password: 'mpw' }, maxUserIp: 2, allowPlaintextAuth: false,
  }, { maxMessageSize: 1000 });
  port = await proxy.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
});

after(async () => { await proxy.close(); good.close(); refusing.close(); await registry.close(); });

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(port);
  assert.match(await c.line(), /^\* OK \[CAPABILITY IMAP4rev1 .*APPENDLIMIT=1000.*AUTH=PLAIN/);
  return c;
}

test('LOGIN with synchronising literals; the backend gets ID with x-originating-ip and a PLAIN master login for the user', async () => {
  const c = await connect();
  c.send('a LOGIN {17}\r\n');
  assert.equal(await c.line(), '+ OK');
  c.send('alice@example.org {2}\r\n');
  assert.equal(await c.line(), '+ OK');
  c.send('pw\r\n');
  assert.equal(await c.line(), 'a OK [CAPABILITY IMAP4rev1 FAKECAP] Logged in');
  assert.deepEqual(await c.cmd('b', 'NOOP'), ['b OK echo NOOP']);
  const id = seenGood.find((l) => l.startsWith('P1 ID '))!;
  assert.match(id, /"x-originating-ip" "127\.0\.0\.1" "x-originating-port" "\d+" "x-connected-ip" "127\.0\.0\.1" "x-connected-port" "\d+" "x-session-id" "test-/);
  const auth = seenGood.find((l) => l.startsWith('P2 AUTHENTICATE PLAIN '))!;
  assert.equal(Buffer.from(auth.split(' ')[3]!, 'base64').toString(), 'alice@example.org\0proxy\0mpw');
  c.close();
});

test('before login: APPEND and other commands are refused, the session goes on; bad input never crashes it', async () => {
  const c = await connect();
  c.send('a APPEND INBOX {5}\r\n');
  assert.match(await c.line(), /^a BAD /);
  assert.match((await c.cmd('b', 'SELECT INBOX')).at(-1)!, /^b BAD /);
  c.send('\x00\x01garbage\r\n');
  assert.match(await c.line(), /BAD/);
  assert.deepEqual(await c.cmd('n', 'NOOP'), ['n OK NOOP completed.']);
  assert.match((await c.cmd('s', 'STARTTLS')).at(-1)!, /^s BAD TLS not available/);
  assert.match((await c.cmd('l', 'LOGOUT')).join('\n'), /\* BYE[\s\S]*l OK/);
});

test('directory TEMP gives NO [UNAVAILABLE]; an unknown home server and a refused master login too, without tripping the breaker', async () => {
  const c = await connect();
  temp = true;
  try { assert.match((await c.cmd('a', 'LOGIN alice@example.org pw')).at(-1)!, /^a NO \[UNAVAILABLE\] /); } finally { temp = false; }
  assert.match((await c.cmd('b', 'LOGIN carol@example.org pw')).at(-1)!, /^b NO \[UNAVAILABLE\] /);
  for (const t of ['c', 'd', 'e']) assert.match((await c.cmd(t, 'LOGIN bob@example.org pw')).at(-1)!, new RegExp(`^${t} NO \\[UNAVAILABLE\\] `));
  assert.equal(pool.breakerState('refusing.test'), 'closed');
  assert.match((await c.cmd('f', 'LOGIN alice@example.org wrong')).at(-1)!, /^f NO \[AUTHENTICATIONFAILED\] /);
  c.close();
});

test('user+IP limit (maxUserIp 2) and kick through the registry: * BYE and close', async () => {
  const a = await connect();
  const b = await connect();
  const x = await connect();
  assert.match((await a.cmd('a', 'LOGIN alice@example.org pw')).at(-1)!, /^a OK /);
  assert.match((await b.cmd('b', 'LOGIN alice@example.org pw')).at(-1)!, /^b OK /);
  assert.match((await x.cmd('x', 'LOGIN alice@example.org pw')).at(-1)!, /^x NO \[LIMIT\] /);
  const k = await registry.kick({ userMask: 'alice@*' });
  assert.equal(k.kicked, 2);
  for (const c of [a, b]) {
    assert.equal(await c.line(), '* BYE Disconnected by administrator.');
    await assert.rejects(c.line(2000), /closed/);
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(registry.localCount(), 0, 'sessions unregistered');
  x.close();
});
