/**
 * The auth layer's Redis connection: a dead Redis must never hang or fail a login, so commands
 * are not queued while disconnected (enableOfflineQueue: false) and time out quickly; callers
 * treat every Redis error as "no shared cache" and go on with LDAP and the local cache.
 */
import { Redis } from 'ioredis';
import { LIMITS } from '../../core/src/limits.js';

export function createAuthRedis(url: string, opts: { commandTimeoutMs?: number; onError?: (e: Error) => void } = {}): Redis {
  const r = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? LIMITS.authRedisCommandTimeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    lazyConnect: false,
    // Keep trying in the background (every second at most) so the shared cache comes back by itself.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  // Without a listener ioredis prints every failed reconnect; the caller decides what to log.
  r.on('error', (e: Error) => opts.onError?.(e));
  return r;
}

/** Runs a Redis command; any failure (down, timeout, bad reply) becomes `fallback`. */
export async function soft<T>(p: () => Promise<T>, fallback: T, onError?: (e: unknown) => void): Promise<T> {
  try {
    return await p();
  } catch (e) {
    onError?.(e);
    return fallback;
  }
}

/** Resolves when the connection is ready (or rejects after timeoutMs): for startup and tests. */
export function redisReady(r: Redis, timeoutMs = 3_000): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { r.off('ready', ok); reject(new Error('Redis not ready')); }, timeoutMs);
    const ok = () => { clearTimeout(t); resolve(); };
    r.once('ready', ok);
  });
}
