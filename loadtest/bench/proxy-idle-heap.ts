#!/usr/bin/env node
/**
 * Heap per relayed idle IMAP session in one proxy login process (issue 6 memory goal). A program, not a test.
 *
 *   node dist/loadtest/bench/proxy-idle-heap.js [--sessions 3000] [--warmup 300] [--tls] [--snap DIR] [--hold SECONDS]
 *
 * Three kinds of processes, so that only the login process's objects are counted:
 *   this one    the proxy's parent: accepts connections paused and hands each socket to the login
 *               process over IPC, as services/proxy (libs/login-process) does;
 *   login       a forked child running with --expose-gc what services/proxy/login-worker.ts runs
 *               (startLoginProxy + serveLoginProcess), from a generated proxy configuration (users file
 *               with {SSHA256} passwords, in-process registry, high-performance mode);
 *   backend     services/mail/main.js with one INBOX (one message) per user;
 *   clients     a forked child: LOGIN, SELECT INBOX, IDLE per session (--tls: implicit TLS to the proxy).
 * First --warmup sessions go through the whole cycle and log out (one-time costs: optimised code, which
 * alone is ~0.3 KB per session with a warm-up of 50, metric label children, pools); then heapUsed after gc() in the login process before the sessions and with all
 * N idle, per session, and the RSS delta; heap snapshots with --snap DIR (before/idle.heapsnapshot: diff
 * them per constructor); the count of active handles and timers per session. Finally every client sends
 * DONE and must get its tagged OK through the relay (it still works after the idle; the login process's
 * CPU time for it per session), and a kick of all sessions must close both sides.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def; };
const N = Number(arg('sessions', '3000'));
const WARMUP = Number(arg('warmup', '300'));
const TLS = process.argv.includes('--tls');
/** --snap DIR: heap snapshots of the login process before and with the sessions idle. */
const SNAP = arg('snap', '');
/** Keep the sessions idle this long after measuring (inspect the login process: /proc/PID/smaps). */
const HOLD_S = Number(arg('hold', '0'));
const DOMAIN = 'heap.example';
const PASSWORD = 'pass';
const MASTER = { user: 'proxy', password: 'master-secret' };
const HOME = `b0.${DOMAIN}`;
const self = fileURLToPath(import.meta.url);
const log = (s: string) => process.stderr.write(`[proxy-idle-heap] ${s}\n`);

type Measure = { heapUsed: number; heapTotal: number; rss: number; external: number; resources: Record<string, number> };
type LoginMsg = { t: 'ready' } | { t: 'closed' } | ({ t: 'measured' } & Measure) | { t: 'kicked'; n: number; left: number } | { t: 'cpu'; us: number };
type ClientMsg = { t: 'warm' } | { t: 'idle'; n: number; failed: number } | { t: 'done'; ok: number; ms: number } | { t: 'closed'; n: number };

/** {SSHA256}: one SHA-256 per check, so logins do not cost the CPU a crypt scheme would. */
function ssha256(pw: string): string {
  const salt = Buffer.from('heapbnch');
  return `{SSHA256}${Buffer.concat([createHash('sha256').update(pw).update(salt).digest(), salt]).toString('base64')}`;
}

function prepare(dir: string, users: number): { backendConfig: string; proxyConfig: string; proxyText: (backendPort: number) => string } {
  const root = join(dir, 'mail');
  const hash = ssha256(PASSWORD);
  const lines = ['users:'];
  for (let i = 0; i < users; i++) lines.push(`  u${i}@${DOMAIN}:`, `    password: "${hash}"`, `    homeServer: ${HOME}`);
  writeFileSync(join(dir, 'users.yaml'), lines.join('\n') + '\n');
  const body = `From: sender@example.org\r\nTo: someone@${DOMAIN}\r\nSubject: hello\r\nMessage-ID: <m1@bench>\r\n\r\nHello.\r\n`;
  for (let i = 0; i < users; i++) {
    const md = join(root, DOMAIN, `u${i}`, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(md, sub), { recursive: true });
    writeFileSync(join(md, 'cur', `1700000000.M1P1.bench,S=${Buffer.byteLength(body)}:2,S`), body);
  }
  for (const n of ['backend', 'proxy']) mkdirSync(join(dir, n), { recursive: true });
  const backendConfig = join(dir, 'backend.yaml');
  writeFileSync(backendConfig, `node: { hostname: ${HOME}, dataDir: ${join(dir, 'backend')} }
directory: { path: ${join(dir, 'users.yaml')} }
storage: { fsync: false, mailRoot: ${root} }
imap: { host: 127.0.0.1, port: 0, tlsPort: null, maxUserIpConnections: 100, processLimit: 1000000 }
pop3: { host: 127.0.0.1, port: null, tlsPort: null }
lmtp: { port: null, socket: false }
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
  const proxyConfig = join(dir, 'proxy.yaml');
  const proxyText = (port: number): string => `node: { hostname: proxy.${DOMAIN}, dataDir: ${join(dir, 'proxy')} }
directory: { path: ${join(dir, 'users.yaml')} }
http: { port: null }
admin: { port: null }
log: { level: info }
sasl: { port: null, socket: false, trustedNetworks: [127.0.0.0/8] }
imap: { maxUserIpConnections: 100 }
proxy:
  host: 127.0.0.1
  imapPort: 0
  imapTlsPort: null
  masterUser: ${MASTER.user}
  masterPassword: ${MASTER.password}
  loginMode: high-performance
  connectTimeout: 30s
  breakerFailures: 1000
  backends:
    ${HOME}: 127.0.0.1:${port}
`;
  return { backendConfig, proxyConfig, proxyText };
}

// ------------------------------------------------------------------ the login process

async function loginProcess(config: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the login process needs --expose-gc');
  const { loadLoginProcessConfig } = await import('../../services/proxy/proxy-config.js');
  const { startLoginProxy } = await import('../../services/proxy/login-proxy.js');
  const { createLogger } = await import('../../libs/telemetry/src/index.js');
  const { serveLoginProcess } = await import('../../libs/login-process/src/index.js');
  const loaded = loadLoginProcessConfig(config);
  const c = loaded.config;
  if (!c || loaded.errors.length > 0) throw new Error(`configuration: ${loaded.errors.join('; ')}`);
  const logger = createLogger({ level: c.log.level, pretty: false, base: { pid: process.pid, node: c.node.hostname, service: 'imap-login' } });
  const lp = await startLoginProxy(c, 'imap', logger);
  serveLoginProcess({ mode: 'high-performance', onConnection: (s, t) => lp.proxy.adopt(s, t), shutdown: lp.shutdown }).ready();
  process.on('message', (m: { t: string; snap?: string }) => {
    if (m.t === 'kick') {
      void (async () => {
        const r = await lp.registry.kick({}, 'bench');
        for (let i = 0; i < 100 && lp.registry.localCount() > 0; i++) await new Promise((res) => setTimeout(res, 100));
        process.send!({ t: 'kicked', n: r.kicked, left: lp.registry.localCount() });
      })();
    }
    if (m.t === 'cpu') { const c = process.cpuUsage(); process.send!({ t: 'cpu', us: c.user + c.system }); }
    if (m.t === 'measure') {
      void (async () => {
        for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); }
        const mem = process.memoryUsage();
        const resources: Record<string, number> = {};
        for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
        if (m.snap) writeHeapSnapshot(m.snap);
        process.send!({ t: 'measured', heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, rss: mem.rss, external: mem.external, resources });
      })();
    }
  });
}

// ------------------------------------------------------------------ the clients

async function clients(port: number, n: number, warmup: number, useTls: boolean): Promise<void> {
  const socks: net.Socket[] = [];
  const connect = () => (useTls ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port }));
  /** LOGIN, SELECT, IDLE; resolves with the socket once "+ idling" came. */
  const one = (i: number) => new Promise<net.Socket | null>((resolve) => {
    const s = connect();
    let buf = '';
    let sent = false;
    s.setEncoding('latin1');
    s.on('error', () => resolve(null));
    s.on('close', () => resolve(null));
    s.on('data', (d: string) => {
      buf += d;
      // After the greeting, pipelined: what the proxy hands to the backend behind the LOGIN.
      if (!sent && buf.startsWith('* OK') && buf.includes('\r\n')) {
        sent = true;
        s.write(`a LOGIN u${i}@${DOMAIN} ${PASSWORD}\r\nb SELECT INBOX\r\nc IDLE\r\n`);
      }
      if (buf.includes('+ idling\r\n')) { s.removeAllListeners('data'); s.removeAllListeners('close'); resolve(s); }
      if (/^[a-c] (NO|BAD)/m.test(buf)) { log(`session ${i}: ${buf.slice(-200)}`); s.destroy(); resolve(null); }
    });
  });
  const batch = async (from: number, to: number) => {
    const out: net.Socket[] = [];
    for (let i = from; i < to; i += 100) {
      const got = await Promise.all(Array.from({ length: Math.min(100, to - i) }, (_, k) => one(i + k)));
      for (const s of got) if (s) out.push(s);
    }
    return out;
  };
  // Warm-up: the whole cycle, then DONE and LOGOUT.
  const warm = await batch(0, warmup);
  await Promise.all(warm.map((s) => new Promise<void>((resolve) => {
    s.on('close', () => resolve());
    s.write('DONE\r\nz LOGOUT\r\n');
  })));
  process.send!({ t: 'warm' });
  await new Promise<void>((r) => process.once('message', () => r()));
  socks.push(...await batch(warmup, warmup + n));
  process.send!({ t: 'idle', n: socks.length, failed: n - socks.length });
  await new Promise<void>((r) => process.once('message', () => r()));
  const t0 = Date.now();
  const oks = await Promise.all(socks.map((s) => new Promise<number>((resolve) => {
    let buf = '';
    const t = setTimeout(() => resolve(0), 30_000);
    s.on('data', (d: string) => { buf += d; if (buf.includes('c OK')) { clearTimeout(t); resolve(1); } });
    s.write('DONE\r\n');
  })));
  process.send!({ t: 'done', ok: oks.reduce((a, b) => a + b, 0), ms: Date.now() - t0 });
  // Then the proxy kicks them all: count the sockets that saw the server close.
  let closed = 0;
  for (const s of socks) s.once('close', () => { closed++; });
  await new Promise<void>((r) => process.once('message', () => r()));
  const deadline = Date.now() + 15_000;
  while (closed < socks.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  process.send!({ t: 'closed', n: closed });
}

// ------------------------------------------------------------------ the parent

function next<T extends { t: string }, K extends T['t']>(child: ChildProcess, want: K): Promise<Extract<T, { t: K }>> {
  return new Promise((resolve, reject) => {
    const on = (m: T) => { if (m.t === want) { child.off('message', on); child.off('exit', onExit); resolve(m as Extract<T, { t: K }>); } };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) while waiting for ${want}`));
    child.on('message', on);
    child.once('exit', onExit);
  });
}

async function main(): Promise<void> {
  const { startProc } = await import('../../services/proxy/testing.js');
  const dir = mkdtempSync(join(tmpdir(), 'proxy-idle-heap-'));
  const procs: Array<{ stop(): Promise<void> } | ChildProcess> = [];
  try {
    const { backendConfig, proxyConfig, proxyText } = prepare(dir, WARMUP + N);
    const backend = startProc('mail', backendConfig);
    procs.push(backend);
    await backend.waitFor(/ready/, 120_000);
    const backendPort = backend.port('imap');
    writeFileSync(proxyConfig, proxyText(backendPort));
    const login = fork(self, ['--login', proxyConfig], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    procs.push(login);
    await next<LoginMsg, 'ready'>(login, 'ready');
    // The parent's listener: paused sockets handed over with the IPC channel (libs/login-process pool.ts).
    const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => login.send({ t: 'conn', implicitTls: TLS }, sock));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const measure = async (snap: string): Promise<Measure> => {
      login.send({ t: 'measure', ...(SNAP ? { snap: join(SNAP, snap) } : {}) });
      return next<LoginMsg, 'measured'>(login, 'measured');
    };
    const cl = fork(self, ['--client', String(port), String(N), String(WARMUP), TLS ? 'tls' : 'plain'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    procs.push(cl);
    await next<ClientMsg, 'warm'>(cl, 'warm');
    await new Promise((r) => setTimeout(r, 1_000));
    if (SNAP) mkdirSync(SNAP, { recursive: true });
    const m0 = await measure('before.heapsnapshot');
    cl.send({ t: 'go' });
    const t0 = Date.now();
    const idle = await next<ClientMsg, 'idle'>(cl, 'idle');
    const rampMs = Date.now() - t0;
    log(`${idle.n} sessions idle (${idle.failed} failed) in ${rampMs} ms`);
    await new Promise((r) => setTimeout(r, 3_000));
    const m1 = await measure('idle.heapsnapshot');
    if (HOLD_S > 0) { log(`holding ${HOLD_S} s; login process pid ${login.pid}`); await new Promise((r) => setTimeout(r, HOLD_S * 1000)); }
    const cpu = async () => { login.send({ t: 'cpu' }); return (await next<LoginMsg, 'cpu'>(login, 'cpu')).us; };
    const cpu0 = await cpu();
    cl.send({ t: 'done' });
    const done = await next<ClientMsg, 'done'>(cl, 'done');
    const doneCpuUs = (await cpu()) - cpu0;
    // Kick: the registry's kick of every session (what mailctl kick does on this login process).
    cl.send({ t: 'kick' });
    login.send({ t: 'kick' });
    const kicked = await next<LoginMsg, 'kicked'>(login, 'kicked');
    const closed = await next<ClientMsg, 'closed'>(cl, 'closed');
    const resources: Record<string, number> = {};
    for (const k of new Set([...Object.keys(m0.resources), ...Object.keys(m1.resources)])) {
      resources[k] = Number((((m1.resources[k] ?? 0) - (m0.resources[k] ?? 0)) / Math.max(1, idle.n)).toFixed(2));
    }
    console.log(JSON.stringify({
      sessions: N, idle: idle.n, failed: idle.failed, tls: TLS, warmup: WARMUP,
      heapPerSessionBytes: Math.round((m1.heapUsed - m0.heapUsed) / Math.max(1, idle.n)),
      // Writing a heap snapshot grows the RSS by far more than the sessions do: no RSS figure with --snap.
      rssPerSessionBytes: SNAP ? null : Math.round((m1.rss - m0.rss) / Math.max(1, idle.n)),
      heapTotalPerSessionBytes: Math.round((m1.heapTotal - m0.heapTotal) / Math.max(1, idle.n)),
      externalPerSessionBytes: Math.round((m1.external - m0.external) / Math.max(1, idle.n)),
      heapUsedBefore: m0.heapUsed, heapUsedIdle: m1.heapUsed, rssBefore: m0.rss, rssIdle: m1.rss,
      activeResourcesPerSession: resources,
      doneOk: done.ok, doneWallMs: done.ms, doneLoginCpuUsPerSession: Math.round(doneCpuUs / Math.max(1, idle.n)), kicked: kicked.n, kickedClientsClosed: closed.n, registryLeftAfterKick: kicked.left, rampMs,
    }));
    srv.close();
  } finally {
    for (const p of procs.reverse()) {
      if ('stop' in p) await p.stop(); else p.kill();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--login') void loginProcess(process.argv[3]!);
else if (process.argv[2] === '--client') void clients(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), process.argv[6] === 'tls');
else main().catch((e: unknown) => { console.error(e); process.exit(1); });
