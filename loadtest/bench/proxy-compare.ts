#!/usr/bin/env node
/**
 * bench:proxy — what a proxy costs (issue 6): the same imap-mixed workload against four set-ups, back to
 * back on this machine: (a) our backend direct, (b) our proxy -> our backend, (c) Dovecot direct,
 * (d) Dovecot as a proxy (`proxy=y`, master login) -> Dovecot. Reports throughput, p50/p99 per command
 * and for LOGIN, the proxy's added p99 and its throughput ratio proxy/direct for ours and for Dovecot,
 * the CPU time of the proxy (and backend) processes per 1,000 commands, and the read-back ledger
 * (nothing lost, duplicated or corrupted). Installs nothing: without Dovecot it says so and exits 0.
 *
 *   npm run bench:proxy -- [--duration 15s] [--clients 10] [--users 20] [--messages 30] [--rounds 2]
 *                          [--scheme SSHA512|SHA512-CRYPT|PLAIN] [--variants login,loggedin] [--fsync on|off]
 *                          [--dovecot-auth-cache 10M] [--cpu-prof DIR] [--output FILE] [--keep]
 *   Smoke run: npm run bench:proxy -- --duration 2s --rounds 1 --users 4 --clients 4
 *
 * Variants: `login` = imaptest's default mix (every session logs in, runs one pass, logs out: logins
 * are a large part of the work); `loggedin` = the same mix with LOGOUT=0 (each client logs in once and
 * stays: the relay path alone). Set-ups run interleaved per round (a b c d, a b c d, ...) so machine
 * noise hits them alike; every round is reported, and the rounds pooled (histograms merged).
 *
 * Same for all four: users user<N>@example.org / "pass" with one hash per user in the chosen scheme
 * (our users file and Dovecot's passwd-file get the same strings), the proxies' master user "proxy"
 * with the same scheme at both backends, the same seed Maildirs (copied byte for byte), plaintext
 * LOGIN without TLS on loopback, the same fsync policy, both proxies in high-performance login mode
 * (ours: loginMode default; Dovecot: imap-login service_count = 0, process_min_avail = 2).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dovecotVersion } from '../lib/dovecot.js';
import { seedTwinRoots } from '../lib/twin-roots.js';
import { patternUsers } from '../lib/users.js';
import { parseSizes } from '../lib/tracked-message.js';
import { decodeHistogram, newHistogram, summarize, type CommandSummary } from '../lib/stats.js';
import type { Target } from '../lib/target.js';
import { PROFILE_TABLE } from '../profiles/index.js';
import type { ProfileOptions } from '../profiles/types.js';
import { runProfile } from '../cli/run.js';
import { parseDuration } from '../cli/args.js';
import type { RunResult } from '../report/result.js';
import { hashFor, SCHEMES, SETUPS, startSetups, treeCpu, treeCpuSeconds, type Scheme, type SetupName } from './proxy-setups.js';

const USAGE = `usage: npm run bench:proxy -- [--duration 15s] [--clients 10] [--users 20] [--messages 30] [--rounds 2]
       [--scheme SSHA512|SHA512-CRYPT|PLAIN] [--variants login,loggedin] [--fsync on|off]
       [--dovecot-auth-cache SIZE] [--cpu-prof DIR] [--output FILE] [--keep]
`;

const VARIANTS: Record<string, Record<string, [number, number]>> = { login: {}, loggedin: { LOGOUT: [0, 0] } };

export interface SetupRun {
  round: number;
  opsPerSec: number;
  ops: number;
  commands: Record<string, CommandSummary>;
  /** CPU seconds per 1,000 commands (LOGIN included) of the proxy's process tree (null for direct) and the backend's. */
  proxyCpuMsPer1k: number | null;
  /** Share of the proxy's CPU time spent in the kernel (system time), %. */
  proxySysPct: number | null;
  backendCpuMsPer1k: number;
  lost: number; duplicated: number; corrupted: number; protocolErrors: number; unexpected: number; uncertain: number;
  checkedMessages: number; messagesPutIn: number; connectErrors: number; passed: boolean;
  errorSamples: string[];
}

export interface SetupPooled {
  opsPerSec: number;
  commands: Record<string, CommandSummary>;
  /** All commands but LOGIN and the harness's own "track" FETCH, merged. */
  allButLogin: CommandSummary | null;
  proxyCpuMsPer1k: number | null;
  backendCpuMsPer1k: number;
}

export interface Comparison {
  throughputRatio: number | null;
  addedP99Ms: Record<string, number>;
  addedP50Ms: Record<string, number>;
}

export interface BenchOutput {
  dovecot: string; scheme: Scheme; durationS: number; clients: number; users: number; messages: number; rounds: number; fsync: boolean;
  dovecotAuthCache: string | null;
  variants: Record<string, {
    runs: Record<SetupName, SetupRun[]>;
    pooled: Record<SetupName, SetupPooled>;
    /** proxy vs direct, per server. */
    ours: Comparison;
    dovecot: Comparison;
  }>;
  passed: boolean;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function pool(runs: RunResult[], cpu: { proxy: number | null; backend: number }[]): SetupPooled {
  const hist = new Map<string, ReturnType<typeof newHistogram>>();
  const ok = new Map<string, number>(), failed = new Map<string, number>();
  const all = newHistogram();
  let allOk = 0, allFailed = 0;
  for (const r of runs) {
    for (const [k, b64] of Object.entries(r.histograms)) {
      const h = decodeHistogram(b64);
      if (!hist.has(k)) hist.set(k, newHistogram());
      hist.get(k)!.add(h);
      if (k !== 'LOGIN' && k !== 'track') all.add(h);
    }
    for (const [k, c] of Object.entries(r.commands)) {
      ok.set(k, (ok.get(k) ?? 0) + c.count); failed.set(k, (failed.get(k) ?? 0) + c.failed);
      if (k !== 'LOGIN' && k !== 'track') { allOk += c.count; allFailed += c.failed; }
    }
  }
  const commands: Record<string, CommandSummary> = {};
  for (const [k, h] of hist) commands[k] = summarize(h, ok.get(k) ?? 0, failed.get(k) ?? 0);
  const ops = runs.reduce((s, r) => s + r.totals.ops, 0);
  const secs = runs.reduce((s, r) => s + r.durationS, 0);
  const proxyCpu = cpu.every((c) => c.proxy !== null) ? cpu.reduce((s, c) => s + c.proxy!, 0) : null;
  const backendCpu = cpu.reduce((s, c) => s + c.backend, 0);
  return {
    opsPerSec: secs > 0 ? Math.round((ops / secs) * 10) / 10 : 0,
    commands,
    allButLogin: allOk + allFailed > 0 ? summarize(all, allOk, allFailed) : null,
    proxyCpuMsPer1k: proxyCpu === null || ops === 0 ? null : r3((proxyCpu * 1000 * 1000) / ops),
    backendCpuMsPer1k: ops === 0 ? 0 : r3((backendCpu * 1000 * 1000) / ops),
  };
}

function compare(direct: SetupPooled, proxy: SetupPooled): Comparison {
  const addedP99Ms: Record<string, number> = {}, addedP50Ms: Record<string, number> = {};
  for (const [k, d] of Object.entries(direct.commands)) {
    const p = proxy.commands[k];
    if (!p || k === 'track') continue;
    addedP99Ms[k] = r3(p.p99Ms - d.p99Ms);
    addedP50Ms[k] = r3(p.p50Ms - d.p50Ms);
  }
  if (direct.allButLogin && proxy.allButLogin) {
    addedP99Ms['all-but-LOGIN'] = r3(proxy.allButLogin.p99Ms - direct.allButLogin.p99Ms);
    addedP50Ms['all-but-LOGIN'] = r3(proxy.allButLogin.p50Ms - direct.allButLogin.p50Ms);
  }
  return { throughputRatio: direct.opsPerSec > 0 ? r3(proxy.opsPerSec / direct.opsPerSec) : null, addedP99Ms, addedP50Ms };
}

function fmt(n: number | null | undefined): string { return n === null || n === undefined ? '-' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2); }

function table(rows: string[][]): string {
  const w = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n') + '\n';
}

function report(out: BenchOutput): string {
  let s = `bench:proxy: ${out.dovecot}; scheme {${out.scheme}}; ${out.rounds} round(s) x ${out.durationS} s per set-up; ${out.clients} clients, ${out.users} users, ${out.messages} seed messages; fsync ${out.fsync ? 'on' : 'off'}\n`;
  for (const [variant, v] of Object.entries(out.variants)) {
    s += `\n== ${variant === 'login' ? 'imap-mixed, logins included (imaptest default: one pass per session)' : 'imap-mixed, logged in (LOGOUT=0: one login per client, then commands only)'} ==\n`;
    const rows: string[][] = [['metric', ...SETUPS]];
    for (let round = 0; round < out.rounds; round++) rows.push([`ops/s round ${round + 1}`, ...SETUPS.map((n) => fmt(v.runs[n][round]?.opsPerSec))]);
    rows.push(['ops/s pooled', ...SETUPS.map((n) => fmt(v.pooled[n].opsPerSec))]);
    const cmds = Object.keys(v.pooled['ours-direct'].commands).filter((k) => k !== 'track');
    for (const k of ['LOGIN', ...cmds.filter((c) => c !== 'LOGIN')]) {
      if (!v.pooled['ours-direct'].commands[k]) continue;
      rows.push([`${k} p50 / p99 ms`, ...SETUPS.map((n) => { const c = v.pooled[n].commands[k]; return c ? `${fmt(c.p50Ms)} / ${fmt(c.p99Ms)}` : '-'; })]);
    }
    rows.push(['all but LOGIN p50 / p99 ms', ...SETUPS.map((n) => { const c = v.pooled[n].allButLogin; return c ? `${fmt(c.p50Ms)} / ${fmt(c.p99Ms)}` : '-'; })]);
    for (let round = 0; round < out.rounds; round++) rows.push([`proxy CPU ms/1k cmds r${round + 1}`, ...SETUPS.map((n) => fmt(v.runs[n][round]?.proxyCpuMsPer1k))]);
    rows.push(['proxy CPU in kernel %', ...SETUPS.map((n) => v.runs[n].map((r) => (r.proxySysPct === null ? '-' : String(r.proxySysPct))).join(', '))]);
    for (let round = 0; round < out.rounds; round++) rows.push([`backend CPU ms/1k cmds r${round + 1}`, ...SETUPS.map((n) => fmt(v.runs[n][round]?.backendCpuMsPer1k))]);
    rows.push(['lost/dup/corrupt/proto/unexp', ...SETUPS.map((n) => {
      const rs = v.runs[n];
      const sum = (f: (r: SetupRun) => number) => rs.reduce((a, r) => a + f(r), 0);
      return `${sum((r) => r.lost)}/${sum((r) => r.duplicated)}/${sum((r) => r.corrupted)}/${sum((r) => r.protocolErrors)}/${sum((r) => r.unexpected)}`;
    })]);
    rows.push(['messages checked', ...SETUPS.map((n) => String(v.runs[n].reduce((a, r) => a + r.checkedMessages, 0)))]);
    s += table(rows);
    const ratioRounds = (p: SetupName, d: SetupName) => v.runs[p].map((r, i) => fmt(v.runs[d][i] ? r.opsPerSec / v.runs[d][i]!.opsPerSec : null)).join(', ');
    s += `proxy/direct throughput: ours ${fmt(v.ours.throughputRatio)} (rounds ${ratioRounds('ours-proxy', 'ours-direct')}), dovecot ${fmt(v.dovecot.throughputRatio)} (rounds ${ratioRounds('dovecot-proxy', 'dovecot-direct')})\n`;
    s += `added p99 ms (proxy - direct): LOGIN ours ${fmt(v.ours.addedP99Ms.LOGIN)} dovecot ${fmt(v.dovecot.addedP99Ms.LOGIN)}; all but LOGIN ours ${fmt(v.ours.addedP99Ms['all-but-LOGIN'])} dovecot ${fmt(v.dovecot.addedP99Ms['all-but-LOGIN'])}\n`;
  }
  s += `\n${out.passed ? 'PASS' : 'FAIL: correctness or protocol errors (see lost/dup/corrupt/proto/unexp)'}\n`;
  return s;
}

async function main(): Promise<number> {
  let v;
  try {
    v = parseArgs({ options: {
      duration: { type: 'string' }, clients: { type: 'string' }, users: { type: 'string' }, messages: { type: 'string' }, rounds: { type: 'string' },
      scheme: { type: 'string' }, variants: { type: 'string' }, fsync: { type: 'string' }, 'dovecot-auth-cache': { type: 'string' },
      'cpu-prof': { type: 'string' }, output: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, strict: true }).values;
  } catch (e) { process.stderr.write(`bench:proxy: ${(e as Error).message}\n${USAGE}`); return 2; }
  if (v.help) { process.stdout.write(USAGE); return 0; }
  const scheme = (v.scheme ?? 'SSHA512').toUpperCase() as Scheme;
  if (!SCHEMES.includes(scheme)) { process.stderr.write(`bench:proxy: --scheme: expected ${SCHEMES.join(', ')}\n`); return 2; }
  const variants = (v.variants ?? 'login,loggedin').split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of variants) if (!VARIANTS[x]) { process.stderr.write(`bench:proxy: --variants: unknown variant ${x} (login, loggedin)\n`); return 2; }
  const num = (s: string | undefined, def: number, name: string) => {
    const n = s === undefined ? def : Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer`);
    return n;
  };
  let durationMs: number, clients: number, nUsers: number, nMsgs: number, rounds: number;
  try {
    durationMs = parseDuration(v.duration ?? '15s', '--duration');
    clients = num(v.clients, 10, 'clients'); nUsers = num(v.users, 20, 'users'); nMsgs = num(v.messages, 30, 'messages'); rounds = num(v.rounds, 2, 'rounds');
  } catch (e) { process.stderr.write(`bench:proxy: ${(e as Error).message}\n${USAGE}`); return 2; }
  const fsync = (v.fsync ?? 'off') !== 'off';
  const version = dovecotVersion();
  if (!version) {
    process.stdout.write('bench:proxy: Dovecot is not installed, nothing to compare against (it installs nothing; on Debian: apt-get install dovecot-imapd).\n');
    return 0;
  }

  const base = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  chmodSync(base, 0o755);
  const creds = patternUsers('user%d@example.org', { start: 1, end: nUsers }, 'pass');
  const users = creds.map((c) => ({ user: c.user, password: c.pass, hash: hashFor(scheme, c.pass) }));
  process.stderr.write(`bench:proxy: seeding ${nUsers} users x ${nMsgs} messages, {${scheme}} hashes...\n`);
  const { oursRoot, doveRoot } = seedTwinRoots(base, creds, nMsgs);
  let setups;
  try {
    setups = await startSetups({
      dir: base, oursRoot, doveRoot, users, masterHash: hashFor(scheme, 'master-secret'), fsync,
      cpuProfDir: v['cpu-prof'] ?? null, dovecotAuthCache: v['dovecot-auth-cache'] ?? null,
    });
  } catch (e) {
    // startSetups stops what it started; the temp dir goes too unless --keep (then its logs can be read).
    if (!v.keep) rmSync(base, { recursive: true, force: true });
    throw e;
  }
  const ports: Record<SetupName, number> = {
    'ours-direct': setups.oursBackend.ports.imap!, 'ours-proxy': setups.oursProxy.ports.imap!,
    'dovecot-direct': setups.doveBackend.port, 'dovecot-proxy': setups.doveProxy.port,
  };
  const proxyPid: Record<SetupName, number | null> = { 'ours-direct': null, 'ours-proxy': setups.oursProxy.pid, 'dovecot-direct': null, 'dovecot-proxy': setups.doveProxy.masterPid };
  const backendPid: Record<SetupName, number> = { 'ours-direct': setups.oursBackend.pid, 'ours-proxy': setups.oursBackend.pid, 'dovecot-direct': setups.doveBackend.masterPid, 'dovecot-proxy': setups.doveBackend.masterPid };
  const out: BenchOutput = { dovecot: version, scheme, durationS: durationMs / 1000, clients, users: nUsers, messages: nMsgs, rounds, fsync, dovecotAuthCache: v['dovecot-auth-cache'] ?? null, variants: {}, passed: true };
  try {
    for (const variant of variants) {
      const runs = Object.fromEntries(SETUPS.map((n) => [n, [] as RunResult[]])) as Record<SetupName, RunResult[]>;
      const cpus = Object.fromEntries(SETUPS.map((n) => [n, [] as { proxy: number | null; proxySys: number | null; backend: number }[]])) as Record<SetupName, { proxy: number | null; proxySys: number | null; backend: number }[]>;
      for (let round = 0; round < rounds; round++) {
        for (const name of SETUPS) {
          const opts: ProfileOptions = {
            clients, durationMs, mix: VARIANTS[variant]!, msgs: 30, box: 'INBOX', copybox: null, idleMs: 1000, sizes: parseSizes('2k:50,8k:30,32k:15,128k:5'),
            rate: 0, rcptsPerMessage: 1, seedPerUser: 20, pop3Delete: true, protocol: 'imap', sessions: 100, ramp: 0, serverPids: [], verify: true,
          };
          const target: Target = { host: '127.0.0.1', ports: { imap: ports[name] }, tls: 'none', sourceAddresses: [], connectTimeoutMs: 5000 };
          process.stderr.write(`bench:proxy: ${variant} round ${round + 1}: ${name} (port ${ports[name]}) for ${durationMs / 1000} s...\n`);
          // CPU window = the load phase: read when the run's clock stops (runProfile stops at durationMs
          // after it starts; imap-mixed has no preparation), so the read-back afterwards is not counted.
          const p0 = proxyPid[name] === null ? null : treeCpu(proxyPid[name]!);
          const b0 = treeCpuSeconds(backendPid[name]);
          const end = { done: false, p: null as { user: number; sys: number } | null, b: 0 };
          const sample = () => { end.done = true; end.p = proxyPid[name] === null ? null : treeCpu(proxyPid[name]!); end.b = treeCpuSeconds(backendPid[name]); };
          const timer = setTimeout(sample, durationMs);
          const r = await runProfile({ profile: PROFILE_TABLE['imap-mixed']!, target, creds, opts, seed: 42 + round, runId: `bp-${variant}-${name}-${round}`, worker: 0, workers: 1, quiet: true, shownOptions: { setup: name, variant } });
          clearTimeout(timer);
          if (!end.done) sample();
          runs[name].push(r);
          const b1 = end.b;
          const pd = p0 === null || end.p === null ? null : { user: end.p.user - p0.user, sys: end.p.sys - p0.sys };
          cpus[name].push({ proxy: pd === null ? null : pd.user + pd.sys, proxySys: pd?.sys ?? null, backend: b1 - b0 });
          if (!r.passed || r.totals.connectErrors > 0) out.passed = false;
        }
      }
      const setupRuns = Object.fromEntries(SETUPS.map((n) => [n, runs[n].map((r, i): SetupRun => ({
        round: i + 1, opsPerSec: r.totals.opsPerSec, ops: r.totals.ops, commands: r.commands,
        proxyCpuMsPer1k: cpus[n][i]!.proxy === null || r.totals.ops === 0 ? null : r3((cpus[n][i]!.proxy! * 1e6) / r.totals.ops),
        proxySysPct: cpus[n][i]!.proxy ? Math.round((cpus[n][i]!.proxySys! / cpus[n][i]!.proxy!) * 100) : null,
        backendCpuMsPer1k: r.totals.ops === 0 ? 0 : r3((cpus[n][i]!.backend * 1e6) / r.totals.ops),
        lost: r.lost, duplicated: r.duplicated, corrupted: r.corrupted, protocolErrors: r.protocolErrors, unexpected: r.unexpected, uncertain: r.uncertain,
        checkedMessages: r.checkedMessages, messagesPutIn: Number(r.extra.messagesPutIn ?? 0), connectErrors: r.totals.connectErrors, passed: r.passed,
        errorSamples: r.errorSamples.slice(0, 5),
      }))])) as Record<SetupName, SetupRun[]>;
      const pooled = Object.fromEntries(SETUPS.map((n) => [n, pool(runs[n], cpus[n])])) as Record<SetupName, SetupPooled>;
      out.variants[variant] = {
        runs: setupRuns, pooled,
        ours: compare(pooled['ours-direct'], pooled['ours-proxy']),
        dovecot: compare(pooled['dovecot-direct'], pooled['dovecot-proxy']),
      };
    }
  } finally {
    await setups.stop();
    if (!v.keep) rmSync(base, { recursive: true, force: true });
    else process.stderr.write(`bench:proxy: kept ${base}\n`);
  }
  process.stdout.write(report(out));
  if (v.output) writeFileSync(v.output, JSON.stringify(out, null, 2) + '\n');
  return out.passed ? 0 : 1;
}

main().then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`bench:proxy: ${(e as Error).stack ?? e}\n`); process.exitCode = 4; });
