// BackendPool (routing, one retry, breaker accounting) and relay over real loopback sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { BackendPool, BackendRefused } from './backend-pool.js';
import { LineReader } from './line-reader.js';
import { relay } from './relay.js';
import { placeUser } from '../../routing/src/index.js';

const servers: net.Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function server(onConn: (s: net.Socket) => void): Promise<number> {
  const s = net.createServer((c) => { c.on('error', () => undefined); onConn(c); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}

/** A port nobody listens on (bound then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const greet = async (sock: net.Socket) => { const l = new LineReader(sock); const g = await l.line(); l.stop(); return g; };

test('route: home server wins; unknown home server is reported; no home server is placed over backends whose breaker is not open', async () => {
  const dead = await deadPort();
  const pool = new BackendPool({ backends: { 'A.test': `127.0.0.1:${dead}`, 'b.test': `127.0.0.1:${dead}` }, failureThreshold: 2, coolDownMs: 60_000, connectTimeoutMs: 500 });
  assert.deepEqual(pool.route('x@example.org', 'a.TEST'), { ok: true, backend: { name: 'a.test', host: '127.0.0.1', port: dead } });
  assert.deepEqual(pool.route('x@example.org', 'c.test'), { ok: false, why: 'unknown-home-server', homeServer: 'c.test' });
  const user = 'placed@example.org';
  const first = placeUser(user, ['a.test', 'b.test'])!;
  const r = pool.route(user, null);
  assert.ok(r.ok && r.backend.name === first);
  // Two failed connects (one login with its retry) open the first choice's breaker: the user moves.
  const opened = await pool.open(pool.backends.get(first)!, greet);
  assert.equal(opened.ok, false);
  assert.equal(pool.breakerState(first), 'open');
  const r2 = pool.route(user, null);
  assert.ok(r2.ok && r2.backend.name !== first);
  // While open, no connection is attempted at all.
  assert.deepEqual(await pool.open(pool.backends.get(first)!, greet), { ok: false, why: 'breaker-open' });
  const other = first === 'a.test' ? 'b.test' : 'a.test';
  await pool.open(pool.backends.get(other)!, greet);
  assert.deepEqual(pool.route(user, null), { ok: false, why: 'no-healthy-backend' });
});

test('open: a connect failure is retried once; a backend that refuses the login does not trip the breaker; a silent backend times out', async () => {
  let conns = 0;
  const flaky = await server((s) => { conns++; if (conns === 1) s.destroy(); else s.write('* OK hi\r\n'); });
  const refusing = await server((s) => s.write('* OK hi\r\n'));
  const silent = await server(() => { /* never greets */ });
  const pool = new BackendPool({ backends: { f: `127.0.0.1:${flaky}`, r: `127.0.0.1:${refusing}`, s: `127.0.0.1:${silent}` }, failureThreshold: 2, coolDownMs: 200, connectTimeoutMs: 300 });
  const ok = await pool.open(pool.backends.get('f')!, greet);
  assert.ok(ok.ok && ok.value === '* OK hi', 'second attempt succeeded');
  if (ok.ok) ok.socket.destroy();
  assert.equal(conns, 2);
  assert.equal(pool.breakerState('f'), 'closed');
  for (let i = 0; i < 3; i++) {
    const r = await pool.open(pool.backends.get('r')!, async () => { throw new BackendRefused('NO'); });
    assert.equal(r.ok ? 'ok' : r.why, 'refused');
  }
  assert.equal(pool.breakerState('r'), 'closed');
  const t0 = Date.now();
  const t = await pool.open(pool.backends.get('s')!, greet);
  assert.equal(t.ok ? 'ok' : t.why, 'failed');
  assert.match(t.ok ? '' : t.error!.message, /timeout/);
  assert.ok(Date.now() - t0 >= 550, 'two attempts of 300 ms');
  assert.equal(pool.breakerState('s'), 'open');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(pool.breakerState('s'), 'half-open', 'after the cool-down one probe may go');
});

test('relay: megabytes both ways arrive intact with backpressure; the backend closing ends the client', async () => {
  const size = 8 * 1024 * 1024;
  const payload = Buffer.alloc(size, 7);
  for (let i = 0; i < size; i += 4096) payload[i] = i & 0xff;
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  // The "backend" echoes what it receives, then closes when the client's data is complete.
  const backendPort = await server((s) => {
    let n = 0;
    s.on('data', (c: Buffer) => { n += c.length; if (!s.write(c)) s.pause(); if (n >= size) s.end(); });
    s.on('drain', () => s.resume());
  });
  const proxyPort = await server((client) => {
    const b = net.connect({ host: '127.0.0.1', port: backendPort }, () => { relay(client, b, [], Buffer.from('')); });
  });
  const c = net.connect({ host: '127.0.0.1', port: proxyPort });
  const got: Buffer[] = [];
  // A slow reader at first: the relay must not buffer everything in memory.
  c.pause();
  setTimeout(() => c.resume(), 300);
  c.on('data', (d: Buffer) => got.push(d));
  c.write(payload);
  await new Promise<void>((r) => c.on('close', () => r()));
  assert.equal(digest(Buffer.concat(got)), digest(payload));
});

test('sourceAddresses (login_source_ips): connections leave from the listed addresses in turn; one that cannot be bound passes to the next, not to the breaker', async () => {
  const seen: string[] = [];
  const port = await server((c) => { seen.push(c.remoteAddress!.replace(/^::ffff:/, '')); c.write('* OK hi\r\n'); });
  const failures: string[] = [];
  const pool = new BackendPool({
    backends: { 'a.test': `127.0.0.1:${port}` }, failureThreshold: 1, coolDownMs: 60_000, connectTimeoutMs: 2000,
    // 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails with EADDRNOTAVAIL. ::1 is of the wrong family.
    sourceAddresses: ['127.0.0.21', '192.0.2.1', '127.0.0.22', '::1'],
    onFailure: (_b, e) => failures.push(e.message),
  });
  const b = pool.backends.get('a.test')!;
  const socks: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await pool.open(b, greet);
    assert.ok(r.ok, `attempt ${i}`);
    assert.equal(r.value, '* OK hi');
    socks.push(r.socket);
  }
  // Turns: .21, (192.0.2.1 fails -> .22), .22, .21 — never 127.0.0.1 and never the unusable address.
  assert.deepEqual(seen, ['127.0.0.21', '127.0.0.22', '127.0.0.22', '127.0.0.21']);
  assert.deepEqual(failures, ['source address 192.0.2.1: EADDRNOTAVAIL']);
  assert.equal(pool.breakerState('a.test'), 'closed');
  for (const s of socks) s.destroy();
});
