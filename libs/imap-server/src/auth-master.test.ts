// IMAP with the shared SASL policy (deps.sasl): plaintext from trusted networks without TLS, and
// master-user login for proxies (issue 3 SASL, issue 6) only from the master networks.
// "user*master" is sent quoted: * is an atom-special (RFC 3501 §9).
// Source addresses 127.0.0.1/.2/.3 (all loopback on Linux) stand for three kinds of client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../maildir/src/index.js';
import { SaslAuthenticator } from '../../sasl/src/index.js';
import type { UserRecord } from '../../directory/src/types.js';
import { ImapServer } from './index.js';
import { RawClient, TestDirectory, testCert } from './testing.js';

const UNTRUSTED = '127.0.0.1';
const TRUSTED = '127.0.0.2';
const PROXY = '127.0.0.3';
let server: ImapServer;
let port = 0;
let tlsPort = 0;
let dir = '';
let store: MaildirStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imap-master-'));
  const { key, cert } = await testCert();
  const directory = new TestDirectory();
  store = new MaildirStore({ hostname: 'test.host', fsync: false });
  const sasl = new SaslAuthenticator<UserRecord>(directory, {
    allowPlaintext: false, trustedNetworks: [`${TRUSTED}/32`, `${PROXY}/32`], masterSeparator: '*',
    masterUsers: { proxy: 'hash-of-masterpw' }, masterNetworks: [`${PROXY}/32`],
  }, async (pw, stored) => stored === `hash-of-${pw}`);
  server = new ImapServer({
    store, directory, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), metrics: new Registry(),
    tls: tls.createSecureContext({ key, cert }), sasl,
    config: {
      hostname: 'imap.test', allowPlaintextAuth: false,
      mailHome: (u) => join(dir, u.user.split('@')[1]!, u.user.split('@')[0]!),
      autoMailboxes: {}, specialUse: {}, maxMessageSize: 1 << 20, idleTimeoutMs: 30 * 60 * 1000, maxUserIpConnections: 50,
    },
  });
  port = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  tlsPort = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: true });
});

after(async () => {
  await server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function connectFrom(localAddress: string, implicitTls = false): Promise<{ c: RawClient; greeting: string }> {
  const raw = net.connect({ host: '127.0.0.1', port: implicitTls ? tlsPort : port, localAddress });
  await new Promise<void>((resolve, reject) => { raw.once('connect', () => resolve()); raw.once('error', reject); });
  let sock: net.Socket = raw;
  if (implicitTls) {
    const t = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => { t.once('secureConnect', () => resolve()); t.once('error', reject); });
    sock = t;
  }
  const c = new RawClient(sock);
  return { c, greeting: await c.line() };
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('untrusted network without TLS: LOGINDISABLED and PRIVACYREQUIRED (RFC 3501 §6.2.3), even for a master login', async () => {
  const { c, greeting } = await connectFrom(UNTRUSTED);
  assert.match(greeting, /LOGINDISABLED/);
  assert.match((await c.cmd('a', 'LOGIN alice@example.org alicepw')).at(-1)!, /^a NO \[PRIVACYREQUIRED\]/);
  assert.match((await c.cmd('b', 'LOGIN "alice@example.org*proxy" masterpw')).at(-1)!, /^b NO \[PRIVACYREQUIRED\]/);
  c.close();
});

test('trusted network: plaintext LOGIN without TLS works and is advertised', async () => {
  const { c, greeting } = await connectFrom(TRUSTED);
  assert.doesNotMatch(greeting, /LOGINDISABLED/);
  assert.match(greeting, /AUTH=PLAIN/);
  assert.match((await c.cmd('a', 'LOGIN alice@example.org alicepw')).at(-1)!, /^a OK /);
  c.close();
});

test('master user "user*master" and PLAIN authzid from the proxy network log in as the user', async () => {
  const { c } = await connectFrom(PROXY);
  assert.match((await c.cmd('a', 'LOGIN "bob@example.org*proxy" masterpw')).at(-1)!, /^a OK /);
  assert.match((await c.cmd('b', 'SELECT INBOX')).at(-1)!, /^b OK /);
  assert.ok(existsSync(join(dir, 'example.org', 'bob')), 'the session is bob\'s: his mail home was opened');
  assert.ok(!existsSync(join(dir, 'example.org', 'proxy')));
  c.close();
  const d = (await connectFrom(PROXY)).c;
  assert.match((await d.cmd('a', `AUTHENTICATE PLAIN ${b64('alice@example.org\0proxy\0masterpw')}`)).at(-1)!, /^a OK /);
  c.close();
  d.close();
});

test('master user refused from a trusted non-proxy network, over TLS from outside, with a wrong password, and for nonexistent users', async () => {
  const t = (await connectFrom(TRUSTED)).c;
  assert.match((await t.cmd('a', 'LOGIN "alice@example.org*proxy" masterpw')).at(-1)!, /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await t.cmd('b', `AUTHENTICATE PLAIN ${b64('alice@example.org\0proxy\0masterpw')}`)).at(-1)!, /^b NO \[AUTHENTICATIONFAILED\]/);
  t.close();
  const s = (await connectFrom(UNTRUSTED, true)).c;
  assert.match((await s.cmd('a', 'LOGIN "alice@example.org*proxy" masterpw')).at(-1)!, /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await s.cmd('b', 'LOGIN alice@example.org alicepw')).at(-1)!, /^b OK /, 'an ordinary login over TLS still works');
  s.close();
  const p = (await connectFrom(PROXY)).c;
  assert.match((await p.cmd('a', 'LOGIN "ghost@example.org*proxy" masterpw')).at(-1)!, /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await p.cmd('b', 'LOGIN "alice@example.org*proxy" alicepw')).at(-1)!, /^b NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await p.cmd('c', `AUTHENTICATE PLAIN ${b64('ghost@example.org\0proxy\0masterpw')}`)).at(-1)!, /^c NO \[AUTHENTICATIONFAILED\]/);
  assert.ok(!existsSync(join(dir, 'example.org', 'ghost')));
  p.close();
});
