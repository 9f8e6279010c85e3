/**
 * Issue 2 (cores): a mail node with node.workers = 2 serves IMAP and POP3 from two worker processes
 * behind the primary's listeners, and stays one node: who lists the sessions of both workers (with
 * the serving pid), kick closes them, the per-user-and-IP limit holds across the workers, an APPEND in
 * one worker reaches an IDLE session in the other within a second, SIGHUP reloads every worker without
 * dropping sessions, /metrics sums the workers, a killed worker is replaced (its sessions leave the
 * registry), and SIGTERM ends the workers too.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { RawClient, message } from '../../libs/imap-server/src/testing.js';
import { loadConfig } from '../../libs/config/src/load.js';
import { startService, type Service } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mailnode-workers-'));
writeFileSync(join(dir, 'users.yaml'), `users:
  alice@example.org:
    password: "${hashPassword('alicepw')}"
  bob@example.org:
    password: "${hashPassword('bobpw')}"
`);
const configPath = join(dir, 'mailnode.yaml');
writeFileSync(configPath, `node: { hostname: workers.test, dataDir: data, workers: 2 }
directory: { path: users.yaml }
storage: { fsync: false }
imap: { host: 127.0.0.1, port: 0, tlsPort: 0, allowPlaintextAuth: true, maxUserIpConnections: 3 }
pop3: { host: 127.0.0.1, port: 0, tlsPort: null, allowPlaintextAuth: true }
http: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, apiKey: test-key-123 }
log: { level: info }
`);

let svc: Service;
const ports: Record<string, number> = {};
const clients: RawClient[] = [];
const PASS: Record<string, string> = { 'alice@example.org': 'alicepw', 'bob@example.org': 'bobpw' };

before(async () => {
  svc = startService(['--config', configPath]);
  await svc.waitFor(/ready/, 60_000);
  for (const m of svc.stdout().matchAll(/^listening (\S+) 127\.0\.0\.1:(\d+)$/gm)) ports[m[1]!] = Number(m[2]);
});

after(async () => {
  for (const c of clients) c.close();
  if (svc.child.exitCode === null && svc.child.signalCode === null) { svc.child.kill('SIGKILL'); await svc.exited; }
  rmSync(dir, { recursive: true, force: true });
});

async function login(user: string, implicitTls = false): Promise<RawClient> {
  const c = await RawClient.connect(implicitTls ? ports.imaps! : ports.imap!, implicitTls);
  clients.push(c);
  assert.match(await c.line(), /^\* OK/);
  const r = await c.cmd('L', `LOGIN ${user} ${PASS[user]}`);
  assert.match(r.at(-1)!, /^L OK/, r.join('|'));
  return c;
}

interface Session { id: string; user: string; pid?: number; node: string }

async function admin(method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${ports.admin}${path}`, {
    method, headers: { authorization: 'Bearer test-key-123', 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Record<string, unknown>;
}

const who = async (mask: string) => ((await admin('GET', `/v1/who?mask=${encodeURIComponent(mask)}`)).sessions as Session[]);

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    assert.ok(Date.now() - t0 < ms, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Every test starts with no sessions: the user+IP limit (3) counts across tests otherwise.
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (svc.child.exitCode === null) await until('sessions of the test gone', async () => (await who('*')).length === 0);
});

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('logins spread over two worker pids; who lists both workers; the user+IP limit holds across them; kick closes them', async () => {
  const a = [await login('alice@example.org'), await login('alice@example.org', true), await login('alice@example.org')];
  const sessions = await who('alice@example.org');
  assert.equal(sessions.length, 3);
  const pids = new Set(sessions.map((s) => s.pid));
  assert.equal(pids.size, 2, `sessions on two worker processes: ${JSON.stringify(sessions)}`);
  assert.ok(!pids.has(svc.child.pid), 'the primary serves no IMAP session itself');
  assert.ok(sessions.every((s) => s.node === 'workers.test'), 'one node name for every worker');

  // maxUserIpConnections 3, taken on both workers: the 4th login is refused whichever worker gets it.
  const fourth = await RawClient.connect(ports.imap!);
  clients.push(fourth);
  await fourth.line();
  const r = await fourth.cmd('L', 'LOGIN alice@example.org alicepw');
  assert.match(r.at(-1)!, /^L NO \[LIMIT\]/);

  const kicked = await admin('POST', '/v1/kick', { mask: 'alice@*' });
  assert.equal(kicked.kicked, 3);
  for (const c of a) {
    const lines: string[] = [];
    try { for (;;) lines.push(await c.line(3_000)); } catch { /* closed */ }
    assert.ok(lines.some((l) => /^\* BYE/.test(l)), `kicked session got BYE: ${lines.join('|')}`);
  }
  await until('kicked sessions leave the registry', async () => (await who('alice@example.org')).length === 0);
  // A freed slot is usable again.
  await login('alice@example.org');
});

test('an APPEND in one worker reaches an IDLE session in the other within a second', async () => {
  const idler = await login('bob@example.org');
  const writer = await login('bob@example.org');
  const s = await who('bob@example.org');
  assert.equal(new Set(s.map((x) => x.pid)).size, 2, `the two sessions are on different workers: ${JSON.stringify(s)}`);
  const sel = await idler.cmd('S', 'SELECT INBOX');
  const exists = Number(/\* (\d+) EXISTS/.exec(sel.join('\n'))![1]);
  idler.send('I IDLE\r\n');
  assert.match(await idler.line(), /^\+ /);
  const msg = message('across workers');
  writer.send(`A APPEND INBOX {${Buffer.byteLength(msg)}}\r\n`);
  assert.match(await writer.line(), /^\+ /);
  writer.send(`${msg}\r\n`);
  const appended = await writer.until('A');
  assert.match(appended.at(-1)!, /^A OK/);
  const t0 = Date.now();
  assert.equal(await idler.line(1_000), `* ${exists + 1} EXISTS`);
  assert.ok(Date.now() - t0 < 1_000);
  idler.send('DONE\r\n');
  assert.match((await idler.until('I')).at(-1)!, /^I OK/);
});

test('POP3 is served by the workers; /metrics sums the workers\' counters', async () => {
  const sock = net.connect(ports.pop3!, '127.0.0.1');
  const lines: string[] = [];
  let buf = '';
  sock.on('data', (d) => { buf += d.toString(); let i; while ((i = buf.indexOf('\r\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 2); } });
  const next = async () => { await until('POP3 line', () => lines.length > 0); return lines.shift()!; };
  assert.match(await next(), /^\+OK/);
  sock.write('USER bob@example.org\r\n'); assert.match(await next(), /^\+OK/);
  sock.write('PASS bobpw\r\n'); assert.match(await next(), /^\+OK/);
  sock.write('QUIT\r\n'); assert.match(await next(), /^\+OK/);
  sock.destroy();
  const text = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
  const ok = /^imap_logins_total\{result="ok"\} (\d+)/m.exec(text);
  assert.ok(ok && Number(ok[1]) >= 6, `IMAP logins of both workers summed: ${ok?.[0]}`);
  assert.match(text, /^pop3_logins_total\{result="ok"\} [1-9]/m);
});

test('the admin\'s auth cache flush empties the workers\' caches', async () => {
  await login('alice@example.org'); // a worker caches alice's login; the primary never authenticated her
  const r = await admin('POST', '/v1/auth/cache/flush', { users: ['alice@example.org'] });
  assert.ok(typeof r.flushed === 'number' && r.flushed >= 1, `a worker's entry was flushed: ${JSON.stringify(r)}`);
});

test('node.workers: auto, a count, or an error naming the key', () => {
  const env = { environment: { isRoot: false, hostname: 'h' } };
  assert.equal(loadConfig(null, {}, env).config!.node.workers, 1, 'default: one process');
  assert.equal(loadConfig(null, { MAIL_NODE__WORKERS: 'auto' }, env).config!.node.workers, 'auto');
  assert.equal(loadConfig(null, { MAIL_NODE__WORKERS: '4' }, env).config!.node.workers, 4);
  const bad = loadConfig(null, { MAIL_NODE__WORKERS: '0' }, env);
  assert.equal(bad.config, null);
  assert.match(bad.errors.join('\n'), /node\.workers.*auto, or integer 1\.\.256/);
});

test('SIGHUP reloads the primary and every worker; sessions stay', async () => {
  const c = await login('bob@example.org');
  const before = (svc.stdout().match(/"msg":"reload done"/g) ?? []).length;
  svc.child.kill('SIGHUP');
  await until('three reloads (primary + 2 workers)', () => (svc.stdout().match(/"msg":"reload done"/g) ?? []).length >= before + 3);
  assert.match((await c.cmd('N', 'NOOP')).at(-1)!, /^N OK/);
  assert.equal(svc.child.exitCode, null);
});

test('a killed worker is restarted; its sessions leave the registry; new logins work', async () => {
  const c = await login('bob@example.org');
  const mine = (await who('bob@example.org')).at(-1)!;
  assert.ok(mine.pid && mine.pid !== svc.child.pid);
  const victim = mine.pid!;
  process.kill(victim, 'SIGKILL');
  await assert.rejects(async () => { for (;;) await c.line(3_000); }, /closed/);
  await svc.waitFor(new RegExp(`worker \\d \\(pid ${victim}\\) died \\(SIGKILL\\)`), 5_000);
  const restarted = await svc.waitFor(/worker (\d) restarted \(pid (\d+)\)/, 10_000);
  const fresh = Number(restarted[2]);
  assert.ok(alive(fresh));
  await until('the dead worker\'s sessions leave who', async () => (await who('*')).every((s) => s.pid !== victim));
  // Both live workers take logins again.
  const pids = new Set<number>();
  for (const u of ['alice@example.org', 'bob@example.org', 'alice@example.org', 'bob@example.org']) await login(u);
  for (const s of await who('*')) if (s.pid) pids.add(s.pid);
  assert.ok(pids.has(fresh), `the new worker serves sessions: ${[...pids].join(',')}`);
});

test('SIGTERM stops the primary and its workers', async () => {
  const c = [await login('alice@example.org'), await login('bob@example.org')];
  const pids = [...new Set((await who('*')).map((s) => s.pid!))];
  assert.equal(pids.length, 2);
  svc.child.kill('SIGTERM');
  for (const x of c) assert.match(await x.line(5_000), /^\* BYE/, 'each worker says BYE to its sessions');
  assert.equal(await svc.exited, 0);
  await until('workers gone', () => pids.every((p) => !alive(p)));
});
