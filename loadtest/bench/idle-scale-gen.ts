/**
 * One load generator process of the idle-scale benchmark (idle-scale.ts forks several: a process may
 * hold 20,000 open files, and one source address reaches the proxy's port from ~28,000 ephemeral ports).
 * Each connection binds its source address (round robin over --sources), then LOGIN, SELECT INBOX,
 * IDLE, and stays; as RFC 2177 §3 advises, it ends and re-issues each IDLE before 29 minutes pass
 * (servers may log off a client idle for 30 minutes, RFC 3501 §5.4; ours does). The state per connection is a socket and a few fields: what this process costs is
 * not what is measured, but it has to fit thousands of connections too.
 *
 * IPC from the parent:  { t: 'ramp', to }   open connections until `to` are idle (or failed)
 *                       { t: 'watch', user } report the first untagged EXISTS that user's IDLE gets
 *                       { t: 'status' }      alive / failed counts
 * to the parent:        { t: 'ramped', ... }, { t: 'exists', user, at }, { t: 'status', ... }
 */
import net from 'node:net';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] ?? def : def; };
const PORT = Number(arg('port', '0'));
const HOST = arg('host', '127.0.0.1');
const SOURCES = arg('sources', '127.0.0.2').split(',');
/** The users of this generator: "prefix" + index for index in [first, first+count) stepping `step`. */
const USER_FMT = arg('user', 'u%d@idle.example');
const FIRST = Number(arg('first', '1'));
const STEP = Number(arg('step', '1'));
const PASSWORD = arg('password', 'pass');
const CONCURRENCY = Number(arg('concurrency', '64'));
const TIMEOUT_MS = Number(arg('timeout', '60000'));
/** Re-issue IDLE after this long (RFC 2177 §3: "at least every 29 minutes"). */
const REIDLE_MS = Number(arg('reidle', String(25 * 60_000)));

type ToParent =
  | { t: 'ramped'; alive: number; opened: number; failed: number; ms: number; errors: Record<string, number>; loginMsP50: number; loginMsP99: number }
  | { t: 'exists'; user: string; at: number }
  | { t: 'status'; alive: number; failed: number; dropped: number; reidled: number };
const send = (m: ToParent) => { if (process.connected) process.send!(m); };

let opened = 0;
let alive = 0;
let failed = 0;
let dropped = 0;
let nextSource = 0;
const errors: Record<string, number> = {};
let watched: string | null = null;
/** Idling sockets in the order their IDLE began, for the re-IDLE sweep (one timer for all). */
const idlers: Array<{ sock: net.Socket; since: number }> = [];
let reidled = 0;
setInterval(() => {
  const now = Date.now();
  // Oldest first; a re-issued IDLE goes to the back. DONE then IDLE pipelined: the tagged OK and the
  // new "+" arrive while the socket is in the idle state, where only EXISTS is looked at.
  while (idlers.length && now - idlers[0]!.since >= REIDLE_MS) {
    const e = idlers.shift()!;
    if (e.sock.destroyed) continue;
    e.sock.write('DONE\r\nc IDLE\r\n');
    e.since = now;
    idlers.push(e);
    reidled++;
  }
}, Math.min(60_000, REIDLE_MS)).unref();

function fail(why: string): void {
  failed++;
  const k = why.slice(0, 80);
  errors[k] = (errors[k] ?? 0) + 1;
}

/** One session up to IDLE's "+": resolves true when idling, with the login round trip in ms. */
function session(user: string): Promise<number | null> {
  return new Promise((resolve) => {
    const localAddress = SOURCES[nextSource++ % SOURCES.length]!;
    const sock = net.connect({ host: HOST, port: PORT, localAddress, noDelay: true });
    let buf = '';
    let step = 0;
    let t0 = 0;
    let settled = false;
    const done = (ok: boolean, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!ok) { fail(why ?? 'failed'); sock.destroy(); resolve(null); return; }
      resolve(performance.now() - t0);
    };
    const timer = setTimeout(() => done(false, `timeout in step ${step}`), TIMEOUT_MS);
    sock.setEncoding('latin1');
    sock.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
    sock.on('close', () => {
      if (!settled) { done(false, `closed in step ${step}: ${buf.slice(0, 60).trim()}`); return; }
      alive--; dropped++;
    });
    sock.on('data', (chunk: string) => {
      if (settled) {
        // Idle: only the watched user's updates matter (RFC 2177: untagged EXISTS while idling).
        if (user === watched && / EXISTS\r\n/.test(chunk)) { send({ t: 'exists', user, at: Date.now() }); watched = null; }
        return;
      }
      buf += chunk;
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (step === 0) {
          if (!line.startsWith('* OK')) { done(false, `greeting: ${line}`); return; }
          t0 = performance.now();
          sock.write(`a LOGIN ${user} ${PASSWORD}\r\n`);
          step = 1;
        } else if (step === 1 && line.startsWith('a ')) {
          if (!line.startsWith('a OK')) { done(false, `login: ${line}`); return; }
          sock.write('b SELECT INBOX\r\n');
          step = 2;
        } else if (step === 2 && line.startsWith('b ')) {
          if (!line.startsWith('b OK')) { done(false, `select: ${line}`); return; }
          sock.write('c IDLE\r\n');
          step = 3;
        } else if (step === 3 && line.startsWith('+')) {
          buf = '';
          alive++;
          idlers.push({ sock, since: Date.now() });
          done(true);
          return;
        } else if (step === 3 && line.startsWith('c ')) {
          done(false, `idle: ${line}`); return;
        }
      }
    });
  });
}

let index = 0;
async function ramp(to: number): Promise<void> {
  const t = performance.now();
  const before = { opened, failed };
  const rtts: number[] = [];
  const worker = async () => {
    while (opened < to) {
      opened++;
      const user = USER_FMT.replace('%d', String(FIRST + STEP * index++));
      const ms = await session(user);
      if (ms !== null) rtts.push(ms);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  rtts.sort((a, b) => a - b);
  const pct = (p: number) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))]! : 0);
  send({
    t: 'ramped', alive, opened: opened - before.opened, failed: failed - before.failed, ms: performance.now() - t, errors: { ...errors },
    loginMsP50: pct(50), loginMsP99: pct(99),
  });
}

process.on('message', (m: { t: string; to?: number; user?: string }) => {
  if (m.t === 'ramp') void ramp(m.to!);
  else if (m.t === 'watch') watched = m.user!;
  else if (m.t === 'status') send({ t: 'status', alive, failed, dropped, reidled });
});
process.on('disconnect', () => process.exit(0));
