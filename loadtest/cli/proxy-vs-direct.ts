/**
 * proxy-vs-direct: the same profile, same options and seed, first against the backend directly
 * (--direct-port) and then through the proxy (--proxy-port); the result holds both runs and the
 * ratios proxy/direct (throughput, and p50/p99 per command), so the proxy's cost is one number.
 */
import type { CliOptions } from './args.js';
import { preflight, PreflightError } from './preflight.js';
import { runProfile } from './run.js';
import { PROFILE_TABLE } from '../profiles/index.js';
import { EXIT, verdict, type RunResult } from '../report/result.js';
import { summaryText } from '../report/text.js';
import type { Protocol } from '../lib/target.js';

export function ratios(direct: RunResult, proxy: RunResult): Record<string, unknown> {
  const per: Record<string, { p50: number | null; p99: number | null }> = {};
  const r = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);
  for (const k of Object.keys(direct.commands)) {
    const d = direct.commands[k]!, p = proxy.commands[k];
    if (p) per[k] = { p50: r(p.p50Ms, d.p50Ms), p99: r(p.p99Ms, d.p99Ms) };
  }
  return { throughput: r(proxy.totals.opsPerSec, direct.totals.opsPerSec), latency: per };
}

export async function proxyVsDirect(o: CliOptions, write: (o: CliOptions, r: RunResult) => void): Promise<number> {
  const profile = PROFILE_TABLE[o.inner];
  if (!profile) { process.stderr.write(`loadtest: profile ${o.inner} is not available\n`); return EXIT.USAGE; }
  const proto: Protocol = profile.needs(o.profileOpts)[0]!;
  const runs: Record<string, RunResult> = {};
  for (const [name, port] of [['direct', o.directPort!], ['proxy', o.proxyPort!]] as const) {
    const target = { ...o.target, ports: { ...o.target.ports, [proto]: port } };
    try {
      await preflight(target, [...new Set([...profile.needs(o.profileOpts), ...(o.profileOpts.verify && proto !== 'imap' ? ['imap' as const] : [])])], o.creds[0]!);
    } catch (e) {
      if (e instanceof PreflightError) { process.stderr.write(`loadtest: ${name}: ${e.message}\n`); return EXIT.UNREACHABLE; }
      throw e;
    }
    if (!o.quiet) process.stderr.write(`proxy-vs-direct: ${name} (${proto} port ${port})\n`);
    runs[name] = await runProfile({
      profile, target, creds: o.creds, opts: o.profileOpts, seed: o.seed, runId: `${o.runId}-${name}`,
      worker: 0, workers: 1, quiet: o.quiet, shownOptions: { inner: o.inner, port },
    });
  }
  const d = runs.direct!, p = runs.proxy!;
  const sum = (f: (x: RunResult) => number) => f(d) + f(p);
  const merged: RunResult = {
    ...p, profile: 'proxy-vs-direct', runId: o.runId, runs, extra: { inner: o.inner, ratioProxyOverDirect: ratios(d, p) },
    lost: sum((x) => x.lost), duplicated: sum((x) => x.duplicated), corrupted: sum((x) => x.corrupted),
    protocolErrors: sum((x) => x.protocolErrors), unexpected: sum((x) => x.unexpected), uncertain: sum((x) => x.uncertain),
    readErrors: [...d.readErrors, ...p.readErrors], timeline: [], commands: {}, histograms: {},
  };
  Object.assign(merged, verdict(merged));
  write(o, merged);
  if (!o.quiet) {
    process.stdout.write(`--- direct ---\n${summaryText(d)}\n--- proxy ---\n${summaryText(p)}\n`);
    process.stdout.write(`proxy/direct: ${JSON.stringify(merged.extra.ratioProxyOverDirect)}\n${merged.passed ? 'PASS' : `FAIL (exit ${merged.exitCode})`}\n`);
  }
  return merged.exitCode;
}
