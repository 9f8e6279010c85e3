#!/usr/bin/env node
/**
 * Heap per IDLE session in one IMAP server process, with and without IDLE hibernation
 * (libs/imap-server/src/hibernate.ts). A program, not a test.
 *
 *   node --expose-gc dist/loadtest/bench/idle-hibernate-heap.js [--sessions 3000] [--hibernate 1000]
 *
 * The server runs in this process (the test harness: Maildir store, one user per session, each
 * INBOX with one message); the clients run in a forked child so their sockets do not count. Figures:
 * process.memoryUsage().heapUsed after gc() with all sessions in IDLE (and, with --hibernate > 0,
 * hibernated) minus before the first session, per session (rss the same way: it includes memory
 * outside the JS heap, such as socket and inotify handles and buffers); then every client sends DONE and must
 * get its tagged OK (the wake path at scale), with the CPU time this process spent on it.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def; };
const N = Number(arg('sessions', '3000'));
const HIB = Number(arg('hibernate', '1000'));
/** --snap DIR: heap snapshots before and with the sessions idle (compare them per constructor). */
const SNAP = arg('snap', '');

const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<{ heap: number; rss: number }> {
  for (let i = 0; i < 4; i++) { gc!(); await new Promise((r) => setTimeout(r, 50)); }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

async function server(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  const { startHarness, USERS } = await import('../../libs/imap-server/src/testing.js');
  for (let i = 0; i < N; i++) USERS[`u${i}@example.org`] = 'pw';
  const h = await startHarness({ hibernateTimeoutMs: HIB, maxUserIpConnections: N + 10 });
  const heap0 = await settle();
  if (SNAP) writeHeapSnapshot(join(SNAP, 'before.heapsnapshot'));
  const child = fork(fileURLToPath(import.meta.url), ['--client', String(h.port), String(N)], { stdio: 'inherit' });
  const msg = (want: string) => new Promise<Record<string, number>>((resolve) => {
    const on = (m: { t: string } & Record<string, number>) => { if (m.t === want) { child.off('message', on); resolve(m); } };
    child.on('message', on);
  });
  const ready = await msg('idle');
  // Past the hibernate timeout (and the drain of the login burst).
  await new Promise((r) => setTimeout(r, Math.max(HIB, 0) + 3000));
  const hibernated = h.server.hibernation.size;
  const heap1 = await settle();
  if (SNAP) writeHeapSnapshot(join(SNAP, 'idle.heapsnapshot'));
  const cpu0 = process.cpuUsage();
  child.send({ t: 'done' });
  const done = await msg('done');
  const cpu = process.cpuUsage(cpu0);
  const out = {
    sessions: N, connected: ready.n, hibernateTimeoutMs: HIB, hibernated,
    heapPerSessionBytes: Math.round((heap1.heap - heap0.heap) / N), rssPerSessionBytes: Math.round((heap1.rss - heap0.rss) / N),
    doneOk: done.ok, doneWallMs: done.ms, doneCpuUsPerSession: Math.round((cpu.user + cpu.system) / N),
  };
  console.log(JSON.stringify(out));
  child.kill();
  await h.close();
  process.exit(0);
}

async function client(port: number, n: number): Promise<void> {
  const socks: net.Socket[] = [];
  const body = 'From: a@example.org\r\nSubject: hello\r\n\r\nHello\r\n';
  const one = (i: number) => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setEncoding('latin1');
    s.on('error', reject);
    s.on('data', (d: string) => {
      buf += d;
      if (buf.includes('+ idling\r\n')) { s.removeAllListeners('data'); resolve(s); }
      if (/^[a-d] (NO|BAD)/m.test(buf)) reject(new Error(buf));
    });
    s.write(`a LOGIN u${i}@example.org pw\r\nb APPEND INBOX {${body.length}+}\r\n${body}\r\nc SELECT INBOX\r\nd IDLE\r\n`);
  });
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => one(i + k)));
    socks.push(...batch);
  }
  process.send!({ t: 'idle', n: socks.length });
  process.on('message', async () => {
    const t0 = Date.now();
    const oks = await Promise.all(socks.map((s) => new Promise<number>((resolve) => {
      let buf = '';
      const t = setTimeout(() => resolve(0), 30_000);
      s.on('data', (d: string) => { buf += d; if (buf.includes('d OK IDLE terminated')) { clearTimeout(t); resolve(1); } });
      s.write('DONE\r\n');
    })));
    process.send!({ t: 'done', ok: oks.reduce((a, b) => a + b, 0), ms: Date.now() - t0 });
  });
}

if (process.argv[2] === '--client') void client(Number(process.argv[3]), Number(process.argv[4]));
else void server();
