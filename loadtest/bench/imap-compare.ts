/**
 * IMAP speed benchmark, ours vs Dovecot 2.3 (issue 2 "Speed"). A program, not a test.
 *
 *   npm run bench -- [--messages 100000] [--clients 50] [--idle 1000] [--duration 20]
 *                    [--repeat 1] [--fsync 0|1] [--out result.json] [--data DIR] [--only LIST]
 *                    [--servers ours,dovecot] [--prof-ours DIR] [--workers N]
 *   Smoke run (< 1 min): npm run bench -- --messages 5000 --clients 10 --idle 100 --duration 5
 *
 * One large folder (--messages) and a small one per client user (--small, default 500) are
 * generated once (cached under --data) and hard-link-copied for every server and repetition, so
 * each server starts from the same bare Maildir and builds its own index. Per repetition ours runs
 * first, then Dovecot, back to back. --only picks workloads: large, mixed, loggedin, idle (and
 * select: only the SELECT + UID FETCH FLAGS part of large).
 * fsync: 0 (default) = ours fsync:false, Dovecot mail_fsync=never; 1 = ours fsync:true (files and
 * directories), Dovecot's default mail_fsync=optimized.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { copyMaildir, generateMaildir } from '../lib/maildir-gen.js';
import { dovecotVersion } from '../lib/dovecot.js';
import { startDovecotServer, startOurs, type BenchServer, type ServerName } from './imap-servers.js';
import { idleMemory, largeFolder, mixed, type IdleMemoryResult, type LargeFolderResult, type MixedResult } from './imap-workloads.js';
import { printTable, summarise, type Sample } from './imap-report.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const MESSAGES = Number(arg('messages', '100000'));
const CLIENTS = Number(arg('clients', '50'));
const IDLE = Number(arg('idle', '1000'));
const DURATION = Number(arg('duration', '20'));
const REPEAT = Number(arg('repeat', '1'));
const SMALL = Number(arg('small', '500'));
const FSYNC = arg('fsync', '0') === '1';
const OUT = arg('out', '');
const DATA = arg('data', '/var/tmp/imap-bench-data');
const ONLY = new Set(arg('only', 'large,mixed,loggedin,idle').split(','));
const SERVERS = arg('servers', 'ours,dovecot').split(',') as ServerName[];
const PROF = arg('prof-ours', '');
/** Ours: worker processes serving IMAP (the mail node's node.workers); 1 = one process. */
const WORKERS = Number(arg('workers', '1'));
const RARE = 'zanzibar';
const PASSWORD = 'pass';
const DOMAIN = 'bench.example';
const BIG_USER = `big@${DOMAIN}`;
const users = Array.from({ length: Math.max(1, CLIENTS) }, (_, i) => `u${i + 1}@${DOMAIN}`);

function master(kind: string, n: number): string {
  const dir = join(DATA, `${kind}-${n}-seed1`);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const t = Date.now();
  process.stderr.write(`generating ${n} messages in ${dir} ...`);
  const r = generateMaildir({ dir, messages: n, seed: kind === 'big' ? 1 : 2, rareWord: RARE });
  writeFileSync(join(dir, '.complete'), JSON.stringify(r));
  process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  return dir;
}

function machine(): Record<string, string> {
  const sh = (c: string) => spawnSync('sh', ['-c', c], { encoding: 'utf8' }).stdout.trim();
  return {
    nproc: String(cpus().length),
    cpu: cpus()[0]?.model ?? '',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    dovecot: dovecotVersion() ?? 'missing',
    kernel: sh('uname -r'),
    loadavg: sh('cat /proc/loadavg'),
  };
}

interface RunResult { large?: Partial<LargeFolderResult>; mixed?: MixedResult; loggedIn?: MixedResult; idle?: IdleMemoryResult }

async function runOne(name: ServerName, rep: number, bigMaster: string, smallMaster: string): Promise<RunResult> {
  const runDir = join(DATA, `run-${process.pid}-${name}-${rep}`);
  rmSync(runDir, { recursive: true, force: true });
  const root = join(runDir, 'mail');
  if (ONLY.has('large') || ONLY.has('select')) copyMaildir(bigMaster, join(root, DOMAIN, 'big', 'Maildir'));
  for (const u of users) copyMaildir(smallMaster, join(root, DOMAIN, u.split('@')[0]!, 'Maildir'));
  const opts = { mailRoot: root, dir: join(runDir, 'dovecot'), fsync: FSYNC, users: [BIG_USER, ...users], password: PASSWORD,
    nodeFlags: PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : [], workers: WORKERS };
  let server: BenchServer | null = null;
  const out: RunResult = {};
  try {
    server = name === 'ours' ? await startOurs(opts) : await startDovecotServer(opts);
    const step = (s: string) => process.stderr.write(`[${name} #${rep + 1}] ${s}\n`);
    if (ONLY.has('large') || ONLY.has('select')) {
      step(`large folder (${MESSAGES})`);
      out.large = await largeFolder(server, BIG_USER, PASSWORD, MESSAGES, RARE, !ONLY.has('large'));
    }
    if (ONLY.has('mixed')) { step(`mixed sessions (${CLIENTS} clients, ${DURATION} s)`); out.mixed = await mixed(server, users, PASSWORD, CLIENTS, DURATION, SMALL, false); }
    if (ONLY.has('loggedin')) { step(`mixed, logged in (${CLIENTS} clients, ${DURATION} s)`); out.loggedIn = await mixed(server, users, PASSWORD, CLIENTS, DURATION, SMALL, true); }
    if (ONLY.has('idle')) {
      // A fresh server: memory left over from the workloads above (and given back to the OS
      // meanwhile) must not blur the per-connection delta.
      await server.stop();
      server = null;
      server = name === 'ours' ? await startOurs(opts) : await startDovecotServer(opts);
      step(`idle memory (${IDLE} connections)`);
      out.idle = await idleMemory(server, users, PASSWORD, IDLE);
    }
  } finally {
    await server?.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
  return out;
}

function samples(name: ServerName, r: RunResult): Sample[] {
  const s: Sample[] = [];
  const add = (metric: string, unit: Sample['unit'], value: number | undefined) => { if (value !== undefined) s.push({ server: name, metric, unit, value }); };
  const L = r.large;
  if (L) {
    add('SELECT cold', 'ms', L.selectColdMs);
    add('UID FETCH 1:* (FLAGS) cold', 'ms', L.fetchFlagsColdMs);
    if (L.selectColdMs !== undefined && L.fetchFlagsColdMs !== undefined) add('SELECT + UID FETCH FLAGS cold', 'ms', L.selectColdMs + L.fetchFlagsColdMs);
    if (L.selectColdCpuMs !== undefined && L.fetchFlagsColdCpuMs !== undefined) {
      add('SELECT cold: server CPU', 'ms', L.selectColdCpuMs);
      add('UID FETCH FLAGS cold: server CPU', 'ms', L.fetchFlagsColdCpuMs);
      add('SELECT + FETCH cold: server CPU', 'ms', L.selectColdCpuMs + L.fetchFlagsColdCpuMs);
    }
    add('SELECT warm', 'ms', L.selectWarmMs);
    add('UID FETCH 1:* (FLAGS) warm', 'ms', L.fetchFlagsWarmMs);
    if (L.selectWarmMs !== undefined && L.fetchFlagsWarmMs !== undefined) add('SELECT + UID FETCH FLAGS warm', 'ms', L.selectWarmMs + L.fetchFlagsWarmMs);
    add('FETCH 1:* (ENVELOPE) first', 'ms', L.envelopeColdMs);
    add('FETCH 1:* (ENVELOPE) again', 'ms', L.envelopeWarmMs);
    add(`SEARCH BODY (warm)`, 'ms', L.searchBodyMs);
    add(`SEARCH TEXT (warm)`, 'ms', L.searchTextMs);
  }
  for (const [label, m] of [['mixed sessions', r.mixed], ['mixed, logged in', r.loggedIn]] as const) {
    if (!m) continue;
    add(`${label}: commands/s`, 'ops', m.commandsPerSec);
    add(`${label}: p50`, 'ms', m.p50Ms);
    add(`${label}: p99`, 'ms', m.p99Ms);
    add(`${label}: server CPU per 1000 cmd`, 'ms', m.serverCpuMsPerKCmd);
    add(`${label}: errors`, 'count', m.errors);
  }
  if (r.idle) {
    add('idle conn: RSS per connection', 'kb', r.idle.rssPerConnKb);
    add('idle conn: PSS per connection', 'kb', r.idle.pssPerConnKb);
  }
  return s;
}

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const bigMaster = ONLY.has('large') || ONLY.has('select') ? master('big', MESSAGES) : '';
  const smallMaster = master('small', SMALL);
  if (ONLY.has('large')) {
    const info = JSON.parse(readFileSync(join(bigMaster, '.complete'), 'utf8')) as { rareCount: number };
    process.stderr.write(`large folder: ${MESSAGES} messages, "${RARE}" in ${info.rareCount} bodies\n`);
  }
  const all: Sample[] = [];
  const raw: Array<{ server: ServerName; rep: number; result: RunResult }> = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    for (const name of SERVERS) {
      const result = await runOne(name, rep, bigMaster, smallMaster);
      raw.push({ server: name, rep, result });
      all.push(...samples(name, result));
    }
  }
  const summary = summarise(all);
  const params = { messages: MESSAGES, clients: CLIENTS, idle: IDLE, duration: DURATION, repeat: REPEAT, small: SMALL, workers: WORKERS, fsync: FSYNC ? 'ours fsync:true / Dovecot mail_fsync=optimized' : 'ours fsync:false / Dovecot mail_fsync=never' };
  const m = machine();
  process.stdout.write(`\nIMAP benchmark: ${JSON.stringify(params)}\nmachine: ${JSON.stringify(m)}\n\n`);
  printTable(summary);
  if (OUT) writeFileSync(OUT, JSON.stringify({ params, machine: m, summary, raw }, null, 2));
}

main().catch((e) => { console.error(e); process.exit(1); });
