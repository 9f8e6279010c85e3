/** Terminal output: the live progress line and the end-of-run summary (imaptest-style totals, then percentiles). */
import type { RunResult } from './result.js';
import type { Stats } from '../lib/stats.js';

export function progressLine(profile: string, stats: Stats, elapsedS: number, durationS: number, sessions: number): string {
  const last = stats.timeline[stats.timeline.length - 1];
  const rate = last ? last.ops : 0;
  const errs = stats.protocolErrors + stats.connectErrors + stats.totalFailed();
  return `[${profile}] ${elapsedS.toFixed(0)}s/${durationS.toFixed(0)}s  ops ${stats.totalOps()}  ${rate}/s  p99 ${last ? last.p99Ms.toFixed(1) : '-'} ms  errors ${errs}  sessions ${sessions}`;
}

function pad(s: string, n: number): string { return s.length >= n ? s : ' '.repeat(n - s.length) + s; }

export function summaryText(r: RunResult): string {
  const out: string[] = [];
  out.push(`${r.profile}: ${r.totals.ops} operations in ${r.durationS.toFixed(1)} s = ${r.totals.opsPerSec}/s` +
    `${r.workers > 1 ? ` (${r.workers} workers)` : ''}, connect errors ${r.totals.connectErrors}`);
  const names = Object.keys(r.commands);
  if (names.length) {
    // imaptest prints per-state counts; the same, then the latency percentiles.
    out.push(`${'command'.padEnd(10)}${pad('count', 9)}${pad('failed', 8)}${pad('/s', 9)}${pad('p50', 9)}${pad('p95', 9)}${pad('p99', 9)}${pad('p99.9', 9)}${pad('max', 10)}  (ms)`);
    for (const n of names) {
      const c = r.commands[n]!;
      out.push(`${n.padEnd(10)}${pad(String(c.count), 9)}${pad(String(c.failed), 8)}${pad((c.count / Math.max(r.durationS, 0.001)).toFixed(1), 9)}` +
        `${pad(c.p50Ms.toFixed(2), 9)}${pad(c.p95Ms.toFixed(2), 9)}${pad(c.p99Ms.toFixed(2), 9)}${pad(c.p999Ms.toFixed(2), 9)}${pad(c.maxMs.toFixed(2), 10)}`);
    }
  }
  out.push(r.verified
    ? `correctness: checked ${r.checkedMessages} messages: lost ${r.lost}, duplicated ${r.duplicated}, corrupted ${r.corrupted}, unexpected ${r.unexpected}, uncertain ${r.uncertain}; protocolErrors ${r.protocolErrors}`
    : `correctness: not verified; protocolErrors ${r.protocolErrors}`);
  for (const e of r.readErrors.slice(0, 5)) out.push(`  read-back error: ${e}`);
  if (r.lostIds.length) out.push(`  lost: ${r.lostIds.slice(0, 5).join(' ')}`);
  if (r.corruptedIds.length) out.push(`  corrupted: ${r.corruptedIds.slice(0, 5).join(' ')}`);
  if (r.duplicatedIds.length) out.push(`  duplicated: ${r.duplicatedIds.slice(0, 5).join(' ')}`);
  for (const e of r.errorSamples.slice(0, 8)) out.push(`  error: ${e}`);
  out.push(r.passed ? 'PASS' : `FAIL (exit ${r.exitCode})`);
  return out.join('\n');
}
