/**
 * One generator's run of one profile: stop at the duration (or on SIGINT), close every
 * connection, read everything back, and build the RunResult.
 */
import { Stats } from '../lib/stats.js';
import { Ledger } from '../lib/ledger.js';
import { rng } from '../lib/maildir-gen.js';
import { userSource, type Credential } from '../lib/users.js';
import { descendants, memoryOf } from '../lib/dovecot.js';
import type { Target } from '../lib/target.js';
import type { Profile, ProfileOptions, RunContext } from '../profiles/types.js';
import { verdict, type RunResult } from '../report/result.js';
import { progressLine } from '../report/text.js';

export interface RunSpec {
  profile: Profile;
  target: Target;
  creds: Credential[];
  opts: ProfileOptions;
  seed: number;
  runId: string;
  worker: number;
  workers: number;
  quiet: boolean;
  /** Extra options to show in the report. */
  shownOptions: Record<string, unknown>;
  /** Grace after the duration before connections are cut (ms). */
  graceMs?: number;
}

/** Sum of RSS (kB) of the given processes and their descendants. */
export function serverRssKb(pids: number[]): number {
  const all = new Set<number>();
  for (const p of pids) for (const d of descendants(p, true)) all.add(d);
  return memoryOf([...all]).rssKb;
}

export async function runProfile(spec: RunSpec): Promise<RunResult> {
  const { profile, target, opts } = spec;
  const users = userSource(spec.creds, spec.worker, spec.workers);
  const passwords = new Map(spec.creds.map((c) => [c.user, c.pass]));
  const ledger = new Ledger(`${spec.runId}.${spec.worker}.`);
  if (profile.prepare) {
    const never = new Promise<void>(() => undefined);
    if (!spec.quiet) process.stderr.write(`${profile.name}: preparing...\n`);
    await profile.prepare({
      target, users, passwordOf: (u) => passwords.get(u) ?? '', stats: new Stats(), ledger, rand: rng(spec.seed + 1 + spec.worker * 7919), opts,
      stopped: never, isStopping: () => false, sessions: { open: 0 }, live: new Set(), log: () => undefined,
    });
  }
  const startMs = Date.now();
  const stats = new Stats(startMs);
  let stopping = false;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = () => { stopping = true; r(); }; });
  const deadline = setTimeout(stop, opts.durationMs);
  const onSigint = () => { if (!spec.quiet) process.stderr.write('\ninterrupted: stopping, closing connections, verifying\n'); stop(); };
  process.once('SIGINT', onSigint);
  const ctx: RunContext = {
    target, users, passwordOf: (u) => passwords.get(u) ?? '', stats, ledger, rand: rng(spec.seed + spec.worker * 7919), opts,
    stopped, isStopping: () => stopping, sessions: { open: 0 }, live: new Set(),
    log: (m) => { if (!spec.quiet) process.stderr.write(`${m}\n`); },
  };
  stats.gauges.sessions = () => ctx.sessions.open;
  if (opts.serverPids.length) stats.gauges.rssKb = () => serverRssKb(opts.serverPids);
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  const ticker = setInterval(() => {
    stats.tick();
    if (spec.quiet) return;
    const el = (Date.now() - startMs) / 1000;
    const line = progressLine(profile.name, stats, el, opts.durationMs / 1000, ctx.sessions.open);
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (el - lastPrint >= 5) { lastPrint = el; process.stderr.write(`${line}\n`); }
  }, 1000);
  // Hard stop: whatever still runs `graceMs` after the duration is cut off.
  let hard: NodeJS.Timeout | undefined;
  void stopped.then(() => {
    hard = setTimeout(() => { for (const c of ctx.live) c.destroy(); }, spec.graceMs ?? 15_000);
  });
  let outcome;
  let leftOpen = 0;
  try {
    outcome = await profile.run(ctx);
  } finally {
    stop();
    clearTimeout(deadline);
    clearInterval(ticker);
    if (hard) clearTimeout(hard);
    leftOpen = ctx.live.size;
    for (const c of ctx.live) c.destroy();
    process.removeListener('SIGINT', onSigint);
    if (tty && !spec.quiet) process.stderr.write('\n');
  }
  const endMs = Date.now();
  stats.finish(endMs);
  let v = null;
  if (opts.verify && profile.verify) {
    if (!spec.quiet) process.stderr.write(`verifying ${ledger.size} messages...\n`);
    v = await profile.verify(ctx);
  }
  const durationS = (endMs - startMs) / 1000;
  const ops = stats.totalOps();
  const r: RunResult = {
    tool: 'loadtest', version: 1, profile: profile.name, runId: spec.runId, workers: spec.workers, worker: spec.worker,
    target: { host: target.host, ports: Object.fromEntries(profile.needs(opts).map((p) => [p, target.ports[p]!])), tls: target.tls },
    options: spec.shownOptions,
    startedAt: new Date(startMs).toISOString(), endedAt: new Date(endMs).toISOString(), durationS,
    totals: { ops, failed: stats.totalFailed(), opsPerSec: Math.round(ops / durationS * 10) / 10, connectErrors: stats.connectErrors, sessionsAtEnd: leftOpen },
    commands: stats.commands(), histograms: stats.encoded(),
    verified: v !== null, checkedMessages: v?.checked ?? 0,
    lost: v?.lost ?? 0, duplicated: v?.duplicated ?? 0, corrupted: v?.corrupted ?? 0,
    protocolErrors: stats.protocolErrors, unexpected: v?.unexpected ?? 0, uncertain: v?.uncertain ?? 0,
    readErrors: v?.readErrors ?? [], lostIds: v?.lostIds ?? [], duplicatedIds: v?.duplicatedIds ?? [], corruptedIds: v?.corruptedIds ?? [],
    errorSamples: stats.errorSamples, timeline: stats.timeline, extra: { ...(outcome?.extra ?? {}), messagesPutIn: ledger.size, ...(stats.failureSamples.length ? { refusedSamples: stats.failureSamples } : {}) },
    passed: true, exitCode: 0,
  };
  Object.assign(r, verdict(r));
  return r;
}
