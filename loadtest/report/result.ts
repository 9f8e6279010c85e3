/**
 * The JSON result of a run (one worker or the merge of several). Field names are the contract
 * for scripts: lost, duplicated, corrupted, protocolErrors; passed and exitCode say the verdict.
 */
import type { CommandSummary, Second } from '../lib/stats.js';
import { decodeHistogram, newHistogram, summarize, encodeHistogram } from '../lib/stats.js';

export interface RunResult {
  tool: 'loadtest';
  version: 1;
  profile: string;
  runId: string;
  workers: number;
  /** Index of this worker, or null for a merged result. */
  worker: number | null;
  target: { host: string; ports: Record<string, number>; tls: string };
  options: Record<string, unknown>;
  startedAt: string;
  endedAt: string;
  durationS: number;
  totals: { ops: number; failed: number; opsPerSec: number; connectErrors: number; sessionsAtEnd: number };
  commands: Record<string, CommandSummary>;
  /** Compressed HDR histograms (µs) per command, for merging. */
  histograms: Record<string, string>;
  verified: boolean;
  checkedMessages: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  protocolErrors: number;
  unexpected: number;
  uncertain: number;
  readErrors: string[];
  lostIds: string[];
  duplicatedIds: string[];
  corruptedIds: string[];
  errorSamples: string[];
  timeline: Second[];
  extra: Record<string, unknown>;
  passed: boolean;
  exitCode: number;
  /** proxy-vs-direct: the two runs and their ratios. */
  runs?: Record<string, RunResult>;
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3, ERROR: 4 } as const;

/** The verdict: any loss, duplicate, corruption, phantom, protocol error or unreadable mailbox fails. */
export function verdict(r: Pick<RunResult, 'lost' | 'duplicated' | 'corrupted' | 'protocolErrors' | 'unexpected' | 'readErrors'>): { passed: boolean; exitCode: number } {
  const bad = r.lost + r.duplicated + r.corrupted + r.protocolErrors + r.unexpected + r.readErrors.length;
  return bad === 0 ? { passed: true, exitCode: EXIT.OK } : { passed: false, exitCode: EXIT.FAILED };
}

/** Merges worker results of one run: counts add up, histograms merge, timelines add by second. */
export function mergeResults(parts: RunResult[]): RunResult {
  if (parts.length === 0) throw new Error('nothing to merge');
  const first = parts[0]!;
  const hist = new Map<string, ReturnType<typeof newHistogram>>();
  const ok = new Map<string, number>(), failed = new Map<string, number>();
  for (const p of parts) {
    for (const [k, b64] of Object.entries(p.histograms)) {
      const h = hist.get(k) ?? newHistogram();
      h.add(decodeHistogram(b64));
      hist.set(k, h);
      ok.set(k, (ok.get(k) ?? 0) + (p.commands[k]?.count ?? 0));
      failed.set(k, (failed.get(k) ?? 0) + (p.commands[k]?.failed ?? 0));
    }
  }
  const commands: Record<string, CommandSummary> = {};
  const histograms: Record<string, string> = {};
  for (const [k, h] of hist) { commands[k] = summarize(h, ok.get(k) ?? 0, failed.get(k) ?? 0); histograms[k] = encodeHistogram(h); }
  const start = Math.min(...parts.map((p) => Date.parse(p.startedAt)));
  const end = Math.max(...parts.map((p) => Date.parse(p.endedAt)));
  const timeline: Second[] = [];
  for (const p of parts) {
    const off = Math.round((Date.parse(p.startedAt) - start) / 1000);
    for (const s of p.timeline) {
      const t = s.t + off;
      const m = timeline[t] ?? (timeline[t] = { t, ops: 0, errors: 0, p50Ms: 0, p99Ms: 0, cmds: {} });
      // Percentiles of a second cannot be merged exactly; the worst worker's is the honest bound.
      m.p50Ms = Math.max(m.p50Ms, s.p50Ms); m.p99Ms = Math.max(m.p99Ms, s.p99Ms);
      m.ops += s.ops; m.errors += s.errors;
      if (s.sessions !== undefined) m.sessions = (m.sessions ?? 0) + s.sessions;
      if (s.rssKb !== undefined) m.rssKb = Math.max(m.rssKb ?? 0, s.rssKb);
      for (const [c, v] of Object.entries(s.cmds)) {
        const x = m.cmds[c] ?? (m.cmds[c] = { n: 0, sumMs: 0, maxMs: 0 });
        x.n += v.n; x.sumMs += v.sumMs; x.maxMs = Math.max(x.maxMs, v.maxMs);
      }
    }
  }
  for (let i = 0; i < timeline.length; i++) if (!timeline[i]) timeline[i] = { t: i, ops: 0, errors: 0, p50Ms: 0, p99Ms: 0, cmds: {} };
  const sum = (f: (p: RunResult) => number) => parts.reduce((a, p) => a + f(p), 0);
  const cat = (f: (p: RunResult) => string[], n = 50) => parts.flatMap((p) => f(p).map((s) => (p.worker !== null ? `w${p.worker} ${s}` : s))).slice(0, n);
  const durationS = (end - start) / 1000;
  const ops = sum((p) => p.totals.ops);
  const merged: RunResult = {
    ...first,
    worker: null,
    workers: parts.length,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    durationS,
    totals: { ops, failed: sum((p) => p.totals.failed), opsPerSec: durationS > 0 ? Math.round(ops / durationS * 10) / 10 : 0, connectErrors: sum((p) => p.totals.connectErrors), sessionsAtEnd: sum((p) => p.totals.sessionsAtEnd) },
    commands, histograms, timeline,
    verified: parts.every((p) => p.verified),
    checkedMessages: sum((p) => p.checkedMessages),
    lost: sum((p) => p.lost), duplicated: sum((p) => p.duplicated), corrupted: sum((p) => p.corrupted),
    protocolErrors: sum((p) => p.protocolErrors), unexpected: sum((p) => p.unexpected), uncertain: sum((p) => p.uncertain),
    readErrors: cat((p) => p.readErrors), lostIds: cat((p) => p.lostIds), duplicatedIds: cat((p) => p.duplicatedIds),
    corruptedIds: cat((p) => p.corruptedIds), errorSamples: cat((p) => p.errorSamples),
    extra: { ...first.extra, workers: parts.map((p) => ({ worker: p.worker, ops: p.totals.ops, opsPerSec: p.totals.opsPerSec, ...p.extra })) },
    passed: true, exitCode: 0,
  };
  const v = verdict(merged);
  merged.passed = v.passed && parts.every((p) => p.passed);
  merged.exitCode = merged.passed ? EXIT.OK : Math.max(...parts.map((p) => p.exitCode), v.exitCode);
  return merged;
}
