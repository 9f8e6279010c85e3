/**
 * What a run measures: per command an HDR histogram of latencies (µs, 3 significant digits,
 * up to one hour), OK and failed counts, protocol errors with a few samples, and a per-second
 * timeline (operations, errors, per-command count/mean/max, p50/p99 of all commands) for the
 * charts. Histograms are exported compressed (base64) so coordinated workers can be merged.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 'packed', lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export function encodeHistogram(h: Histogram): string { return hdr.encodeIntoCompressedBase64(h); }

export function decodeHistogram(b64: string): Histogram {
  const d = hdr.decodeFromCompressedBase64(b64, 'packed', false);
  const h = newHistogram();
  h.add(d);
  return h;
}

export interface SecondCmd { n: number; sumMs: number; maxMs: number }
export interface Second {
  /** Seconds since the run started. */
  t: number;
  ops: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  cmds: Record<string, SecondCmd>;
  /** Server memory in kB when sampled (idle-soak, --server-pid). */
  rssKb?: number;
  /** Open sessions at the end of the second, when the profile counts them. */
  sessions?: number;
}

export interface CommandSummary {
  count: number; failed: number;
  meanMs: number; p50Ms: number; p95Ms: number; p99Ms: number; p999Ms: number; maxMs: number;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram, count: number, failed: number): CommandSummary {
  return {
    count, failed,
    meanMs: ms(h.mean), p50Ms: ms(h.getValueAtPercentile(50)), p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)), p999Ms: ms(h.getValueAtPercentile(99.9)), maxMs: ms(h.maxValue),
  };
}

export class Stats {
  readonly startMs: number;
  readonly hist = new Map<string, Histogram>();
  readonly ok = new Map<string, number>();
  readonly failed = new Map<string, number>();
  protocolErrors = 0;
  connectErrors = 0;
  readonly errorSamples: string[] = [];
  readonly timeline: Second[] = [];
  private cur: Second;
  private curHist = newHistogram();
  /** Gauges sampled into each closed second. */
  gauges: { sessions?: () => number; rssKb?: () => number | undefined } = {};

  constructor(startMs = Date.now()) {
    this.startMs = startMs;
    this.cur = this.blank(0);
  }

  private blank(t: number): Second { return { t, ops: 0, errors: 0, p50Ms: 0, p99Ms: 0, cmds: {} }; }

  /** Closes seconds up to now (called by a 1 s ticker and before reading the timeline). */
  tick(now = Date.now()): void {
    const sec = Math.floor((now - this.startMs) / 1000);
    while (this.cur.t < sec) {
      this.cur.p50Ms = ms(this.curHist.getValueAtPercentile(50));
      this.cur.p99Ms = ms(this.curHist.getValueAtPercentile(99));
      const s = this.gauges.sessions?.(); if (s !== undefined) this.cur.sessions = s;
      const r = this.gauges.rssKb?.(); if (r !== undefined) this.cur.rssKb = r;
      this.timeline.push(this.cur);
      this.curHist.reset();
      this.cur = this.blank(this.cur.t + 1);
    }
  }

  /** One completed command: latency and whether it did what it should. */
  record(cmd: string, latencyMs: number, ok = true): void {
    this.tick();
    let h = this.hist.get(cmd);
    if (!h) { h = newHistogram(); this.hist.set(cmd, h); }
    const us = Math.max(1, Math.round(latencyMs * 1000));
    h.recordValue(us);
    this.curHist.recordValue(us);
    const m = ok ? this.ok : this.failed;
    m.set(cmd, (m.get(cmd) ?? 0) + 1);
    this.cur.ops++;
    if (!ok) this.cur.errors++;
    const c = this.cur.cmds[cmd] ?? (this.cur.cmds[cmd] = { n: 0, sumMs: 0, maxMs: 0 });
    c.n++; c.sumMs += latencyMs; if (latencyMs > c.maxMs) c.maxMs = latencyMs;
  }

  /** A reply or behaviour the protocol does not allow (BAD, unexpected NO, broken connection...). */
  protocolError(msg: string): void {
    this.tick();
    this.protocolErrors++;
    this.cur.errors++;
    if (this.errorSamples.length < 30) this.errorSamples.push(`${((Date.now() - this.startMs) / 1000).toFixed(1)}s ${msg}`);
  }

  /** A refused command the protocol allows (NO): counted in the command's failed column; a few kept as samples. */
  failure(msg: string): void {
    if (this.failureSamples.length < 20) this.failureSamples.push(`${((Date.now() - this.startMs) / 1000).toFixed(1)}s ${msg}`);
  }
  readonly failureSamples: string[] = [];

  connectError(msg: string): void {
    this.tick();
    this.connectErrors++;
    this.cur.errors++;
    if (this.errorSamples.length < 30) this.errorSamples.push(`${((Date.now() - this.startMs) / 1000).toFixed(1)}s connect: ${msg}`);
  }

  totalOps(): number { let n = 0; for (const v of this.ok.values()) n += v; for (const v of this.failed.values()) n += v; return n; }
  totalFailed(): number { let n = 0; for (const v of this.failed.values()) n += v; return n; }
  count(cmd: string): number { return this.ok.get(cmd) ?? 0; }

  /** Flushes the current partial second into the timeline (at the end of the run). */
  finish(now = Date.now()): void {
    this.tick(now);
    if (this.cur.ops > 0 || this.cur.errors > 0) {
      this.cur.p50Ms = ms(this.curHist.getValueAtPercentile(50));
      this.cur.p99Ms = ms(this.curHist.getValueAtPercentile(99));
      this.timeline.push(this.cur);
      this.cur = this.blank(this.cur.t + 1);
    }
  }

  commands(): Record<string, CommandSummary> {
    const out: Record<string, CommandSummary> = {};
    for (const [k, h] of this.hist) out[k] = summarize(h, this.ok.get(k) ?? 0, this.failed.get(k) ?? 0);
    return out;
  }

  encoded(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, h] of this.hist) out[k] = encodeHistogram(h);
    return out;
  }
}
