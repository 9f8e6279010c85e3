#!/usr/bin/env node
/**
 * loadtest: the load-test harness's command line (see ./usage.ts or --help).
 * Exit codes: 0 passed, 1 correctness failure, 2 usage, 3 target unreachable / TLS / login, 4 internal or coordination error.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCli, UsageError, type CliOptions } from './args.js';
import { USAGE } from './usage.js';
import { preflight, PreflightError } from './preflight.js';
import { runProfile } from './run.js';
import { proxyVsDirect } from './proxy-vs-direct.js';
import { PROFILE_TABLE } from '../profiles/index.js';
import { Coordinator } from '../coord/redis.js';
import { EXIT, type RunResult } from '../report/result.js';
import { renderHtml } from '../report/html.js';
import { summaryText } from '../report/text.js';
import type { Protocol } from '../lib/target.js';

function writeOutputs(o: CliOptions, r: RunResult): void {
  if (o.output) writeFileSync(o.output, JSON.stringify(r, null, 2) + '\n');
  if (o.html) writeFileSync(o.html, renderHtml(r));
}

/** Ports a profile needs, plus IMAP for the read-back of profiles that put mail in by other means. */
export function neededProtocols(o: CliOptions): Protocol[] {
  const p = PROFILE_TABLE[o.profile]!;
  const need = new Set(p.needs(o.profileOpts));
  if (o.profileOpts.verify && (o.profile === 'lmtp' || o.profile === 'pop3')) need.add('imap');
  return [...need];
}

export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`loadtest: ${e.message}\nTry 'loadtest --help'.\n`); return EXIT.USAGE; }
    throw e;
  }
  if (o.command === 'help') { process.stdout.write(USAGE); return EXIT.OK; }

  if (o.command === 'merge') {
    const c = await Coordinator.connect(o.coord!.url, o.coord!.prefix, o.coord!.runId, o.coord!.workers);
    try {
      const m = await c.merge();
      writeOutputs(o, m);
      if (!o.quiet) process.stdout.write(summaryText(m) + '\n');
      return m.exitCode;
    } finally { await c.close(); }
  }

  if (o.profile === 'proxy-vs-direct') return proxyVsDirect(o, writeOutputs);

  const profile = PROFILE_TABLE[o.profile];
  if (!profile) { process.stderr.write(`loadtest: profile ${o.profile} is not available in this build\n`); return EXIT.USAGE; }

  let coord: Coordinator | null = null;
  let worker = 0, workers = 1;
  try {
    if (o.coord) {
      coord = await Coordinator.connect(o.coord.url, o.coord.prefix, o.coord.runId, o.coord.workers);
      workers = o.coord.workers;
      worker = await coord.join();
    }
    if (o.creds.length < workers) { process.stderr.write(`loadtest: ${workers} workers need at least ${workers} users, got ${o.creds.length}\n`); return EXIT.USAGE; }
    const first = o.creds[worker]!;
    try {
      const notes = await preflight(o.target, neededProtocols(o), first);
      if (!o.quiet) for (const n of notes) process.stderr.write(`preflight: ${n}\n`);
    } catch (e) {
      if (e instanceof PreflightError) { process.stderr.write(`loadtest: ${e.message}\n`); return EXIT.UNREACHABLE; }
      throw e;
    }
    if (coord) {
      const startAt = await coord.barrier();
      const wait = startAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!o.quiet) process.stderr.write(`worker ${worker + 1}/${workers} of run ${o.coord!.runId} started\n`);
    }
    const result = await runProfile({
      profile, target: o.target, creds: o.creds, opts: o.profileOpts, seed: o.seed, runId: o.coord?.runId ?? o.runId,
      worker, workers, quiet: o.quiet, shownOptions: shownOptions(o),
    });
    if (coord) {
      const merged = await coord.finish(result);
      if (merged) {
        writeOutputs(o, merged);
        if (!o.quiet) process.stdout.write(`worker ${worker}: merged ${merged.workers} workers\n${summaryText(merged)}\n`);
        return merged.exitCode;
      }
      if (!o.quiet) process.stdout.write(`worker ${worker} (its own part; the last worker writes the merged report):\n${summaryText(result)}\n`);
      return result.exitCode;
    }
    writeOutputs(o, result);
    if (!o.quiet) process.stdout.write(summaryText(result) + '\n');
    return result.exitCode;
  } catch (e) {
    process.stderr.write(`loadtest: ${(e as Error).message}\n`);
    return EXIT.ERROR;
  } finally {
    if (coord) await coord.close();
  }
}

export function shownOptions(o: CliOptions): Record<string, unknown> {
  const p = o.profileOpts;
  return {
    clients: p.clients, durationS: p.durationMs / 1000, seed: o.seed, users: o.creds.length, mix: p.mix, msgs: p.msgs, box: p.box,
    copybox: p.copybox, rate: p.rate, protocol: p.protocol, sessions: p.sessions, verify: p.verify,
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`loadtest: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.ERROR;
  });
}
