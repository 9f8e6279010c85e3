/**
 * Failed-login penalty per client IP, as Dovecot's auth penalty: after the first failure every
 * further attempt from that IP waits 2 s, doubling per failure, at most 15 s; the count is
 * forgotten an hour after the last failure and reset by a successful login. Counted in Redis so
 * the whole cluster sees it; in process when Redis is absent or down.
 */
import type { Redis } from 'ioredis';
import { LIMITS } from '../../core/src/limits.js';
import { ExpiringLru } from './lru.js';
import { soft } from './redis.js';

export interface PenaltyOptions {
  redis?: Redis | null;
  prefix?: string;
  initMs?: number;
  maxMs?: number;
  timeoutMs?: number;
  /** IPs never penalised (trusted proxies, webmail): exact addresses. */
  exempt?: readonly string[];
}

export class AuthPenalty {
  private readonly local = new ExpiringLru<number>(LIMITS.authCacheMaxEntries);
  private readonly initMs: number;
  private readonly maxMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: PenaltyOptions = {}) {
    this.initMs = opts.initMs ?? LIMITS.authPenaltyInitMs;
    this.maxMs = opts.maxMs ?? LIMITS.authPenaltyMaxMs;
    this.timeoutMs = opts.timeoutMs ?? LIMITS.authPenaltyTimeoutMs;
  }

  private key(ip: string): string { return `${this.opts.prefix ?? 'mail:'}penalty:${ip}`; }

  private applies(ip: string | undefined): ip is string {
    return ip !== undefined && ip !== '' && this.initMs > 0 && !(this.opts.exempt ?? []).includes(ip);
  }

  /** Failures counted for this IP (Redis when it answers, else this process). */
  async failures(ip: string | undefined): Promise<number> {
    if (!this.applies(ip)) return 0;
    const r = this.opts.redis;
    const shared = r ? await soft(async () => { const v = await r.get(this.key(ip)); return v === null ? 0 : Number.parseInt(v, 10) || 0; }, null) : null;
    return shared ?? this.local.get(ip) ?? 0;
  }

  /** The delay for n failures: 0, then init * 2^(n-1), capped. */
  delayFor(n: number): number {
    if (n <= 0) return 0;
    return Math.min(this.maxMs, this.initMs * 2 ** Math.min(n - 1, 30));
  }

  /** Waits as long as this IP's penalty says. */
  async wait(ip: string | undefined): Promise<number> {
    const ms = this.delayFor(await this.failures(ip));
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return ms;
  }

  async failed(ip: string | undefined): Promise<void> {
    if (!this.applies(ip)) return;
    const n = (this.local.get(ip) ?? 0) + 1;
    this.local.set(ip, n, this.timeoutMs);
    const r = this.opts.redis;
    if (r) await soft(() => r.multi().incr(this.key(ip)).pexpire(this.key(ip), this.timeoutMs).exec(), null);
  }

  async succeeded(ip: string | undefined): Promise<void> {
    if (!this.applies(ip)) return;
    this.local.delete(ip);
    const r = this.opts.redis;
    if (r) await soft(() => r.del(this.key(ip)), 0);
  }
}
