// The proxy's login modes end to end (docs/login-modes.md): a backend mail node and proxy processes
// in high-security and high-performance mode, real sockets and Redis. Each mode serves IMAP logins
// through its login processes; the process_limit refusal and Dovecot's warning; SIGHUP keeps an
// established session; a killed login process loses only its own connections and the parent refills.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { USERS, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'login-modes-'));
const prefix = `test:login-modes:${randomBytes(4).toString('hex')}:`;
const procs: Proc[] = [];
const clients: RawClient[] = [];
let backendPort = 0;

before(async () => {
  writeUsers(dir);
  const a = startProc('mail', writeBackendConfig(dir, 'site-a.test'));
  procs.push(a);
  await a.waitFor(/ready/);
  backendPort = a.port('imap');
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

async function startProxy(name: string, env: Record<string, string>, redis = true, more: { pop3Backends?: Record<string, number> } = {}): Promise<Proc> {
  const p = startProc('proxy', writeProxyConfig(dir, name, { 'site-a.test': backendPort }, 'admin: { port: null }', more), {
    ...(redis ? { MAIL_REDIS__URL: 'redis://127.0.0.1:6379', MAIL_REDIS__PREFIX: JSON.stringify(prefix) } : {}), ...env,
  });
  procs.push(p);
  await p.waitFor(new RegExp(`^proxy node ${name} ready`, 'm'));
  return p;
}

/** Logs alice in through the proxy; returns the client and the pid of the login process serving it. */
async function login(proxy: Proc, tag = 'a'): Promise<{ c: RawClient; pid: number }> {
  const c = await RawClient.connect(proxy.port('imap'));
  clients.push(c);
  assert.match(await c.line(20_000), /^\* OK \[CAPABILITY /);
  assert.match((await c.cmd(tag, `LOGIN ${USERS.alice.user} ${USERS.alice.password}`, 15_000)).at(-1)!, new RegExp(`^${tag} OK `));
  const m = await proxy.waitFor(/"pid":(\d+),[^\n]*"service":"imap-login"[^\n]*"user":"alice@example\.org"[^\n]*"msg":"proxying"/, 10_000);
  return { c, pid: Number(m[1]) };
}

async function works(c: RawClient, tag: string): Promise<void> {
  const r = await c.cmd(tag, 'SELECT INBOX', 10_000);
  assert.match(r.at(-1)!, new RegExp(`^${tag} OK \\[READ-WRITE\\]`), r.join('\n'));
}

async function closedAfter(c: RawClient): Promise<string[]> {
  const rest: string[] = [];
  for (;;) { try { rest.push(await c.line(15_000)); } catch { break; } }
  assert.ok(c.closed, 'connection closed');
  return rest;
}

test('high-security: one login process per connection (IMAP and implicit TLS); process_limit refuses with * BYE and Dovecot\'s warning; a killed login process loses only its connection; SIGHUP keeps sessions', async () => {
  const proxy = await startProxy('hs', { MAIL_PROXY__LOGINMODE: 'high-security', MAIL_PROXY__IMAPPROCESSLIMIT: '3', MAIL_PROXY__PROCESSMINAVAIL: '1' });
  assert.match(proxy.out(), /login mode: high-security/);
  const one = await login(proxy, 'a');
  const two = await login(proxy, 'b');
  assert.notEqual(one.pid, two.pid, 'each connection has a login process of its own');
  await works(one.c, 's1');
  // Implicit TLS: the handshake runs in the login process too.
  const tls = await RawClient.connect(proxy.port('imaps'), true);
  clients.push(tls);
  assert.match(await tls.line(20_000), /^\* OK /);
  // Three connections = process_limit: the fourth gets the clean refusal, and the warning is logged.
  const four = await RawClient.connect(proxy.port('imap'));
  clients.push(four);
  assert.equal(await four.line(), '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.');
  await closedAfter(four);
  await proxy.waitFor(/"service":"imap-login"[^\n]*"msg":"service\(imap-login\): process_limit \(3\) reached, client connections are being dropped"/, 5000);
  tls.close();
  // kill -9 of one login process: its client is disconnected, the other session goes on.
  process.kill(one.pid, 'SIGKILL');
  await closedAfter(one.c);
  await works(two.c, 's2');
  // SIGHUP: the established session stays; new connections are served by new processes.
  proxy.child.kill('SIGHUP');
  await proxy.waitFor(/reload: new login processes use the new configuration/, 15_000);
  await works(two.c, 's3');
  const three = await login(proxy, 'c');
  assert.ok(![one.pid, two.pid].includes(three.pid));
  await works(three.c, 's4');
  await proxy.stop();
});

test('high-performance: process_min_avail processes share the connections (least loaded); process_limit x client_limit holds; SIGHUP keeps sessions; a killed process is replaced', async () => {
  const proxy = await startProxy('hp', {
    MAIL_PROXY__LOGINMODE: 'high-performance', MAIL_PROXY__PROCESSMINAVAIL: '2', MAIL_PROXY__IMAPPROCESSLIMIT: '2', MAIL_PROXY__IMAPCLIENTLIMIT: '2',
  });
  assert.match(proxy.out(), /login mode: high-performance/);
  const s = [await login(proxy, 'a'), await login(proxy, 'b'), await login(proxy, 'c'), await login(proxy, 'd')];
  const pids = new Set(s.map((x) => x.pid));
  assert.equal(pids.size, 2, 'two login processes, two connections each');
  const fifth = await RawClient.connect(proxy.port('imap'));
  clients.push(fifth);
  assert.equal(await fifth.line(), '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.');
  await proxy.waitFor(/service\(imap-login\): process_limit \(2\) reached, client connections are being dropped/, 5000);
  // SIGHUP with raised limits: the four sessions stay in their (old) processes.
  proxy.child.kill('SIGHUP');
  await proxy.waitFor(/reload: new login processes use the new configuration/, 15_000);
  for (const [i, x] of s.entries()) await works(x.c, `r${i}`);
  // Kill one old process: only its two sessions end; the others keep working.
  const victim = s[0]!.pid;
  process.kill(victim, 'SIGKILL');
  for (const x of s.filter((y) => y.pid === victim)) await closedAfter(x.c);
  await proxy.waitFor(new RegExp(`login process ${victim} died \\(SIGKILL\\); its 2 connection\\(s\\) are lost`), 5000);
  for (const [i, x] of s.filter((y) => y.pid !== victim).entries()) await works(x.c, `k${i}`);
  // The old processes hold 2 connections; new processes (new generation) take new ones.
  const fresh = await login(proxy, 'e');
  assert.ok(!pids.has(fresh.pid), 'served by a process started after the reload');
  await works(fresh.c, 'f');
  const metrics = await (await fetch(`http://127.0.0.1:${proxy.port('http')}/metrics`)).text();
  assert.match(metrics, /mail_login_processes\{service="imap-login"\} [1-9]/);
  assert.match(metrics, /mail_proxy_logins_total\{protocol="imap",result="ok"\} [1-9]/, 'login processes\' metrics aggregated');
  await proxy.stop();
});

test('limits that cannot hold together are warned at start and at reload (Dovecot config checker style); pop3-login process_limit answers -ERR [SYS/TEMP]', async () => {
  // The POP3 backend is never reached: the refusal comes before any login.
  const proxy = await startProxy('warn', { MAIL_PROXY__LOGINMODE: 'high-security', MAIL_PROXY__IMAPPROCESSLIMIT: '100000', MAIL_PROXY__PROCESSMINAVAIL: '1', MAIL_PROXY__POP3PROCESSLIMIT: '1' },
    false, { pop3Backends: { 'site-a.test': 1 } });
  const warning = /"level":40[^\n]*"msg":"config: Warning: high-security login mode: service\(imap-login\) \{ process_limit=100000 \}, service\(pop3-login\) \{ process_limit=1 \} need about [\d.]+ GB under max\. load/;
  assert.match(proxy.out(), warning);
  assert.match(proxy.out(), /config: Warning: mail_max_userip_connections needs redis\.url in high-security login mode/);
  // A login works in this mode without Redis too.
  const x = await login(proxy, 'a');
  await works(x.c, 's');
  const p1 = await RawClient.connect(proxy.port('pop3'));
  clients.push(p1);
  assert.match(await p1.line(20_000), /^\+OK /);
  const p2 = await RawClient.connect(proxy.port('pop3'));
  clients.push(p2);
  assert.equal(await p2.line(20_000), '-ERR [SYS/TEMP] Maximum number of connections reached, try again later.');
  await proxy.waitFor(/service\(pop3-login\): process_limit \(1\) reached, client connections are being dropped/, 5000);
  proxy.child.kill('SIGHUP');
  await proxy.waitFor(warning, 5000);
  await proxy.stop();
});
