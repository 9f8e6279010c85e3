/**
 * The measured workloads, each run the same way against either server over the raw client.
 * Times are client-side (write to tagged reply, hrtime), so both servers are measured alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { ImapClient, type ImapResponse } from '../lib/imap-client.js';
import { memoryOf } from '../lib/dovecot.js';
import type { BenchServer } from './imap-servers.js';

const BIG_TIMEOUT = 600_000;

async function connect(port: number): Promise<ImapClient> {
  return ImapClient.connect({ host: '127.0.0.1', port, connectTimeoutMs: 30_000, commandTimeoutMs: 120_000 });
}

function expectCount(what: string, r: ImapResponse, n: number): void {
  if (r.untaggedCount < n) throw new Error(`${what}: expected ${n} untagged responses, got ${r.untaggedCount}`);
}

export interface LargeFolderResult {
  selectColdMs: number;
  fetchFlagsColdMs: number;
  /** Server CPU (all threads of its processes, ns precision) during the cold SELECT and the cold FETCH. */
  selectColdCpuMs: number;
  fetchFlagsColdCpuMs: number;
  selectWarmMs: number;
  fetchFlagsWarmMs: number;
  envelopeColdMs: number;
  envelopeWarmMs: number;
  searchBodyMs: number;
  searchTextMs: number;
  searchBodyHits: number;
  searchTextHits: number;
}

function searchHits(r: ImapResponse): number {
  const l = r.untagged.find((u) => /^SEARCH\b/i.test(u)) ?? 'SEARCH';
  return l.trim().split(/\s+/).length - 1;
}

/** Items 1-3: SELECT + UID FETCH 1:* (FLAGS) cold and warm, FETCH 1:* (ENVELOPE), SEARCH BODY / TEXT. */
export async function largeFolder(server: BenchServer, user: string, password: string, messages: number, rareWord: string, selectOnly = false): Promise<Partial<LargeFolderResult>> {
  // Cold: the first SELECT ever on this copy (both servers build their index from the bare Maildir).
  let c = await connect(server.port);
  await c.login(user, password);
  const pids = server.pids(); // after LOGIN: Dovecot's imap process for this session exists
  const cpu0 = threadCpuMs(pids);
  const sc = await c.ok('SELECT INBOX', { timeoutMs: BIG_TIMEOUT });
  const cpu1 = threadCpuMs(pids);
  const fc = await c.ok('UID FETCH 1:* (FLAGS)', { collect: false, timeoutMs: BIG_TIMEOUT });
  const cpu2 = threadCpuMs(pids);
  expectCount('UID FETCH FLAGS (cold)', fc, messages);
  await c.logout();
  const coldCpu = { selectColdCpuMs: cpu1 - cpu0, fetchFlagsColdCpuMs: cpu2 - cpu1 };
  // Warm: a new session (for Dovecot a new imap process) on the same folder.
  c = await connect(server.port);
  await c.login(user, password);
  const sw = await c.ok('SELECT INBOX', { timeoutMs: BIG_TIMEOUT });
  const fw = await c.ok('UID FETCH 1:* (FLAGS)', { collect: false, timeoutMs: BIG_TIMEOUT });
  expectCount('UID FETCH FLAGS (warm)', fw, messages);
  if (selectOnly) {
    await c.logout();
    return { selectColdMs: sc.ms, fetchFlagsColdMs: fc.ms, ...coldCpu, selectWarmMs: sw.ms, fetchFlagsWarmMs: fw.ms };
  }
  const ec = await c.ok('FETCH 1:* (ENVELOPE)', { collect: false, timeoutMs: BIG_TIMEOUT });
  expectCount('FETCH ENVELOPE (cold)', ec, messages);
  await c.logout();
  c = await connect(server.port);
  await c.login(user, password);
  await c.ok('SELECT INBOX', { timeoutMs: BIG_TIMEOUT });
  const ew = await c.ok('FETCH 1:* (ENVELOPE)', { collect: false, timeoutMs: BIG_TIMEOUT });
  expectCount('FETCH ENVELOPE (warm)', ew, messages);
  // Body search, warm: one untimed pass fills the page cache (and any server cache) first.
  await c.ok(`SEARCH BODY ${rareWord}`, { timeoutMs: BIG_TIMEOUT });
  const sb = await c.ok(`SEARCH BODY ${rareWord}`, { timeoutMs: BIG_TIMEOUT });
  await c.ok(`SEARCH TEXT ${rareWord}`, { timeoutMs: BIG_TIMEOUT });
  const st = await c.ok(`SEARCH TEXT ${rareWord}`, { timeoutMs: BIG_TIMEOUT });
  await c.logout();
  return {
    selectColdMs: sc.ms, fetchFlagsColdMs: fc.ms, ...coldCpu, selectWarmMs: sw.ms, fetchFlagsWarmMs: fw.ms,
    envelopeColdMs: ec.ms, envelopeWarmMs: ew.ms, searchBodyMs: sb.ms, searchTextMs: st.ms,
    searchBodyHits: searchHits(sb), searchTextHits: searchHits(st),
  };
}

/**
 * CPU time (ms) used so far by a server's processes: utime+stime of each live process plus
 * cutime+cstime (reaped children: Dovecot's exited per-connection processes). Less sensitive to a
 * busy machine than wall-clock throughput.
 */
export function serverCpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      // Fields after the name start at 3 (state); utime is 14, so index 11; then stime, cutime, cstime.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch { /* exited */ }
  }
  return ticks * 10; // USER_HZ = 100 on Linux
}

/**
 * CPU time (ms, ns precision) used so far by every thread of the given live processes
 * (/proc/<pid>/task/<tid>/schedstat: time on CPU), for spans too short for 10 ms ticks.
 */
export function threadCpuMs(pids: number[]): number {
  let ns = 0;
  for (const pid of pids) {
    let tids: string[] = [];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const t of tids) {
      try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* exited */ }
    }
  }
  return ns / 1e6;
}

export interface MixedResult {
  /** Server CPU per 1,000 commands, ms (all of the server's processes). */
  serverCpuMsPerKCmd: number;
  clients: number;
  seconds: number;
  commands: number;
  sessions: number;
  errors: number;
  commandsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  perCommand: Record<string, { n: number; p50Ms: number; p99Ms: number }>;
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A small message for APPEND (~2 KB, CRLF). */
function appendMessage(i: number): Buffer {
  const body = 'The quick brown fox jumps over the lazy dog. '.repeat(40).replace(/(.{70})/g, '$1\r\n');
  return Buffer.from(`From: Bench <bench@bench.example>\r\nTo: User <user@bench.example>\r\nSubject: appended ${i}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <append-${i}@bench.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}\r\n`);
}

/**
 * Item 4: imaptest-like mixed sessions. Each client works on its own user (users[i % n]), whose
 * INBOX holds `mailboxSize` messages. One round: FETCH headers of 10 messages, FETCH one full
 * body, STORE a flag, APPEND, mark the appended message \Deleted and EXPUNGE it (the folder keeps
 * its size). `loggedIn` = false: every round is a whole session (LOGIN, SELECT, round, LOGOUT;
 * every command counted); true: sessions stay logged in and selected and only rounds repeat.
 */
export async function mixed(server: BenchServer, users: string[], password: string, clients: number, seconds: number, mailboxSize: number, loggedIn: boolean): Promise<MixedResult> {
  const lat = new Map<string, number[]>();
  let commands = 0, sessions = 0, errors = 0, seq = 0;
  const end = Date.now() + seconds * 1000;
  const rnd = (n: number) => 1 + Math.floor(Math.random() * n);
  const rec = (name: string, r: ImapResponse) => {
    commands++;
    if (r.status !== 'OK') errors++;
    let a = lat.get(name);
    if (!a) { a = []; lat.set(name, a); }
    a.push(r.ms);
  };
  const round = async (c: ImapClient, exists: number) => {
    const n = Math.max(1, exists);
    const from = rnd(Math.max(1, n - 9));
    rec('FETCH headers', await c.command(`FETCH ${from}:${Math.min(n, from + 9)} (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)])`, { collect: false }));
    rec('FETCH body', await c.command(`FETCH ${rnd(n)} (BODY.PEEK[])`, { collect: false }));
    rec('STORE', await c.command(`STORE ${rnd(n)} +FLAGS (${Math.random() < 0.5 ? '\\Seen' : '\\Flagged'})`, { collect: false }));
    const ap = await c.command(['APPEND INBOX (\\Seen) ', appendMessage(++seq)], { collect: false });
    rec('APPEND', ap);
    const m = /\[APPENDUID \d+ (\d+)\]/i.exec(ap.text);
    if (m) {
      rec('UID STORE', await c.command(`UID STORE ${m[1]} +FLAGS.SILENT (\\Deleted)`, { collect: false }));
      // UID EXPUNGE (RFC 4315) removes only the message this round appended: the seed Maildir has messages
      // flagged \Deleted (T) too, and a plain EXPUNGE would shrink the folder under the client's count.
      rec('EXPUNGE', await c.command(`UID EXPUNGE ${m[1]}`, { collect: false }));
    }
  };
  const existsOf = (r: ImapResponse): number => {
    const l = r.untagged.find((u) => /^\d+ EXISTS$/i.test(u));
    return l ? Number(l.split(' ')[0]) : mailboxSize;
  };
  const t0 = Date.now();
  const cpu0 = serverCpuMs(server.pids());
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const user = users[i % users.length]!;
    if (loggedIn) {
      const c = await connect(server.port);
      await c.login(user, password);
      const sel = await c.ok('SELECT INBOX');
      const exists = existsOf(sel);
      while (Date.now() < end) await round(c, exists);
      await c.logout();
      return;
    }
    while (Date.now() < end) {
      const c = await connect(server.port);
      try {
        rec('LOGIN', await c.command(`LOGIN ${user} ${password}`));
        const sel = await c.command('SELECT INBOX');
        rec('SELECT', sel);
        await round(c, existsOf(sel));
        const lo = process.hrtime.bigint();
        await c.logout();
        rec('LOGOUT', { status: 'OK', ms: Number(process.hrtime.bigint() - lo) / 1e6 } as ImapResponse);
        sessions++;
      } catch (e) {
        errors++;
        c.destroy();
        if (Date.now() < end) await sleep(10);
        void e;
      }
    }
  }));
  const secs = (Date.now() - t0) / 1000;
  const cpuMs = serverCpuMs(server.pids()) - cpu0;
  const all: number[] = [];
  const perCommand: MixedResult['perCommand'] = {};
  for (const [k, a] of lat) {
    a.sort((x, y) => x - y);
    perCommand[k] = { n: a.length, p50Ms: pct(a, 50), p99Ms: pct(a, 99) };
    for (const v of a) all.push(v);
  }
  all.sort((x, y) => x - y);
  return { serverCpuMsPerKCmd: commands ? (cpuMs / commands) * 1000 : 0, clients, seconds: secs, commands, sessions: loggedIn ? clients : sessions, errors, commandsPerSec: commands / secs, p50Ms: pct(all, 50), p99Ms: pct(all, 99), perCommand };
}

export interface IdleMemoryResult {
  connections: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  pssBeforeKb: number;
  pssAfterKb: number;
  processes: number;
  rssPerConnKb: number;
  pssPerConnKb: number;
}

/** Item 5: N logged-in connections with INBOX selected, all in IDLE; memory delta / N. */
export async function idleMemory(server: BenchServer, users: string[], password: string, n: number): Promise<IdleMemoryResult> {
  // Warm up once (code paths, lazily loaded modules, folder states) so the delta is per connection.
  {
    const c = await connect(server.port);
    await c.login(users[0]!, password);
    await c.ok('SELECT INBOX');
    await c.logout();
  }
  await sleep(1500);
  await server.settle();
  const before = memoryOf(server.pids());
  const conns: ImapClient[] = [];
  const idles: Promise<ImapResponse>[] = [];
  let next = 0;
  // Ramp with limited concurrency: Dovecot forks a login and an imap process per connection.
  await Promise.all(Array.from({ length: Math.min(25, n) }, async () => {
    while (next < n) {
      const i = next++;
      const c = await connect(server.port);
      await c.login(users[i % users.length]!, password);
      await c.ok('SELECT INBOX');
      // Not ImapClient.idle(): an async function returning a promise resolves only when that one
      // settles, i.e. after DONE. The "+" arrives well within the settle time below.
      idles.push(c.command('IDLE', { collect: false }));
      conns.push(c);
    }
  }));
  await sleep(3000);
  await server.settle();
  const after = memoryOf(server.pids());
  for (const c of conns) c.idleDone();
  await Promise.allSettled(idles);
  await Promise.all(conns.map((c) => c.logout()));
  return {
    connections: n,
    rssBeforeKb: before.rssKb, rssAfterKb: after.rssKb, pssBeforeKb: before.pssKb, pssAfterKb: after.pssKb,
    processes: after.processes,
    rssPerConnKb: (after.rssKb - before.rssKb) / n,
    pssPerConnKb: (after.pssKb - before.pssKb) / n,
  };
}
