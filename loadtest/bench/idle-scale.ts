#!/usr/bin/env node
/**
 * Idle sessions through one proxy node (issue 6 benchmark): how many authenticated IMAP sessions in
 * IDLE one proxy node in high-performance login mode holds, and the memory per session of the proxy
 * and of the backends behind it. A program, not a test.
 *
 *   npm run bench:idle -- [--steps 10000,25000,50000,100000] [--out idle.json]
 *       [--backends auto] [--login-procs auto] [--min-avail 2] [--client-limit 9000] [--gens auto]
 *       [--concurrency 64] [--hibernate 30] [--settle HIBERNATE+10] [--messages 2] [--keep-data] [--hold SECONDS]
 *
 * Everything runs on loopback as a real deployment spreads over hosts: every process stays within
 * its 20,000 open files and every source address within its ~28,000 ephemeral ports.
 *   backends    --backends mail nodes (services/mail/main.js, each with a home server name mapped
 *               in proxy.backends; default one per 15,000 sessions), users homed round robin;
 *   proxy       one node (services/proxy/main.js), loginMode high-performance, processMinAvail login
 *               processes of up to --client-limit clients (2 open files per relayed session), its
 *               backend connections from proxy.sourceAddresses 127.0.0.101...;
 *   generators  --gens processes (idle-scale-gen.ts, default one per 16,000 sessions), each from its
 *               own source address 127.0.0.2...: LOGIN, SELECT INBOX, IDLE, then wait.
 * Users live in a file directory with {SSHA256} passwords (no SHA512-crypt cost per login), the master
 * user too; each has an INBOX of --messages small messages.
 *
 * At each step: sessions established and failed, login rate, PSS and RSS summed over the proxy's
 * processes (main + login processes) and over the backends, their deltas per session against the
 * state before the first session, idle CPU of both over the settle window, and responsiveness while
 * all are idle: a fresh LOGIN + NOOP through the proxy, and an LMTP delivery to one idle user whose
 * IDLE must see the EXISTS (within a second for the goal).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { descendants, memoryOf } from '../lib/dovecot.js';
import { startProc, type Proc } from '../../services/proxy/testing.js';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def; };
const STEPS = arg('steps', '10000,25000,50000,100000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const MAX = STEPS[STEPS.length - 1]!;
const auto = (name: string, per: number) => { const v = arg(name, 'auto'); return v === 'auto' ? Math.max(1, Math.ceil(MAX / per)) : Number(v); };
const BACKENDS = auto('backends', 15_000);
const CLIENT_LIMIT = Number(arg('client-limit', '9000'));
const LOGIN_PROCS = arg('login-procs', 'auto') === 'auto' ? Math.max(2, Math.ceil(MAX / (CLIENT_LIMIT * 0.9))) : Number(arg('login-procs', '2'));
const GENS = auto('gens', 16_000);
/**
 * Login processes started up front; the pool starts another when all are full (up to --login-procs), as
 * Dovecot does. Each loads the users file at start (100,000 users: ~10 s of CPU), and a process not ready
 * within LIMITS.loginProcessStartTimeoutMs is killed: 13 starting at once on 2 cores would not make it.
 */
const MIN_AVAIL = Math.min(LOGIN_PROCS, Number(arg('min-avail', '2')));
/** Proxy -> backend source addresses: one per 20,000 sessions (each could take ~28,000). */
const PROXY_SOURCES = Math.max(2, Math.ceil(MAX / 20_000));
const CONCURRENCY = Number(arg('concurrency', '64'));
/** Backends' imap.hibernateTimeout (seconds); the settle window outlasts it so every session is measured hibernated. */
const HIBERNATE_S = Number(arg('hibernate', '30'));
const SETTLE_S = Number(arg('settle', String(HIBERNATE_S + 10)));
const MESSAGES = Number(arg('messages', '2'));
const OUT = arg('out', '');
const KEEP = process.argv.includes('--keep-data');
/** Keep every session idle this long after the last step (heap snapshots, ss, /proc inspection). */
const HOLD_S = Number(arg('hold', '0'));
const DOMAIN = 'idle.example';
const PASSWORD = 'pass';
const MASTER = { user: 'proxy', password: 'master-secret' };
const userName = (i: number) => `u${i}@${DOMAIN}`;
const PROBE = `probe@${DOMAIN}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[idle-scale ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** {SSHA256}: one SHA-256 per check (Dovecot password schemes); one salt for all is fine for a benchmark. */
function ssha256(pw: string): string {
  const salt = Buffer.from('idlescal');
  return `{SSHA256}${Buffer.concat([createHash('sha256').update(pw).update(salt).digest(), salt]).toString('base64')}`;
}

const homeOf = (i: number) => `b${i % BACKENDS}.${DOMAIN}`;

function prepare(dir: string): string {
  const root = join(dir, 'mail');
  const hash = ssha256(PASSWORD);
  const lines = ['users:', `  ${PROBE}:`, `    password: "${hash}"`, `    homeServer: ${homeOf(0)}`];
  for (let i = 1; i <= MAX; i++) lines.push(`  ${userName(i)}:`, `    password: "${hash}"`, `    homeServer: ${homeOf(i)}`);
  writeFileSync(join(dir, 'users.yaml'), lines.join('\n') + '\n');
  // One copy of each message per 50,000 users (ext4 allows 65,000 links to a file), hard-linked into
  // every INBOX (cur/, already seen by a client once).
  const names: string[] = [];
  const bodies: string[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const body = `From: sender@example.org\r\nTo: someone@${DOMAIN}\r\nSubject: message ${m + 1}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m${m}@bench>\r\n\r\nHello ${m + 1}.\r\n`;
    names.push(`1700000000.M${m}P1.bench,S=${Buffer.byteLength(body)}:2,S`);
    bodies.push(body);
  }
  const protoDir = (i: number) => {
    const p = join(dir, `proto-${Math.floor(i / 50_000)}`);
    if (i % 50_000 === 0) {
      mkdirSync(p, { recursive: true });
      names.forEach((n, m) => writeFileSync(join(p, n), bodies[m]!));
    }
    return p;
  };
  const t = Date.now();
  for (let i = 0; i <= MAX; i++) {
    const local = i === 0 ? 'probe' : `u${i}`;
    const md = join(root, DOMAIN, local, 'Maildir');
    const proto = protoDir(i);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(md, sub), { recursive: true });
    for (const n of names) linkSync(join(proto, n), join(md, 'cur', n));
  }
  log(`${MAX + 1} users and INBOXes (${MESSAGES} messages each) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return root;
}

function backendConfig(dir: string, root: string, name: string): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `node: { hostname: ${name}, dataDir: ${data} }
directory: { path: ${join(dir, 'users.yaml')} }
storage: { fsync: false, mailRoot: ${root} }
imap: { host: 127.0.0.1, port: 0, tlsPort: null, maxUserIpConnections: 100, processLimit: 1000000, hibernateTimeout: ${HIBERNATE_S}s }
pop3: { host: 127.0.0.1, port: null, tlsPort: null }
lmtp: { host: 127.0.0.1, port: 0, socket: false }
managesieve: { host: 127.0.0.1, port: null }
quotaStatus: { port: null }
http: { port: null }
admin: { port: null }
log: { level: warn }
sasl:
  port: null
  socket: false
  trustedNetworks: [127.0.0.0/8]
  masterUsers: { ${MASTER.user}: "${ssha256(MASTER.password)}" }
  masterNetworks: [127.0.0.0/8]
`);
  return path;
}

function proxyConfig(dir: string, backends: Record<string, number>, sources: string[]): string {
  const data = join(dir, 'proxy');
  mkdirSync(data, { recursive: true });
  const path = join(dir, 'proxy.yaml');
  writeFileSync(path, `node: { hostname: proxy.${DOMAIN}, dataDir: ${data} }
directory: { path: ${join(dir, 'users.yaml')} }
http: { port: null }
admin: { port: null }
log: { level: warn }
sasl: { port: null, socket: false, trustedNetworks: [127.0.0.0/8] }
imap: { maxUserIpConnections: 100 }
proxy:
  host: 127.0.0.1
  imapPort: 0
  imapTlsPort: null
  masterUser: ${MASTER.user}
  masterPassword: ${MASTER.password}
  loginMode: high-performance
  processMinAvail: ${MIN_AVAIL}
  imapProcessLimit: ${LOGIN_PROCS + 2}
  imapClientLimit: ${CLIENT_LIMIT}
  connectTimeout: 30s
  breakerFailures: 1000
  sourceAddresses: [${sources.join(', ')}]
  backends:
${Object.entries(backends).map(([n, p]) => `    ${n}: 127.0.0.1:${p}`).join('\n')}
`);
  return path;
}

// ------------------------------------------------------------------ measuring

interface Mem { rssKb: number; pssKb: number; processes: number }
const proxyPids = (p: Proc) => descendants(p.child.pid!, true);
const backendPids = (bs: Proc[]) => bs.flatMap((b) => descendants(b.child.pid!, true));

/** utime + stime (ms) summed over pids, from /proc/<pid>/stat. */
function cpuMs(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      t += ((Number(rest[11]) + Number(rest[12])) * 1000) / tick;
    } catch { /* exited */ }
  }
  return t;
}

/** Kernel TCP buffer memory (all sockets of the machine, /proc/net/sockstat "mem" pages): not in any process's PSS. */
function tcpKernelKb(): number {
  try { return Number(/^TCP:.* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? 0) * 4; } catch { return 0; }
}

function fdCount(pid: number): number { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return 0; } }

/** A short line-oriented exchange on a fresh socket (probe IMAP login, LMTP delivery). */
class Lines {
  private buf = '';
  private waiters: Array<() => void> = [];
  private ended = false;
  constructor(readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => { this.buf += c; this.wake(); });
    sock.on('close', () => { this.ended = true; this.wake(); });
    sock.on('error', () => undefined);
  }
  private wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  static open(port: number): Promise<Lines> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
      s.once('connect', () => resolve(new Lines(s)));
      s.once('error', reject);
    });
  }
  /** Reads lines until one matches `done`; returns them all. */
  async until(done: RegExp, timeoutMs = 30_000): Promise<string[]> {
    const out: string[] = [];
    const end = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buf.indexOf('\r\n');
      if (nl >= 0) {
        const l = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        out.push(l);
        if (done.test(l)) return out;
        continue;
      }
      if (this.ended) throw new Error(`connection closed; got ${JSON.stringify(out.slice(-3))}`);
      if (Date.now() > end) throw new Error(`timeout waiting for ${done}; got ${JSON.stringify(out.slice(-3))}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }
  send(s: string) { this.sock.write(s); }
  close() { this.sock.destroy(); }
}

interface Probe { connectToGreetingMs: number; loginMs: number; noopMs: number }

/** A fresh client while all others idle: greeting, LOGIN, NOOP round trips through the proxy. */
async function probeLogin(port: number): Promise<Probe> {
  const t0 = performance.now();
  const c = await Lines.open(port);
  try {
    await c.until(/^\* OK/);
    const t1 = performance.now();
    c.send(`a LOGIN ${PROBE} ${PASSWORD}\r\n`);
    const l = await c.until(/^a /);
    if (!/^a OK/.test(l[l.length - 1]!)) throw new Error(`probe login: ${l[l.length - 1]}`);
    const t2 = performance.now();
    c.send('b NOOP\r\n');
    await c.until(/^b OK/);
    const t3 = performance.now();
    c.send('c LOGOUT\r\n');
    await c.until(/^c /).catch(() => undefined);
    return { connectToGreetingMs: t1 - t0, loginMs: t2 - t1, noopMs: t3 - t2 };
  } finally { c.close(); }
}

/** LMTP delivery (RFC 2033) to one user on its backend; resolves with the time the final reply came. */
async function deliver(port: number, rcpt: string): Promise<{ sentAt: number; repliedAt: number }> {
  const c = await Lines.open(port);
  try {
    await c.until(/^220 /);
    c.send('LHLO bench\r\n'); await c.until(/^250 /);
    c.send('MAIL FROM:<probe@example.org>\r\n'); await c.until(/^250 /);
    c.send(`RCPT TO:<${rcpt}>\r\n`); await c.until(/^250 /);
    c.send('DATA\r\n'); await c.until(/^354 /);
    const sentAt = Date.now();
    c.send(`From: probe@example.org\r\nTo: ${rcpt}\r\nSubject: wake up\r\n\r\nNew mail while idle.\r\n.\r\n`);
    const r = await c.until(/^\d{3} /);
    if (!/^250 /.test(r[r.length - 1]!)) throw new Error(`LMTP: ${r[r.length - 1]}`);
    const repliedAt = Date.now();
    c.send('QUIT\r\n');
    return { sentAt, repliedAt };
  } finally { setTimeout(() => c.close(), 100); }
}

// ------------------------------------------------------------------ generators

interface Gen { child: ChildProcess; index: number; users: number }
type GenMsg = { t: 'ramped'; alive: number; opened: number; failed: number; ms: number; errors: Record<string, number>; loginMsP50: number; loginMsP99: number }
  | { t: 'exists'; user: string; at: number } | { t: 'status'; alive: number; failed: number; dropped: number };

function startGens(port: number): Gen[] {
  const script = new URL('./idle-scale-gen.js', import.meta.url);
  return Array.from({ length: GENS }, (_, g) => ({
    index: g, users: 0,
    // Generator g serves users g+1, g+1+GENS, ...: every step spreads over all of them.
    child: fork(script, ['--port', String(port), '--sources', `127.0.0.${2 + g}`, '--first', String(g + 1), '--step', String(GENS),
      '--user', `u%d@${DOMAIN}`, '--password', PASSWORD, '--concurrency', String(Math.max(1, Math.round(CONCURRENCY / GENS)))], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  }));
}

function ask<T extends GenMsg['t']>(g: Gen, msg: object, want: T): Promise<Extract<GenMsg, { t: T }>> {
  return new Promise((resolve) => {
    const on = (m: GenMsg) => { if (m.t === want) { g.child.off('message', on); resolve(m as Extract<GenMsg, { t: T }>); } };
    g.child.on('message', on);
    g.child.send(msg);
  });
}

// ------------------------------------------------------------------ main

interface StepResult {
  target: number; established: number; failed: number; dropped: number; rampSeconds: number; loginsPerSec: number;
  loginMsP50: number; loginMsP99: number; errors: Record<string, number>;
  /** CPU (utime + stime) per session established during the ramp, ms. */
  rampCpu: { proxyMsPerLogin: number; backendMsPerLogin: number };
  proxy: Mem & { perSessionPssKb: number; perSessionRssKb: number; idleCpuPct: number; maxLoginProcFds: number };
  backend: Mem & { perSessionPssKb: number; perSessionRssKb: number; idleCpuPct: number; maxFds: number };
  totalPerSessionPssKb: number;
  /**
   * (PSS now - PSS at the previous step) / (sessions added), proxy and backends: the cost of one more
   * session, free of the start-up heap (a 100,000-user file leaves hundreds of MB of garbage that V8
   * gives back only later, which blurs the delta against the baseline).
   */
  marginalPssKb: { proxy: number; backend: number } | null;
  /** Kernel TCP memory of the whole machine (other programs included), KiB: socket buffers are outside PSS. */
  tcpKernelKb: number;
  probe: Probe | { error: string };
  delivery: { lmtpMs: number; toIdleMs: number | null } | { error: string };
  loadavg: string;
}

async function main(): Promise<void> {
  const dir = join(arg('data', '/var/tmp'), `idle-scale-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const procs: Proc[] = [];
  const gens: Gen[] = [];
  const stopAll = async () => {
    for (const g of gens) { try { g.child.kill('SIGTERM'); } catch { /* gone */ } }
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { void stopAll().then(() => process.exit(130)); });
  const results: StepResult[] = [];
  const params = { steps: STEPS, backends: BACKENDS, loginProcesses: LOGIN_PROCS, minAvail: MIN_AVAIL, clientLimit: CLIENT_LIMIT, generators: GENS, proxySources: PROXY_SOURCES, concurrency: CONCURRENCY, settleSeconds: SETTLE_S, hibernateSeconds: HIBERNATE_S, messages: MESSAGES };
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? '', memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').trim() };
  log(`params ${JSON.stringify(params)}`);
  try {
    const root = prepare(dir);
    // Backends (each under 20,000 open files: ~MAX/BACKENDS sessions each).
    const backends: Proc[] = [];
    for (let b = 0; b < BACKENDS; b++) backends.push(startProc('mail', backendConfig(dir, root, `b${b}.${DOMAIN}`)));
    procs.push(...backends);
    await Promise.all(backends.map((b) => b.waitFor(/^mail node .* ready \(/m, 600_000)));
    const imapPorts: Record<string, number> = {};
    const lmtpPorts: Record<string, number> = {};
    backends.forEach((b, i) => { imapPorts[`b${i}.${DOMAIN}`] = b.port('imap'); lmtpPorts[`b${i}.${DOMAIN}`] = b.port('lmtp'); });
    const sources = Array.from({ length: PROXY_SOURCES }, (_, i) => `127.0.0.${101 + i}`);
    const proxy = startProc('proxy', proxyConfig(dir, imapPorts, sources));
    procs.push(proxy);
    await proxy.waitFor(/^proxy node .* ready \(/m, 600_000);
    const port = proxy.port('imap');
    log(`${BACKENDS} backends, proxy on 127.0.0.1:${port} with ${proxyPids(proxy).length - 1} login processes`);
    // Warm up (code paths, directory caches): the probe logs in twice before the baseline.
    await probeLogin(port);
    await probeLogin(port);
    await sleep(SETTLE_S * 1000);
    const base = { proxy: memoryOf(proxyPids(proxy)), backend: memoryOf(backendPids(backends)) };
    log(`baseline: proxy PSS ${(base.proxy.pssKb / 1024).toFixed(0)} MiB (${base.proxy.processes} processes), backends PSS ${(base.backend.pssKb / 1024).toFixed(0)} MiB (${base.backend.processes})`);
    gens.push(...startGens(port));
    // The watched user (u1) sits in generator 0, first connection: its IDLE gets the delivery probe.
    const watchUser = userName(1);
    const watchBackend = lmtpPorts[homeOf(1)]!;
    for (const target of STEPS) {
      log(`ramp to ${target} sessions`);
      const t = performance.now();
      const rampCpu0 = { p: cpuMs(proxyPids(proxy)), b: cpuMs(backendPids(backends)) };
      const per = gens.map((g, i) => Math.floor(target / GENS) + (i < target % GENS ? 1 : 0));
      const ramped = await Promise.all(gens.map((g, i) => ask(g, { t: 'ramp', to: per[i] }, 'ramped')));
      const rampSeconds = (performance.now() - t) / 1000;
      const established = ramped.reduce((s, r) => s + r.alive, 0);
      const failed = ramped.reduce((s, r) => s + r.failed, 0);
      const errors: Record<string, number> = {};
      for (const r of ramped) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
      if (failed > 0) {
        const tail = (t: string) => t.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-3).join('\n');
        log(`  failures ${JSON.stringify(errors)}; proxy log:\n${tail(proxy.out() + proxy.err())}\nbackend log:\n${backends.map((b) => tail(b.out() + b.err())).join('\n')}`);
      }
      const added = ramped.reduce((s, r) => s + r.opened - r.failed, 0);
      const rampCpu = { proxyMsPerLogin: (cpuMs(proxyPids(proxy)) - rampCpu0.p) / Math.max(1, added), backendMsPerLogin: (cpuMs(backendPids(backends)) - rampCpu0.b) / Math.max(1, added) };
      log(`  ${established} idle, ${failed} failed in ${rampSeconds.toFixed(1)} s; settling ${SETTLE_S} s`);
      const pp0 = proxyPids(proxy), bp0 = backendPids(backends);
      const cpu0 = { p: cpuMs(pp0), b: cpuMs(bp0), at: performance.now() };
      await sleep(SETTLE_S * 1000);
      const pp = proxyPids(proxy), bp = backendPids(backends);
      const cpu1 = { p: cpuMs(pp), b: cpuMs(bp), at: performance.now() };
      const wall = cpu1.at - cpu0.at;
      const pm = memoryOf(pp), bm = memoryOf(bp);
      const status = await Promise.all(gens.map((g) => ask(g, { t: 'status' }, 'status')));
      const alive = status.reduce((s, r) => s + r.alive, 0);
      const dropped = status.reduce((s, r) => s + r.dropped, 0);
      let probe: StepResult['probe'];
      try { probe = await probeLogin(port); } catch (e) { probe = { error: (e as Error).message }; }
      let delivery: StepResult['delivery'];
      try {
        const seen = new Promise<number | null>((resolve) => {
          const g0 = gens[0]!;
          const timer = setTimeout(() => { g0.child.off('message', on); resolve(null); }, 10_000);
          const on = (m: GenMsg) => { if (m.t === 'exists' && m.user === watchUser) { clearTimeout(timer); g0.child.off('message', on); resolve(m.at); } };
          g0.child.on('message', on);
          g0.child.send({ t: 'watch', user: watchUser });
        });
        const d = await deliver(watchBackend, watchUser);
        const at = await seen;
        delivery = { lmtpMs: d.repliedAt - d.sentAt, toIdleMs: at === null ? null : at - d.sentAt };
      } catch (e) { delivery = { error: (e as Error).message }; }
      const loginFds = pp.filter((x) => x !== proxy.child.pid).map(fdCount);
      const prev = results[results.length - 1];
      const r: StepResult = {
        target, established: alive, failed, dropped, rampSeconds, loginsPerSec: added / rampSeconds,
        loginMsP50: Math.max(...ramped.map((x) => x.loginMsP50)), loginMsP99: Math.max(...ramped.map((x) => x.loginMsP99)), errors, rampCpu,
        proxy: { ...pm, perSessionPssKb: (pm.pssKb - base.proxy.pssKb) / alive, perSessionRssKb: (pm.rssKb - base.proxy.rssKb) / alive, idleCpuPct: ((cpu1.p - cpu0.p) / wall) * 100, maxLoginProcFds: Math.max(0, ...loginFds) },
        backend: { ...bm, perSessionPssKb: (bm.pssKb - base.backend.pssKb) / alive, perSessionRssKb: (bm.rssKb - base.backend.rssKb) / alive, idleCpuPct: ((cpu1.b - cpu0.b) / wall) * 100, maxFds: Math.max(0, ...bp.map(fdCount)) },
        totalPerSessionPssKb: (pm.pssKb - base.proxy.pssKb + bm.pssKb - base.backend.pssKb) / alive,
        marginalPssKb: prev && alive > prev.established
          ? { proxy: (pm.pssKb - prev.proxy.pssKb) / (alive - prev.established), backend: (bm.pssKb - prev.backend.pssKb) / (alive - prev.established) } : null,
        tcpKernelKb: tcpKernelKb(), probe, delivery, loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
      };
      results.push(r);
      log(`  ${alive} alive (${dropped} dropped); proxy ${r.proxy.perSessionPssKb.toFixed(1)} KiB/session, backends ${r.backend.perSessionPssKb.toFixed(1)} KiB/session; probe ${JSON.stringify(probe)}; delivery ${JSON.stringify(delivery)}`);
      if (OUT) writeFileSync(OUT, JSON.stringify({ params, machine, baseline: base, results }, null, 2));
      if (alive < target * 0.9) { log(`fewer than 90% of ${target} sessions established: stopping the ramp`); break; }
    }
    printTable(results);
    if (HOLD_S > 0) {
      log(`holding the sessions ${HOLD_S} s (proxy pids ${proxyPids(proxy).join(',')}; backend pids ${backendPids(backends).join(',')})`);
      await sleep(HOLD_S * 1000);
    }
    process.stdout.write(`\nbaseline (before sessions): proxy PSS ${(base.proxy.pssKb / 1024).toFixed(0)} MiB over ${base.proxy.processes} processes, backends PSS ${(base.backend.pssKb / 1024).toFixed(0)} MiB over ${base.backend.processes}\n`);
    process.stdout.write(`params ${JSON.stringify(params)}\nmachine ${JSON.stringify(machine)}\n`);
    if (OUT) writeFileSync(OUT, JSON.stringify({ params, machine, baseline: base, results }, null, 2));
  } finally {
    await stopAll();
  }
}

function printTable(rs: StepResult[]): void {
  const head = ['sessions', 'failed', 'logins/s', 'login p99 ms', 'CPU ms/login p/b', 'proxy PSS MiB', 'proxy KiB/sess', 'backend PSS MiB', 'backend KiB/sess', 'total KiB/sess', 'marginal KiB p/b', 'idle CPU % p/b', 'probe login+NOOP ms', 'IDLE EXISTS ms'];
  const rows = rs.map((r) => [
    String(r.established), String(r.failed), r.loginsPerSec.toFixed(0), r.loginMsP99.toFixed(0), `${r.rampCpu.proxyMsPerLogin.toFixed(1)}/${r.rampCpu.backendMsPerLogin.toFixed(1)}`,
    (r.proxy.pssKb / 1024).toFixed(0), r.proxy.perSessionPssKb.toFixed(1), (r.backend.pssKb / 1024).toFixed(0), r.backend.perSessionPssKb.toFixed(1), r.totalPerSessionPssKb.toFixed(1),
    r.marginalPssKb ? `${r.marginalPssKb.proxy.toFixed(1)}/${r.marginalPssKb.backend.toFixed(1)}` : '-',
    `${r.proxy.idleCpuPct.toFixed(1)}/${r.backend.idleCpuPct.toFixed(1)}`,
    'error' in r.probe ? 'error' : `${r.probe.loginMs.toFixed(0)}+${r.probe.noopMs.toFixed(1)}`,
    'error' in r.delivery ? 'error' : r.delivery.toIdleMs === null ? 'none in 10 s' : String(r.delivery.toIdleMs),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(w[i]!)).join('  ');
  process.stdout.write(`\n${line(head)}\n${rows.map(line).join('\n')}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
