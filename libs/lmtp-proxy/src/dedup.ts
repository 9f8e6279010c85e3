/**
 * Group members already delivered, remembered after a PARTIAL failure of a group recipient that
 * spans backends: the group got 451 so Postfix retries the whole group, and on that retry the
 * members recorded here are skipped, so they get no second copy. The key is a hash of the message
 * bytes, the sender, the group address and the member, so only Postfix's retry of the same queued
 * message matches (its Received header makes every new message differ).
 *
 * Losing a record costs at most a duplicate, never a message: records are written only after the
 * backend said 250, and a missing record only means the member is delivered again.
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../../core/src/limits.js';

export interface DeliveredStore {
  has(key: string): Promise<boolean>;
  add(keys: readonly string[]): Promise<void>;
}

export function deliveredKey(bodySha256: string, from: string, rcpt: string, member: string): string {
  return createHash('sha256').update(`${bodySha256}\0${from.toLowerCase()}\0${rcpt.toLowerCase()}\0${member.toLowerCase()}`).digest('base64url');
}

/** In this process (embedded / no Redis): a retry through another proxy may then duplicate. Bounded by count and age. */
export class MemoryDeliveredStore implements DeliveredStore {
  private readonly map = new Map<string, number>();

  constructor(private readonly max: number = LIMITS.lmtpProxyDedupEntries, private readonly ttlMs: number = LIMITS.lmtpProxyDedupTtlMs, private readonly now: () => number = Date.now) {}

  async has(key: string): Promise<boolean> {
    const t = this.map.get(key);
    if (t === undefined) return false;
    if (this.now() - t > this.ttlMs) { this.map.delete(key); return false; }
    return true;
  }

  async add(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      this.map.delete(k);
      this.map.set(k, this.now());
      // Insertion order is age order: drop the oldest beyond the cap.
      if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    }
  }

  get size(): number { return this.map.size; }
}

/** The subset of ioredis used, so the proxy can share its Redis (cluster-wide: a retry may reach another proxy). */
export interface RedisLike {
  exists(key: string): Promise<number>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
}

export class RedisDeliveredStore implements DeliveredStore {
  constructor(private readonly redis: RedisLike, private readonly prefix: string, private readonly ttlMs: number = LIMITS.lmtpProxyDedupTtlMs) {}

  async has(key: string): Promise<boolean> {
    // Redis down: answer "not delivered" (a duplicate at worst, never a lost member).
    try { return (await this.redis.exists(this.prefix + key)) > 0; } catch { return false; }
  }

  async add(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => this.redis.set(this.prefix + k, '1', 'PX', this.ttlMs).catch(() => undefined)));
  }
}
