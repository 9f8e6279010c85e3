/**
 * Coordination of several generator processes through Redis under one run id:
 *   <prefix><run>:seq      INCR → this worker's index (0-based)
 *   <prefix><run>:ready    INCR when a worker passed its preflight; all start together once it reaches N
 *   <prefix><run>:start    the common start time (ms), set once (SET NX) by the first worker that sees N ready
 *   <prefix><run>:results  RPUSH of each worker's JSON result
 *   <prefix><run>:done     INCR after pushing; the worker that makes it N merges
 *   <prefix><run>:merged   the merged JSON result
 * Keys expire after a day. Workers take disjoint user slices (every N-th user), so each worker's
 * read-back covers exactly what it changed.
 */
import { Redis } from 'ioredis';
import type { RunResult } from '../report/result.js';
import { mergeResults } from '../report/result.js';

const TTL_S = 86_400;

export class Coordinator {
  private constructor(private readonly r: Redis, private readonly base: string, readonly workers: number) {}

  static async connect(url: string, prefix: string, runId: string, workers: number): Promise<Coordinator> {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null });
    r.on('error', () => { /* surfaced by the failing command */ });
    try { await r.connect(); await r.ping(); } catch (e) {
      r.disconnect();
      throw new Error(`coordinator ${url}: ${(e as Error).message}`);
    }
    return new Coordinator(r, `${prefix}${runId}:`, workers);
  }

  private key(k: string): string { return this.base + k; }

  /** Claims a worker index; fails if more workers join than announced. */
  async join(): Promise<number> {
    const n = await this.r.incr(this.key('seq'));
    await this.r.expire(this.key('seq'), TTL_S);
    if (n > this.workers) throw new Error(`run already has ${this.workers} workers (this would be worker ${n}); use a new --run-id`);
    return n - 1;
  }

  /** Marks this worker ready and waits until all are; resolves with the common start time. */
  async barrier(timeoutMs = 120_000): Promise<number> {
    await this.r.incr(this.key('ready'));
    await this.r.expire(this.key('ready'), TTL_S);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ready = Number(await this.r.get(this.key('ready')) ?? 0);
      if (ready >= this.workers) {
        await this.r.set(this.key('start'), String(Date.now() + 300), 'EX', TTL_S, 'NX');
        return Number(await this.r.get(this.key('start')));
      }
      if (Date.now() > until) throw new Error(`only ${ready} of ${this.workers} workers became ready within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Pushes this worker's result; returns the merged result if this worker was the last one. */
  async finish(result: RunResult): Promise<RunResult | null> {
    await this.r.rpush(this.key('results'), JSON.stringify(result));
    await this.r.expire(this.key('results'), TTL_S);
    const done = await this.r.incr(this.key('done'));
    await this.r.expire(this.key('done'), TTL_S);
    if (done !== this.workers) return null;
    return this.merge();
  }

  /** Merges whatever results are there (all of them once every worker finished). */
  async merge(): Promise<RunResult> {
    const parts = (await this.r.lrange(this.key('results'), 0, -1)).map((s) => JSON.parse(s) as RunResult);
    if (parts.length === 0) throw new Error('no worker results for this run id');
    parts.sort((a, b) => (a.worker ?? 0) - (b.worker ?? 0));
    const merged = mergeResults(parts);
    if (parts.length < this.workers) {
      merged.extra = { ...merged.extra, incomplete: `${parts.length} of ${this.workers} workers reported` };
    }
    await this.r.set(this.key('merged'), JSON.stringify(merged), 'EX', TTL_S);
    return merged;
  }

  async close(): Promise<void> { try { await this.r.quit(); } catch { this.r.disconnect(); } }
}
