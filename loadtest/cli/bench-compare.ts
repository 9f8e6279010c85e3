#!/usr/bin/env node
/**
 * bench:compare — the same load-test profiles against our node and against a private Dovecot,
 * side by side (the source of the figures in docs/performance.md). Installs nothing: without
 * Dovecot (dovecot-imapd, -pop3d, -lmtpd) it says so and exits 0.
 *
 *   npm run bench:compare -- [--duration 20s] [--clients 10] [--users 20] [--messages 200]
 *                            [--profiles imap-mixed,login-storm,pop3,lmtp] [--fsync on|off] [--output FILE] [--html FILE]
 *   Smoke run: npm run bench:compare -- --duration 3s --users 4 --messages 20
 *
 * Both servers get the same users (user<N>@example.org / "pass"), the same seed Maildirs
 * (loadtest/lib/maildir-gen.ts, copied byte for byte), loopback ports, plaintext logins (no TLS
 * on either side, so the comparison is the mail server, not the cipher), and the same fsync policy
 * (on = ours fsync:true / Dovecot's default; off = fsync:false / mail_fsync=never). Ours runs from
 * its config file (dist/services/mail/main.js --config), exactly as deployed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { dovecotVersion, startDovecot } from '../lib/dovecot.js';
import { seedTwinRoots } from '../lib/twin-roots.js';
import { freePort } from '../lib/target.js';
import { patternUsers } from '../lib/users.js';
import { parseSizes } from '../lib/tracked-message.js';
import type { Protocol, Target } from '../lib/target.js';
import { PROFILE_TABLE } from '../profiles/index.js';
import type { ProfileOptions } from '../profiles/types.js';
import { runProfile } from './run.js';
import { parseDuration } from './args.js';
import type { RunResult } from '../report/result.js';
import { renderHtml } from '../report/html.js';

const USAGE = `usage: npm run bench:compare -- [--duration 20s] [--clients 10] [--users 20] [--messages 200]
       [--profiles imap-mixed,login-storm,pop3,lmtp] [--fsync on|off] [--output FILE] [--html FILE] [--keep]
`;

interface Ours { child: ChildProcess; ports: Partial<Record<Protocol, number>>; stop(): Promise<void> }

async function startOurs(dir: string, mailRoot: string, users: string[], fsync: boolean): Promise<Ours> {
  writeFileSync(join(dir, 'users.yaml'), `users:\n${users.map((u) => `  ${u}:\n    password: "{PLAIN}pass"\n`).join('')}`);
  const cfg = join(dir, 'mailnode.yaml');
  writeFileSync(cfg, `node:
  hostname: bench-ours
  dataDir: ${join(dir, 'data')}
storage:
  mailRoot: ${mailRoot}
  fsync: ${fsync}
directory:
  path: ${join(dir, 'users.yaml')}
imap: { host: 127.0.0.1, port: 0, tlsPort: null, allowPlaintextAuth: true, maxUserIpConnections: 100000 }
pop3: { host: 127.0.0.1, port: 0, tlsPort: null, allowPlaintextAuth: true }
lmtp: { host: 127.0.0.1, port: 0, socket: false }
managesieve: { host: 127.0.0.1, port: null }
quotaStatus: { port: null }
http: { host: 127.0.0.1, port: null }
log: { level: warn }
`);
  const main = new URL('../../services/mail/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, '--config', cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports: Partial<Record<Protocol, number>> = {};
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = /^listening (imap|pop3|lmtp) 127\.0\.0\.1:(\d+)$/.exec(l);
      if (m) ports[m[1] as Protocol] = Number(m[2]);
      if (/ ready \(config/.test(l)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`our node exited early (code ${code})`)));
  });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, ports,
    stop: async () => { child.kill('SIGTERM'); const t = setTimeout(() => child.kill('SIGKILL'), 10_000); await exited; clearTimeout(t); },
  };
}

function fmt(n: number | undefined): string { return n === undefined ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(2); }

function rows(profile: string, ours: RunResult, dove: RunResult): string[][] {
  const out: string[][] = [];
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
  out.push([profile, 'ops/s', fmt(ours.totals.opsPerSec), fmt(dove.totals.opsPerSec), ratio(ours.totals.opsPerSec, dove.totals.opsPerSec)]);
  for (const k of Object.keys(ours.commands)) {
    const a = ours.commands[k]!, b = dove.commands[k];
    if (!b || k === 'track') continue;
    out.push(['', `${k} p50 ms`, fmt(a.p50Ms), fmt(b.p50Ms), ratio(a.p50Ms, b.p50Ms)]);
    out.push(['', `${k} p99 ms`, fmt(a.p99Ms), fmt(b.p99Ms), ratio(a.p99Ms, b.p99Ms)]);
  }
  const bad = (r: RunResult) => `${r.lost}/${r.duplicated}/${r.corrupted}/${r.protocolErrors}`;
  out.push(['', 'lost/dup/corrupt/proto', bad(ours), bad(dove), '']);
  return out;
}

async function main(): Promise<number> {
  let v;
  try {
    v = parseArgs({ options: {
      duration: { type: 'string' }, clients: { type: 'string' }, users: { type: 'string' }, messages: { type: 'string' },
      profiles: { type: 'string' }, fsync: { type: 'string' }, output: { type: 'string' }, html: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, strict: true }).values;
  } catch (e) { process.stderr.write(`bench:compare: ${(e as Error).message}\n${USAGE}`); return 2; }
  if (v.help) { process.stdout.write(USAGE); return 0; }
  const version = dovecotVersion();
  if (!version) {
    process.stdout.write('bench:compare: Dovecot is not installed, nothing to compare against (it installs nothing; on Debian: apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve).\n');
    return 0;
  }
  const durationMs = parseDuration(v.duration ?? '20s', '--duration');
  const clients = Number(v.clients ?? 10), nUsers = Number(v.users ?? 20), nMsgs = Number(v.messages ?? 200);
  const fsync = (v.fsync ?? 'on') !== 'off';
  const wanted = (v.profiles ?? 'imap-mixed,login-storm,pop3,lmtp').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of wanted) if (!PROFILE_TABLE[p] || p === 'idle-soak') { process.stderr.write(`bench:compare: unsupported profile ${p}\n`); return 2; }

  const base = mkdtempSync(join(tmpdir(), 'bench-compare-'));
  chmodSync(base, 0o755);
  const creds = patternUsers('user%d@example.org', { start: 1, end: nUsers }, 'pass');
  process.stderr.write(`seeding ${nUsers} users x ${nMsgs} messages...\n`);
  const { oursRoot, doveRoot } = seedTwinRoots(base, creds, nMsgs);
  mkdirSync(join(base, 'ours'), { recursive: true });
  const ours = await startOurs(join(base, 'ours'), oursRoot, creds.map((c) => c.user), fsync);
  const dports = { imap: await freePort(), pop3: await freePort(), lmtp: await freePort() };
  const dove = await startDovecot({ dir: join(base, 'dovecot'), mailRoot: doveRoot, port: dports.imap, pop3Port: dports.pop3, lmtpPort: dports.lmtp, users: creds.map((c) => ({ user: c.user, password: 'pass' })), fsyncNever: !fsync });
  const results: Record<string, { ours: RunResult; dovecot: RunResult }> = {};
  const table: string[][] = [['profile', 'metric', 'ours', `dovecot ${version.split(' ')[0]}`, 'ours/dovecot']];
  let failed = false;
  try {
    for (const name of wanted) {
      const profile = PROFILE_TABLE[name]!;
      const opts: ProfileOptions = {
        clients, durationMs, mix: {}, msgs: 30, box: 'INBOX', copybox: null, idleMs: 1000, sizes: parseSizes('2k:50,8k:30,32k:15,128k:5'),
        rate: 0, rcptsPerMessage: 1, seedPerUser: 20, pop3Delete: true, protocol: 'imap', sessions: 100, ramp: 0, serverPids: [], verify: true,
      };
      const need = profile.needs(opts);
      if (need.some((p) => !ours.ports[p])) { process.stderr.write(`skipping ${name}: our node has no ${need.join('/')} listener\n`); continue; }
      const per: Record<string, RunResult> = {};
      for (const [server, ports] of [['ours', ours.ports], ['dovecot', dports]] as const) {
        const target: Target = { host: '127.0.0.1', ports, tls: 'none', sourceAddresses: [], connectTimeoutMs: 5000 };
        process.stderr.write(`${name} against ${server} for ${durationMs / 1000} s...\n`);
        per[server] = await runProfile({ profile, target, creds, opts, seed: 42, runId: `cmp-${name}-${server}`, worker: 0, workers: 1, quiet: true, shownOptions: { server } });
        if (!per[server]!.passed) failed = true;
      }
      results[name] = { ours: per.ours!, dovecot: per.dovecot! };
      table.push(...rows(name, per.ours!, per.dovecot!));
    }
  } finally {
    await ours.stop();
    await dove.stop();
    if (!v.keep) rmSync(base, { recursive: true, force: true });
  }
  const w = table[0]!.map((_c, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  for (const r of table) process.stdout.write(r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ') + '\n');
  if (v.output) writeFileSync(v.output, JSON.stringify({ dovecot: version, durationS: durationMs / 1000, clients, users: nUsers, messages: nMsgs, fsync, results }, null, 2) + '\n');
  const names = Object.keys(results);
  if (v.html && names.length) {
    // One page: every profile's two runs as sections, the printed table as the summary.
    const runs: Record<string, RunResult> = {};
    for (const n of names) { runs[`${n} ours`] = results[n]!.ours; runs[`${n} dovecot`] = results[n]!.dovecot; }
    const first = results[names[0]!]!.ours;
    writeFileSync(v.html, renderHtml({ ...first, profile: 'bench:compare', runId: `ours vs ${version}`, runs, extra: { table: table.map((r) => r.join(' | ')) } }));
  }
  if (failed) process.stdout.write('correctness failure on at least one side (see lost/dup/corrupt/proto)\n');
  return failed ? 1 : 0;
}

main().then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`bench:compare: ${(e as Error).stack ?? e}\n`); process.exitCode = 4; });
