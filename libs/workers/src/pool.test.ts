/**
 * The worker pool over real sockets and real processes (testing-worker.ts): connections spread over
 * the workers, the node-wide connection limit with the protocol's refusal, requests both ways, a killed
 * worker replaced under the same index, a worker that cannot start failing start(), close() ending all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WorkerPool } from './pool.js';

const script = new URL('./testing-worker.js', import.meta.url);
const logs: string[] = [];
const logger = {
  info: (_o: object, m: string) => { logs.push(m); },
  warn: (_o: object, m: string) => { logs.push(m); },
  error: (_o: object, m: string) => { logs.push(m); },
};

interface Conn { sock: net.Socket; lines: string[]; next(ms?: number): Promise<string>; closed: Promise<void> }

function connect(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const lines: string[] = [];
    let buf = '';
    let wake: (() => void) | null = null;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 2); }
      wake?.();
    });
    const closed = new Promise<void>((r) => sock.once('close', () => { wake?.(); r(); }));
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve({
      sock, lines, closed,
      async next(ms = 5_000) {
        const t0 = Date.now();
        while (lines.length === 0) {
          if (sock.destroyed) throw new Error('closed');
          if (Date.now() - t0 > ms) throw new Error('timeout');
          await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
        }
        return lines.shift()!;
      },
    }));
    sock.once('error', reject);
  });
}

test('connections spread over the workers; the node-wide limit refuses with the protocol answer; requests both ways', { timeout: 30_000 }, async () => {
  let limit = 3;
  const pool = new WorkerPool({ count: 2, script, args: [], logger, execArgv: ['--enable-source-maps'] });
  await pool.start();
  try {
    const port = await pool.listen({ name: 'echo', service: 'imap', host: '127.0.0.1', port: 0, implicitTls: false, protocol: 'imap', limit: () => limit });
    const pids = pool.pids();
    assert.equal(pids.length, 2);
    const conns = [await connect(port), await connect(port), await connect(port)];
    const served = await Promise.all(conns.map((c) => c.next()));
    assert.deepEqual(new Set(served.map((l) => Number(l.split(' ')[1]))), new Set(pids), `both workers serve: ${served.join(', ')}`);
    assert.equal(pool.connections('imap'), 3);

    // Limit 3 reached across both workers: the primary refuses, as Dovecot's master does.
    const over = await connect(port);
    assert.equal(await over.next(), '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.');
    await over.closed;
    assert.ok(logs.some((l) => l === 'service(imap): process_limit (3) reached, client connections are being dropped'));

    // A closed connection frees its slot (the worker reports it); a raised limit applies at once.
    conns[0]!.sock.destroy();
    const t0 = Date.now();
    while (pool.connections('imap') !== 2) { assert.ok(Date.now() - t0 < 3_000); await new Promise((r) => setTimeout(r, 20)); }
    const again = await connect(port);
    assert.match(await again.next(), /^hello \d+$/);
    limit = 10;
    const more = await connect(port);
    assert.match(await more.next(), /^hello \d+$/);

    const pongs = await pool.broadcast<{ pid: number }>('ping');
    assert.deepEqual(pongs.map((p) => p.status === 'fulfilled' && p.value.pid).sort(), [...pids].sort());
    for (const w of pool.workers()) w.rpc.notify('bump');
    const after = await pool.broadcast<{ bumps: number }>('ping');
    assert.ok(after.every((p) => p.status === 'fulfilled' && p.value.bumps === 1));
    const failed = await pool.broadcast('fail');
    assert.ok(failed.every((p) => p.status === 'rejected' && /asked to fail/.test(String(p.reason))));
    for (const c of [...conns, again, more]) c.sock.destroy();
  } finally {
    await pool.close();
  }
});

test('a killed worker is replaced under its index; its connections end, new ones are served; close() ends every worker', { timeout: 30_000 }, async () => {
  const exits: number[] = [];
  const pool = new WorkerPool({ count: 2, script, args: [], logger, execArgv: ['--enable-source-maps'], onWorkerExit: (w) => exits.push(w.pid) });
  await pool.start();
  const port = await pool.listen({ name: 'echo', service: 'imap', host: '127.0.0.1', port: 0, implicitTls: false, protocol: 'imap', limit: () => 100 });
  const c = await connect(port);
  const victim = Number((await c.next()).split(' ')[1]);
  const victimIndex = pool.workers().find((w) => w.pid === victim)!.index;
  process.kill(victim, 'SIGKILL');
  await c.closed;
  const t0 = Date.now();
  while (pool.workers().length < 2 || pool.pids().includes(victim)) {
    assert.ok(Date.now() - t0 < 10_000, 'a new worker within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(exits, [victim], 'the caller hears of the dead worker (registry cleanup)');
  assert.ok(logs.some((l) => l.includes(`(pid ${victim}) died (SIGKILL)`)));
  const fresh = pool.workers().find((w) => w.index === victimIndex)!;
  assert.notEqual(fresh.pid, victim);
  // The restarted worker serves (least-loaded: the other still has none either, so ask until it shows).
  const seen = new Set<number>();
  const open: Conn[] = [];
  for (let i = 0; i < 4; i++) { const x = await connect(port); open.push(x); seen.add(Number((await x.next()).split(' ')[1])); }
  assert.ok(seen.has(fresh.pid));
  const ix = await connect(port);
  open.push(ix);
  await ix.next();
  ix.sock.write('env\r\n');
  assert.match(await ix.next(), /^index [01]$/);
  const pids = pool.pids();
  await pool.close();
  for (const x of open) await x.closed;
  for (const p of pids) assert.throws(() => process.kill(p, 0), 'worker gone after close()');
});

test('a worker that cannot start fails start() and leaves no process behind', { timeout: 30_000 }, async () => {
  const pool = new WorkerPool({ count: 2, script: new URL('./no-such-worker.js', import.meta.url), args: [], logger, execArgv: [] });
  await assert.rejects(pool.start(), /exited .* before it was ready/);
  assert.deepEqual(pool.pids(), []);
});
