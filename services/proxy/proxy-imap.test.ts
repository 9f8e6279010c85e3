// The IMAP login proxy end to end: two backend mail nodes (site-a.test, site-b.test) as processes with
// separate mail roots, a proxy process in front, real imapflow and raw clients, real Redis registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { placeUser } from '../../libs/routing/src/index.js';
import { RedisRegistry } from '../../libs/registry/src/index.js';
import { USERS, mailFiles, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-imap-'));
const prefix = `test:proxy:${randomBytes(4).toString('hex')}:`;
const procs: Proc[] = [];
let siteA: Proc;
let siteB: Proc;
let proxy: Proc;
let portA = 0;
let portB = 0;
let proxyPort = 0;

before(async () => {
  writeUsers(dir);
  siteA = startProc('mail', writeBackendConfig(dir, 'site-a.test'));
  siteB = startProc('mail', writeBackendConfig(dir, 'site-b.test'));
  procs.push(siteA, siteB);
  await Promise.all([siteA.waitFor(/ready/), siteB.waitFor(/ready/)]);
  portA = siteA.port('imap');
  portB = siteB.port('imap');
  // One login process: the circuit breaker is per login process (docs/login-modes.md), and the test counts failures.
  proxy = startProc('proxy', writeProxyConfig(dir, 'proxy1', { 'site-a.test': portA, 'site-b.test': portB }, 'imap: { maxUserIpConnections: 2 }'),
    { MAIL_REDIS__URL: 'redis://127.0.0.1:6379', MAIL_REDIS__PREFIX: JSON.stringify(prefix), MAIL_PROXY__PROCESSMINAVAIL: '1' });
  procs.push(proxy);
  await proxy.waitFor(/^proxy node proxy1 ready/m);
  proxyPort = proxy.port('imap');
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

function flow(user: { user: string; password: string }, port = proxyPort): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: user.user, pass: user.password }, logger: false });
}

async function appendVia(user: { user: string; password: string }, subject: string): Promise<void> {
  const c = flow(user);
  await c.connect();
  await c.append('INBOX', `From: t@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`);
  await c.logout();
}

const filesOf = (site: string, local: string) => mailFiles(join(dir, site, 'mail', 'example.org', local));

test('imapflow through the proxy lands on the home server: alice on site-a, bob on site-b, carol placed by hash', async () => {
  await appendVia(USERS.alice, 'for alice');
  await appendVia(USERS.bob, 'for bob');
  await appendVia(USERS.carol, 'for carol');
  assert.equal(filesOf('site-a.test', 'alice').length, 1);
  assert.equal(filesOf('site-b.test', 'alice').length, 0);
  assert.equal(filesOf('site-b.test', 'bob').length, 1);
  assert.equal(filesOf('site-a.test', 'bob').length, 0);
  const carolHome = placeUser(USERS.carol.user, ['site-a.test', 'site-b.test'])!;
  const other = carolHome === 'site-a.test' ? 'site-b.test' : 'site-a.test';
  assert.equal(filesOf(carolHome, 'carol').length, 1, `carol placed on ${carolHome}`);
  assert.equal(filesOf(other, 'carol').length, 0);
  // Placement is stable: the second append goes to the same backend.
  await appendVia(USERS.carol, 'again');
  assert.equal(filesOf(carolHome, 'carol').length, 2);
});

const capsOf = (lines: string[]) => lines.find((l) => l.startsWith('* CAPABILITY '))!.slice(13).split(' ').sort();

test('implicit TLS (imaps) through the proxy with imapflow', async () => {
  const c = new ImapFlow({ host: '127.0.0.1', port: proxy.port('imaps'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: USERS.alice.user, pass: USERS.alice.password }, logger: false });
  await c.connect();
  const st = await c.status('INBOX', { messages: true });
  assert.equal(st && st.messages, 1);
  await c.logout();
});

test('pre-login CAPABILITY (greeting and command) matches the backend\'s; after login the client gets the backend\'s CAPABILITY', async () => {
  const p = await RawClient.connect(proxyPort);
  const b = await RawClient.connect(portA);
  const pg = await p.line();
  const bg = await b.line();
  const codeCaps = (g: string) => /\[CAPABILITY ([^\]]+)\]/.exec(g)![1]!.split(' ').sort();
  assert.deepEqual(codeCaps(pg), codeCaps(bg));
  assert.deepEqual(capsOf(await p.cmd('c', 'CAPABILITY')), capsOf(await b.cmd('c', 'CAPABILITY')));
  const pl = (await p.cmd('l', `LOGIN ${USERS.alice.user} ${USERS.alice.password}`)).at(-1)!;
  const bl = (await b.cmd('l', `LOGIN ${USERS.alice.user} ${USERS.alice.password}`)).at(-1)!;
  assert.match(pl, /^l OK \[CAPABILITY /);
  assert.deepEqual(codeCaps(pl), codeCaps(bl));
  assert.ok(!codeCaps(pl).includes('STARTTLS') && !codeCaps(pl).some((c) => c.startsWith('AUTH=')), 'post-login list');
  assert.deepEqual(capsOf(await p.cmd('c2', 'CAPABILITY')), capsOf(await b.cmd('c2', 'CAPABILITY')), 'CAPABILITY after login is relayed to the backend');
  p.close(); b.close();
});

test('commands pipelined behind LOGIN are relayed to the backend', async () => {
  const p = await RawClient.connect(proxyPort);
  await p.line();
  p.send(`a LOGIN ${USERS.bob.user} ${USERS.bob.password}\r\nb SELECT INBOX\r\nc FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\nd LOGOUT\r\n`);
  assert.match((await p.until('a')).at(-1)!, /^a OK /);
  const sel = await p.until('b');
  assert.match(sel.at(-1)!, /^b OK \[READ-WRITE\]/);
  assert.ok(sel.some((l) => /^\* 1 EXISTS$/.test(l)), sel.join('\n'));
  const f = await p.until('c');
  assert.match(f.join('\n'), /Subject: for bob/);
  assert.match((await p.until('d')).at(-1)!, /^d OK /);
});

test('wrong password and unknown user get the same NO [AUTHENTICATIONFAILED]; commands other than login are refused before login; AUTHENTICATE PLAIN with SASL-IR', async () => {
  const p = await RawClient.connect(proxyPort);
  await p.line();
  const wrong = (await p.cmd('a', `LOGIN ${USERS.alice.user} nope`)).at(-1)!;
  const unknown = (await p.cmd('b', 'LOGIN nobody@example.org nope')).at(-1)!;
  assert.equal(wrong, 'a NO [AUTHENTICATIONFAILED] Authentication failed.');
  assert.equal(unknown, 'b NO [AUTHENTICATIONFAILED] Authentication failed.');
  assert.match((await p.cmd('c', 'SELECT INBOX')).at(-1)!, /^c BAD /);
  p.close();
  // AUTHENTICATE PLAIN with SASL-IR works too.
  const q = await RawClient.connect(proxyPort);
  await q.line();
  const ir = Buffer.from(`\0${USERS.alice.user}\0${USERS.alice.password}`).toString('base64');
  assert.match((await q.cmd('a', `AUTHENTICATE PLAIN ${ir}`)).at(-1)!, /^a OK \[CAPABILITY /);
  q.close();
});

test('STARTTLS through the proxy: pipelined plaintext after STARTTLS is discarded, login works over TLS', async () => {
  const p = await RawClient.connect(proxyPort);
  await p.line();
  p.send('s STARTTLS\r\nx LOGIN injected nope\r\n');
  assert.equal(await p.line(), 's OK Begin TLS negotiation now.');
  await p.startTls();
  const caps = await p.cmd('c', 'CAPABILITY');
  assert.match(caps.join('\n'), /AUTH=PLAIN/);
  assert.ok(!caps.some((l) => l.startsWith('x ')), `the plaintext command pipelined behind STARTTLS was not run: ${caps.join('\n')}`);
  assert.ok(!caps.join(' ').includes('STARTTLS'), 'no STARTTLS after TLS');
  assert.match((await p.cmd('a', `LOGIN ${USERS.alice.user} ${USERS.alice.password}`)).at(-1)!, /^a OK /);
  assert.match((await p.cmd('n', 'NOOP')).at(-1)!, /^n OK /);
  p.close();
});

test('the backend sees the client\'s address (ID x-originating-ip from a trusted proxy) in its logs', async () => {
  const sock = net.connect({ host: '127.0.0.1', port: proxyPort, localAddress: '127.0.0.7' });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const p = new RawClient(sock);
  await p.line();
  assert.match((await p.cmd('a', `LOGIN ${USERS.alice.user} ${USERS.alice.password}`)).at(-1)!, /^a OK /);
  await siteA.waitFor(/"client":"127\.0\.0\.7"[^\n]*"user":"alice@example\.org"[^\n]*logged in/, 5000);
  p.close();
});

test('user+IP limit holds across two proxy processes (Redis registry); who lists them; kick closes a proxied session', async () => {
  const proxy2 = startProc('proxy', writeProxyConfig(dir, 'proxy2', { 'site-a.test': portA, 'site-b.test': portB }, 'imap: { maxUserIpConnections: 2 }'),
    { MAIL_REDIS__URL: 'redis://127.0.0.1:6379', MAIL_REDIS__PREFIX: JSON.stringify(prefix) });
  procs.push(proxy2);
  await proxy2.waitFor(/^proxy node proxy2 ready/m);
  const port2 = proxy2.port('imap');
  const login = async (port: number, tag: string) => {
    const c = await RawClient.connect(port);
    await c.line();
    return { c, reply: (await c.cmd(tag, `LOGIN ${USERS.bob.user} ${USERS.bob.password}`)).at(-1)! };
  };
  const one = await login(proxyPort, 'a');
  const two = await login(port2, 'b');
  assert.match(one.reply, /^a OK /);
  assert.match(two.reply, /^b OK /);
  const three = await login(port2, 'c');
  assert.match(three.reply, /^c NO \[LIMIT\] /);
  three.c.close();
  const reg = await RedisRegistry.open({ node: 'test-admin', url: 'redis://127.0.0.1:6379', prefix: `${prefix}reg:` });
  try {
    const who = await reg.list({ userMask: 'bob@*' });
    assert.equal(who.length, 2, JSON.stringify(who));
    assert.equal(new Set(who.map((s) => s.node)).size, 2, 'one session on each proxy');
    assert.ok(who.every((s) => s.proxy === true && s.service === 'imap'));
    const k = await reg.kick({ userMask: 'bob@example.org' });
    assert.equal(k.kicked, 2);
    for (const { c } of [one, two]) {
      const rest: string[] = [];
      for (;;) { try { rest.push(await c.line(5000)); } catch { break; } }
      assert.ok(c.closed, 'connection closed by kick');
      assert.ok(rest.some((l) => l.startsWith('* BYE')), rest.join('\n'));
    }
    // The slots are free again.
    await new Promise((r) => setTimeout(r, 300));
    const again = await login(proxyPort, 'd');
    assert.match(again.reply, /^d OK /);
    again.c.close();
  } finally {
    await reg.close();
    await proxy2.stop();
  }
});

test('backend killed mid-session closes the client; then NO [UNAVAILABLE], the breaker opens, and closes after the cool-down once the backend is back', async () => {
  const p = await RawClient.connect(proxyPort);
  await p.line();
  assert.match((await p.cmd('a', `LOGIN ${USERS.bob.user} ${USERS.bob.password}`)).at(-1)!, /^a OK /);
  await siteB.stop('SIGKILL');
  for (;;) { try { await p.line(5000); } catch { break; } }
  assert.ok(p.closed, 'client connection closed when its backend died');
  const tryLogin = async (u: { user: string; password: string }) => {
    const c = await RawClient.connect(proxyPort);
    await c.line();
    const r = (await c.cmd('t', `LOGIN ${u.user} ${u.password}`)).at(-1)!;
    c.close();
    return r;
  };
  assert.match(await tryLogin(USERS.bob), /^t NO \[UNAVAILABLE\] /);
  assert.match(await tryLogin(USERS.bob), /^t NO \[UNAVAILABLE\] /);
  await proxy.waitFor(/"backend":"site-b\.test"[^\n]*"state":"open"[^\n]*circuit breaker open/, 5000);
  // Site A users are unaffected.
  assert.match(await tryLogin(USERS.alice), /^t OK /);
  // Back on the same port; after the cool-down the probe closes the breaker.
  siteB = startProc('mail', writeBackendConfig(dir, 'site-b.test', portB));
  procs.push(siteB);
  await siteB.waitFor(/ready/);
  await new Promise((r) => setTimeout(r, 1600));
  assert.match(await tryLogin(USERS.bob), /^t OK /);
  await proxy.waitFor(/"backend":"site-b\.test"[^\n]*circuit breaker closed/, 5000);
  const metrics = await (await fetch(`http://127.0.0.1:${proxy.port('http')}/metrics`)).text();
  assert.match(metrics, /mail_proxy_backend_breaker_state\{protocol="imap",backend="site-b\.test"\} 0/);
  assert.match(metrics, /mail_proxy_logins_total\{protocol="imap",result="unavailable"\} [1-9]/);
  assert.match(metrics, /mail_proxy_backend_failures_total\{protocol="imap",backend="site-b\.test"\} [1-9]/);
});
