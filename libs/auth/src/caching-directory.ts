/**
 * The auth cache (Dovecot auth_cache as UCS configures it, plus a shared level): a Directory
 * wrapper with an in-process LRU and a Redis level shared by every node, so a user who logged in
 * on one node is not looked up in LDAP again by another.
 * - Keys are HMAC(secret, login NUL password): the password is never stored, and an entry only
 *   answers for the exact password it was made with. Positive entries hold the UserRecord;
 *   negative ones (wrong password, unknown user) hold null, with their own shorter TTL.
 * - A valid positive entry logs in without the directory, so it keeps working while LDAP is down;
 *   a miss then gets the directory's TEMP error, never "wrong password".
 * - Redis errors are treated as misses (short timeouts, no offline queue): logins go on via LDAP.
 * - flush(users?) empties both levels on every node (Redis pub/sub); `doveadm auth cache flush`.
 * - Failed logins feed the per-IP penalty (penalty.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LIMITS } from '../../core/src/limits.js';
import type { AuthContext, Directory, Recipient, SharedFolderRecord, UserRecord } from '../../directory/src/types.js';
import { ExpiringLru } from './lru.js';
import type { AuthPenalty } from './penalty.js';
import { soft } from './redis.js';

export interface AuthCacheLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CachingDirectoryOptions {
  /** Shared level; null/absent = local level only. The caller owns the connection. */
  redis?: Redis | null;
  /** A second connection for pub/sub (subscribe mode cannot send commands); default redis.duplicate(). */
  subscriber?: Redis | null;
  /** Key prefix in Redis, e.g. "mail:" (every key and the flush channel live under it). */
  prefix?: string;
  /** HMAC key; must be the same on every node for the shared level to hit. Absent = random (local only). */
  secret?: string | Buffer;
  ttlMs?: number;
  negativeTtlMs?: number;
  maxEntries?: number;
  penalty?: AuthPenalty | null;
  logger?: AuthCacheLogger;
  metrics?: Registry;
}

interface Cached {
  /** The login the entry was made for (lower-case) and the user it names (for flush by user). */
  login: string;
  user: UserRecord | null;
}

export interface AuthCacheStats {
  hits: number; misses: number; entries: number; evictions: number;
  localHits: number; sharedHits: number; positiveHits: number; negativeHits: number; redisErrors: number;
}

/**
 * A string of its own for the entry: the login a protocol parser hands over is often a slice of the
 * client's command line, which holds the password and would stay in memory as long as the entry does
 * (and cost a proxy ~80 bytes per cached user, issue 6).
 */
const detached = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

function isUserRecord(v: unknown): v is UserRecord {
  const u = v as UserRecord;
  return typeof u === 'object' && u !== null && typeof u.user === 'string' && Array.isArray(u.aliases)
    && Array.isArray(u.forwards) && typeof u.disabled === 'boolean';
}

const flushChannel = (prefix: string) => `${prefix}auth:flush`;
const indexKey = (prefix: string, user: string) => `${prefix}auth:u:${user}`;

/**
 * Empties the shared level for some users (or all) and tells every node to empty its local level
 * (pub/sub). Used by CachingDirectory.flush and by `mailnode auth-cache-flush`. Returns the
 * shared entries deleted. Throws when Redis fails (callers decide).
 */
export async function flushShared(r: Redis, prefix: string, users: readonly string[] | null): Promise<number> {
  let n = 0;
  if (users) {
    for (const u of users) {
      const keys = await r.smembers(indexKey(prefix, u));
      if (keys.length) n += await r.del(...keys);
      await r.del(indexKey(prefix, u));
    }
  } else {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}auth:[eu]:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) n += await r.del(...keys);
    } while (cursor !== '0');
  }
  await r.publish(flushChannel(prefix), JSON.stringify({ users }));
  return n;
}

export class CachingDirectory implements Directory {
  private readonly local: ExpiringLru<Cached>;
  private readonly secret: Buffer;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly redis: Redis | null;
  private subscriber: Redis | null = null;
  private readonly counts = { hits: 0, misses: 0, localHits: 0, sharedHits: 0, positiveHits: 0, negativeHits: 0, redisErrors: 0 };
  private readonly m: { hits: Counter<'level' | 'result'>; misses: Counter; evictions: Counter; entries: Gauge; redisErrors: Counter } | null;
  private lastEvictions = 0;
  /** Resolves once the flush channel is subscribed (or failed to). */
  readonly ready: Promise<void>;

  constructor(private readonly inner: Directory, private readonly opts: CachingDirectoryOptions = {}) {
    this.local = new ExpiringLru(opts.maxEntries ?? LIMITS.authCacheMaxEntries);
    this.secret = opts.secret === undefined ? randomBytes(32) : Buffer.from(opts.secret);
    this.prefix = opts.prefix ?? 'mail:';
    this.ttlMs = opts.ttlMs ?? LIMITS.authCacheTtlMs;
    this.negativeTtlMs = opts.negativeTtlMs ?? LIMITS.authCacheNegativeTtlMs;
    this.redis = opts.redis ?? null;
    if (opts.redis && opts.secret === undefined) {
      opts.logger?.warn({}, 'auth cache: no shared secret configured; the Redis level will not be shared between nodes');
    }
    const reg = opts.metrics;
    const self = this;
    this.m = reg ? {
      hits: new Counter({ name: 'mail_auth_cache_hits_total', help: 'Auth cache hits', labelNames: ['level', 'result'] as const, registers: [reg] }),
      misses: new Counter({ name: 'mail_auth_cache_misses_total', help: 'Auth cache misses (asked the directory)', registers: [reg] }),
      evictions: new Counter({ name: 'mail_auth_cache_evictions_total', help: 'Local auth cache entries evicted by the size limit', registers: [reg] }),
      entries: new Gauge({ name: 'mail_auth_cache_entries', help: 'Entries in the local auth cache', registers: [reg], collect() { this.set(self.local.size); } }),
      redisErrors: new Counter({ name: 'mail_auth_cache_redis_errors_total', help: 'Redis commands of the auth cache that failed (treated as misses)', registers: [reg] }),
    } : null;
    this.ready = this.subscribe();
  }

  private channel(): string { return flushChannel(this.prefix); }
  private entryKey(h: string): string { return `${this.prefix}auth:e:${h}`; }
  private indexKey(user: string): string { return indexKey(this.prefix, user); }

  private async subscribe(): Promise<void> {
    if (!this.redis) return;
    try {
      // No command timeout here: SUBSCRIBE must not give up while Redis is slow to come up.
      const sub = this.opts.subscriber ?? this.redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
      this.subscriber = sub;
      sub.on('error', () => undefined); // reconnects by itself; errors are counted on the command path
      // Flushes published while we were disconnected are lost: after a reconnect, start empty.
      let connectedBefore = false;
      sub.on('ready', () => {
        if (connectedBefore) this.flushLocal(null);
        connectedBefore = true;
      });
      sub.on('message', (ch: string, msg: string) => {
        if (ch !== this.channel()) return;
        try {
          const users = (JSON.parse(msg) as { users: string[] | null }).users;
          this.flushLocal(users);
        } catch { /* a malformed message flushes nothing */ }
      });
      await sub.subscribe(this.channel());
    } catch (e) {
      this.opts.logger?.warn({ err: e }, 'auth cache: cannot subscribe to the flush channel');
    }
  }

  private redisError = (e: unknown) => {
    this.counts.redisErrors++;
    this.m?.redisErrors.inc();
    void e;
  };

  private hmac(login: string, password: string): string {
    return createHmac('sha256', this.secret).update(login).update('\0').update(password).digest('base64url');
  }

  private syncEvictions(): void {
    const d = this.local.evictions - this.lastEvictions;
    if (d > 0) { this.m?.evictions.inc(d); this.lastEvictions = this.local.evictions; }
  }

  private hit(level: 'local' | 'redis', c: Cached): void {
    this.counts.hits++;
    if (level === 'local') this.counts.localHits++; else this.counts.sharedHits++;
    if (c.user) this.counts.positiveHits++; else this.counts.negativeHits++;
    this.m?.hits.inc({ level, result: c.user ? 'positive' : 'negative' });
  }

  async authenticate(login: string, password: string, ctx?: AuthContext): Promise<UserRecord | null> {
    const penalty = this.opts.penalty;
    if (penalty) await penalty.wait(ctx?.remoteIp);
    const name = login.trim().toLowerCase();
    const h = this.hmac(name, password);
    let c = this.local.get(h);
    if (c) {
      this.hit('local', c);
    } else {
      c = (await this.fromRedis(h)) ?? undefined;
      if (c) {
        this.hit('redis', c);
        this.local.set(h, c, c.user ? this.ttlMs : this.negativeTtlMs);
        this.syncEvictions();
      }
    }
    if (!c) {
      this.counts.misses++;
      this.m?.misses.inc();
      const user = await this.inner.authenticate(login, password, ctx); // TEMP passes through, uncached
      c = { login: user !== null && user.user === name ? user.user : detached(name), user };
      this.local.set(h, c, user ? this.ttlMs : this.negativeTtlMs);
      this.syncEvictions();
      await this.toRedis(h, c);
    }
    if (penalty) await (c.user ? penalty.succeeded(ctx?.remoteIp) : penalty.failed(ctx?.remoteIp));
    return c.user;
  }

  private async fromRedis(h: string): Promise<Cached | null> {
    const r = this.redis;
    if (!r) return null;
    const raw = await soft(() => r.get(this.entryKey(h)), null, this.redisError);
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as { login?: unknown; user?: unknown };
      if (typeof v.login !== 'string') return null;
      if (v.user === null) return { login: v.login, user: null };
      return isUserRecord(v.user) ? { login: v.login, user: v.user } : null;
    } catch {
      return null;
    }
  }

  private async toRedis(h: string, c: Cached): Promise<void> {
    const r = this.redis;
    if (!r) return;
    const ttl = c.user ? this.ttlMs : this.negativeTtlMs;
    const key = this.entryKey(h);
    // The per-user index lets flush(users) find the entries of a user on the shared level.
    const owners = [...new Set([c.login, ...(c.user ? [c.user.user, ...c.user.aliases] : [])])];
    const tx = r.multi().set(key, JSON.stringify(c), 'PX', ttl);
    for (const o of owners) tx.sadd(this.indexKey(o), key).pexpire(this.indexKey(o), Math.max(this.ttlMs, this.negativeTtlMs));
    await soft(() => tx.exec(), null, this.redisError);
  }

  private flushLocal(users: string[] | null): number {
    if (users === null) { const n = this.local.size; this.local.clear(); return n; }
    const set = new Set(users.map((u) => u.toLowerCase()));
    return this.local.deleteWhere((c) => set.has(c.login) || (c.user !== null && (set.has(c.user.user) || c.user.aliases.some((a) => set.has(a)))));
  }

  /**
   * Empties the cache for some users (login names or addresses) or all, on both levels and on
   * every node (pub/sub). Returns the local entries removed here.
   */
  async flush(users?: readonly string[]): Promise<number> {
    const list = users ? users.map((u) => u.trim().toLowerCase()) : null;
    const n = this.flushLocal(list);
    const r = this.redis;
    if (r) await soft(() => flushShared(r, this.prefix, list), 0, this.redisError);
    return n;
  }

  stats(): AuthCacheStats {
    this.syncEvictions();
    return { ...this.counts, entries: this.local.size, evictions: this.local.evictions };
  }

  /** The SIGUSR2 log line (Dovecot logs its auth cache statistics on SIGUSR2). */
  logStats(): void {
    this.opts.logger?.info({ authCache: this.stats() }, 'auth cache statistics');
  }

  // Lookups are not cached: delivery and routing must see directory changes at once.
  lookup(address: string): Promise<UserRecord | null> { return this.inner.lookup(address); }
  resolve(address: string): Promise<Recipient | null> { return this.inner.resolve(address); }
  sharedFolders(): Promise<SharedFolderRecord[]> { return this.inner.sharedFolders(); }
  domains(): Promise<string[]> { return this.inner.domains(); }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub && sub !== this.opts.subscriber) sub.disconnect();
    await this.inner.close();
  }
}
