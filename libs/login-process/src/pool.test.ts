// The login process pool with real processes and real sockets: high-performance spreads connections
// over process_min_avail processes and starts more when they are full; high-security gives each
// connection a process of its own; the limits refuse cleanly with Dovecot's warning; reload and dead
// processes keep the other connections.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { LoginProcessPool, type LoginMode } from './pool.js';

const script = new URL('./testing-worker.js', import.meta.url);
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups) await c(); });

interface Logged { level: string; msg: string; o: object }

async function setup(mode: LoginMode, processLimit: number, clientLimit: number, processMinAvail: number) {
  const logs: Logged[] = [];
  const logger = {
    info: (o: object, msg: string) => logs.push({ level: 'info', o, msg }),
    warn: (o: object, msg: string) => logs.push({ level: 'warn', o, msg }),
    error: (o: object, msg: string) => logs.push({ level: 'error', o, msg }),
  };
  const pool = new LoginProcessPool({ mode, processLimit, clientLimit, processMinAvail, service: 'imap-login', protocol: 'imap', script, args: [mode, 'g0'], logger });
  await pool.start();
  const server = net.createServer({ pauseOnConnect: true }, (s) => pool.dispatch(s, false));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const socks: net.Socket[] = [];
  cleanups.push(async () => { for (const s of socks) s.destroy(); server.close(); await pool.close(); });
  return { pool, port, logs, socks };
}

/** Connects and returns the first line (the greeting, or the refusal). */
async function connect(port: number, socks: net.Socket[]): Promise<{ sock: net.Socket; first: string; closed: Promise<void> }> {
  const sock = net.connect(port, '127.0.0.1');
  socks.push(sock);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.on('error', () => undefined);
  let buf = '';
  const first = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no line; got ${JSON.stringify(buf)}`)), 15_000);
    sock.on('data', (d) => { buf += d.toString(); const i = buf.indexOf('\r\n'); if (i >= 0) { clearTimeout(t); resolve(buf.slice(0, i)); } });
  });
  return { sock, first, closed };
}

const pidOf = (greeting: string) => Number(/^hello (\d+)/.exec(greeting)![1]);

async function echo(sock: net.Socket, text: string): Promise<string> {
  return new Promise((resolve) => { sock.once('data', (d) => resolve(d.toString())); sock.write(text); });
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('condition not met in time'); await new Promise((r) => setTimeout(r, 20)); }
}

test('high-performance: connections go to the least-loaded of process_min_avail processes; more start when they are full; process_limit refuses with * BYE and the Dovecot warning', async () => {
  const { pool, port, logs, socks } = await setup('high-performance', 3, 2, 2);
  assert.equal(pool.stats().processes, 2);
  const conns = [];
  for (let i = 0; i < 4; i++) conns.push(await connect(port, socks));
  const pids = conns.map((c) => pidOf(c.first));
  assert.equal(new Set(pids).size, 2, `4 connections over the 2 started processes: ${pids}`);
  // Both full (client_limit 2): a third process starts for the fifth and sixth.
  const fifth = await connect(port, socks);
  assert.ok(!pids.includes(pidOf(fifth.first)), 'a new process');
  assert.equal(pool.stats().processes, 3);
  await connect(port, socks);
  // 3 processes x 2 clients: the seventh is refused.
  const refused = await connect(port, socks);
  assert.equal(refused.first, '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.');
  await refused.closed;
  const eighth = await connect(port, socks);
  assert.match(eighth.first, /^\* BYE /);
  const warnings = logs.filter((l) => l.msg.includes('process_limit'));
  assert.equal(warnings.length, 1, 'rate-limited: one warning for two drops');
  assert.equal(warnings[0]!.msg, 'service(imap-login): process_limit (3) reached, client connections are being dropped');
  // The established connections are served.
  assert.equal(await echo(conns[0]!.sock, 'ping\r\n'), 'ping\r\n');
  // One closes: its slot is free again.
  conns[0]!.sock.end();
  await until(() => pool.stats().connections === 5);
  const again = await connect(port, socks);
  assert.match(again.first, /^hello /);
});

test('high-security: each connection gets a process of its own, which exits when the connection ends; spares are kept; process_limit holds', async () => {
  const { pool, port, logs, socks } = await setup('high-security', 3, 1000, 1);
  const a = await connect(port, socks);
  const b = await connect(port, socks);
  const c = await connect(port, socks);
  const pids = [a, b, c].map((x) => pidOf(x.first));
  assert.equal(new Set(pids).size, 3, 'one process per connection');
  const refused = await connect(port, socks);
  assert.match(refused.first, /^\* BYE \[UNAVAILABLE\] /);
  assert.ok(logs.some((l) => l.msg === 'service(imap-login): process_limit (3) reached, client connections are being dropped'));
  a.sock.end();
  await until(() => { try { process.kill(pids[0]!, 0); return false; } catch { return true; } });
  // A spare is started in place of the exited one and takes the next connection at once.
  await until(() => pool.stats().ready === 3);
  const d = await connect(port, socks);
  assert.ok(!pids.includes(pidOf(d.first)), 'a fresh process, never one that served another connection');
});

test('high-security: a killed login process loses only its own connection; the others go on', async () => {
  const { port, logs, socks } = await setup('high-security', 10, 1, 2);
  const a = await connect(port, socks);
  const b = await connect(port, socks);
  process.kill(pidOf(a.first), 'SIGKILL');
  await a.closed;
  assert.equal(await echo(b.sock, 'still here\r\n'), 'still here\r\n');
  await until(() => logs.some((l) => l.level === 'warn' && /login process \d+ died \(SIGKILL\)/.test(l.msg)));
});

test('high-performance: the parent starts a new process when one dies (process_min_avail), the other process keeps its connections', async () => {
  const { pool, port, socks } = await setup('high-performance', 10, 100, 2);
  const a = await connect(port, socks);
  const b = await connect(port, socks);
  assert.notEqual(pidOf(a.first), pidOf(b.first));
  const before = pool.pids();
  process.kill(pidOf(a.first), 'SIGKILL');
  await a.closed;
  await until(() => pool.stats().ready === 2 && pool.pids().some((p) => !before.includes(p)));
  assert.equal(await echo(b.sock, 'x\r\n'), 'x\r\n');
  const c = await connect(port, socks);
  assert.match(c.first, /^hello /);
});

for (const mode of ['high-performance', 'high-security'] as const) {
  test(`${mode}: reload keeps established connections in their processes; new connections get processes with the new arguments`, async () => {
    const { pool, port, socks } = await setup(mode, 10, 100, 1);
    const old = await connect(port, socks);
    assert.match(old.first, / g0$/);
    pool.reload({ args: [mode, 'g1'] });
    const fresh = await connect(port, socks);
    assert.match(fresh.first, / g1$/);
    assert.equal(await echo(old.sock, 'after reload\r\n'), 'after reload\r\n');
    // The old process exits once its connection is over.
    const oldPid = pidOf(old.first);
    old.sock.end();
    await until(() => !pool.pids().includes(oldPid));
    const metrics = await pool.collectMetrics();
    assert.ok(metrics.length >= 1, 'metrics from the running processes');
  });
}

test('a login process that cannot start: start() fails, and refills back off instead of spinning', async () => {
  const logs: string[] = [];
  const logger = { info: () => undefined, warn: (_o: object, m: string) => logs.push(m), error: (_o: object, m: string) => logs.push(m) };
  const pool = new LoginProcessPool({ mode: 'high-performance', processLimit: 4, clientLimit: 10, processMinAvail: 1, service: 'imap-login', protocol: 'imap', script, args: ['high-performance', 'crash'], logger });
  cleanups.push(() => pool.close());
  await assert.rejects(pool.start(), /exited \(3\) before it was ready/);
  await new Promise((r) => setTimeout(r, 1500));
  const died = logs.filter((m) => /login process \d+ died \(exit 3\)/.test(m)).length;
  assert.ok(died >= 1 && died <= 4, `backed off: ${died} failed starts in 1.5 s`);
});
