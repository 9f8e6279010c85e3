/**
 * Cluster registry in Redis.
 *
 * Keys (all under `prefix`):
 *   nodes                     ZSET node -> last heartbeat (ms)
 *   node:<node>               HASH session id -> SessionInfo JSON; PEXPIRE ttl, refreshed by the heartbeat,
 *                             so the sessions of a crashed node vanish within ttl (default 60 s)
 *   uip:<svc>[:proxy]:<user>:<ip> ZSET session id -> expiry (ms): the user+IP limit, taken atomically by a
 *                             Lua script; expired members (crashed nodes) are dropped before counting
 * Channels: kick (requests, every node subscribes), kick-reply:<node> (answers to the asking node).
 * PUBLISH returns how many subscribers got the request, i.e. how many nodes will answer.
 *
 * Redis down: logins must go on (fail open). register() keeps the session locally and the heartbeat
 * writes it to Redis once it is back; list()/kick() report the failure to the admin.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { compileFilter } from './match.js';
import { LocalSession, LocalSessions, type LocalOwner } from './local.js';
import type { KickResult, RegisterRequest, RegisterResult, SessionFilter, SessionInfo, SessionRegistry } from './types.js';

export interface RedisRegistryOptions {
  node: string;
  url: string;
  prefix: string;
  /** Heartbeat period, ms. Default 15 s. */
  heartbeatMs?: number;
  /** Entry lifetime without heartbeat, ms. Default 60 s. */
  ttlMs?: number;
  /** How long kick() waits for the nodes' answers, ms. Default 2 s. */
  kickWaitMs?: number;
  /** Called when Redis fails (for the log); the registry keeps working locally. */
  onError?: (err: unknown, op: string) => void;
  redisOptions?: RedisOptions;
}

// KEYS[1] uip zset, KEYS[2] node hash; ARGV now, expiry, id, limit, json, ttl. Returns {accepted(0|1), count}.
const REGISTER_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[4])
if limit > 0 and n >= limit then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {1, n + 1}`;

interface KickRequest { req: string; replyTo: string; filter: SessionFilter; reason: string }
interface KickReply { req: string; node: string; kicked: number }

export class RedisRegistry implements SessionRegistry, LocalOwner {
  readonly node: string;
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly local: LocalSessions;
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly kickWaitMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Map<string, (r: KickReply) => void>();
  private closed = false;

  private constructor(private readonly opts: RedisRegistryOptions) {
    this.node = opts.node;
    this.local = new LocalSessions(opts.node);
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.kickWaitMs = opts.kickWaitMs ?? 2_000;
    const base: RedisOptions = {
      lazyConnect: true, enableOfflineQueue: false, commandTimeout: 1_000, maxRetriesPerRequest: 1,
      retryStrategy: (n) => Math.min(n * 200, 2_000), ...opts.redisOptions,
    };
    this.redis = new Redis(opts.url, base);
    // The subscriber must queue its SUBSCRIBE until connected and resubscribe after reconnects.
    this.sub = new Redis(opts.url, { ...base, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
    for (const c of [this.redis, this.sub]) c.on('error', (e) => this.fail(e, 'connection'));
    this.timer = setInterval(() => { void this.heartbeat(); }, this.heartbeatMs);
    this.timer.unref();
  }

  static async open(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const r = new RedisRegistry(opts);
    r.sub.on('messageBuffer', (ch: Buffer, msg: Buffer) => r.onMessage(ch.toString(), msg.toString()));
    // Connect failures are not fatal (fail open): the registry retries in the background.
    await Promise.allSettled([r.redis.connect(), r.sub.connect()]);
    // While Redis is down the SUBSCRIBE stays queued (not awaited); ioredis resubscribes after reconnects.
    const subscribed = r.sub.subscribe(r.key('kick'), r.key(`kick-reply:${r.node}`)).catch((e: unknown) => r.fail(e, 'subscribe'));
    if (r.sub.status === 'ready') await subscribed;
    await r.heartbeat();
    return r;
  }

  private key(k: string): string { return `${this.opts.prefix}${k}`; }
  /**
   * A proxied session is registered twice, by the proxy and by the backend it relays to: each counts
   * against its own set, or mail_max_userip_connections would be halved.
   */
  private uipKey(s: { service: string; user: string; ip: string; proxy?: boolean }): string {
    return this.key(`uip:${s.service}${s.proxy ? ':proxy' : ''}:${s.user}:${s.ip}`);
  }
  private fail(e: unknown, op: string): void { if (!this.closed) this.opts.onError?.(e, op); }

  async register(req: RegisterRequest): Promise<RegisterResult> {
    const info = this.local.newInfo(req);
    const now = Date.now();
    try {
      const [accepted, count] = await this.redis.eval(REGISTER_LUA, 2, this.uipKey(info), this.key(`node:${this.node}`),
        now, now + this.ttlMs, info.id, req.maxUserIp, JSON.stringify(info), this.ttlMs) as [number, number];
      if (accepted === 0) return { ok: false, reason: 'userip-limit', current: count };
    } catch (e) {
      this.fail(e, 'register'); // fail open: the heartbeat writes the session once Redis is back
    }
    const s = new LocalSession(info, req.onKick, this);
    this.local.byId.set(info.id, s);
    return { ok: true, registration: s };
  }

  /** A session's unregister(): once (the map says whether it is still held), and never after close(). */
  async release(s: LocalSession): Promise<void> {
    if (this.local.byId.get(s.info.id) !== s) return;
    this.local.byId.delete(s.info.id);
    try {
      await this.redis.multi().zrem(this.uipKey(s.info), s.info.id).hdel(this.key(`node:${this.node}`), s.info.id).exec();
    } catch (e) { this.fail(e, 'unregister'); }
  }

  /** Refreshes this node's entries; rewrites them all if Redis lost them (restart, flush). */
  async heartbeat(): Promise<void> {
    if (this.closed) return;
    const now = Date.now();
    const nodeKey = this.key(`node:${this.node}`);
    try {
      const p = this.redis.pipeline();
      p.zadd(this.key('nodes'), now, this.node);
      p.zremrangebyscore(this.key('nodes'), '-inf', now - this.ttlMs);
      for (const s of this.local.byId.values()) {
        p.hset(nodeKey, s.info.id, JSON.stringify(s.info));
        p.zadd(this.uipKey(s.info), now + this.ttlMs, s.info.id);
        p.pexpire(this.uipKey(s.info), this.ttlMs);
      }
      p.pexpire(nodeKey, this.ttlMs);
      await p.exec();
    } catch (e) { this.fail(e, 'heartbeat'); }
  }

  async list(filter?: SessionFilter): Promise<SessionInfo[]> {
    const nodes = await this.redis.zrangebyscore(this.key('nodes'), Date.now() - this.ttlMs, '+inf');
    const p = this.redis.pipeline();
    for (const n of nodes) p.hvals(this.key(`node:${n}`));
    const res = (await p.exec()) ?? [];
    const match = compileFilter(filter);
    const out: SessionInfo[] = [];
    for (const [err, vals] of res) {
      if (err) throw err;
      for (const v of vals as string[]) {
        try { const s = JSON.parse(v) as SessionInfo; if (match(s)) out.push(s); } catch { /* a foreign value is skipped */ }
      }
    }
    return out.sort((a, b) => a.user.localeCompare(b.user) || a.start - b.start);
  }

  async kick(filter: SessionFilter, reason = 'Kicked by admin'): Promise<KickResult> {
    const req: KickRequest = { req: randomUUID(), replyTo: this.node, filter, reason };
    let answered = 0;
    let kicked = 0;
    let asked = 0;
    let wake: () => void = () => {};
    const allIn = new Promise<void>((r) => { wake = r; });
    this.waiting.set(req.req, (r) => { answered++; kicked += r.kicked; if (answered >= asked && asked > 0) wake(); });
    try {
      asked = await this.redis.publish(this.key('kick'), JSON.stringify(req));
      if (answered >= asked) wake();
      await Promise.race([allIn, new Promise((r) => setTimeout(r, this.kickWaitMs).unref())]);
    } finally {
      this.waiting.delete(req.req);
    }
    return { kicked, nodesAnswered: answered, nodesAsked: asked };
  }

  private onMessage(channel: string, message: string): void {
    let m: unknown;
    try { m = JSON.parse(message); } catch { return; }
    if (channel === this.key('kick')) {
      const r = m as KickRequest;
      if (typeof r?.req !== 'string' || typeof r.replyTo !== 'string') return;
      const kicked = this.local.kick(r.filter ?? {}, typeof r.reason === 'string' ? r.reason : 'Kicked by admin');
      const reply: KickReply = { req: r.req, node: this.node, kicked };
      this.redis.publish(this.key(`kick-reply:${r.replyTo}`), JSON.stringify(reply)).catch((e: unknown) => this.fail(e, 'kick-reply'));
    } else if (channel === this.key(`kick-reply:${this.node}`)) {
      const r = m as KickReply;
      this.waiting.get(r?.req)?.(r);
    }
  }

  localCount(): number { return this.local.byId.size; }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    try {
      const p = this.redis.pipeline();
      for (const s of this.local.byId.values()) p.zrem(this.uipKey(s.info), s.info.id);
      p.del(this.key(`node:${this.node}`));
      p.zrem(this.key('nodes'), this.node);
      await p.exec();
    } catch (e) { this.fail(e, 'close'); }
    this.closed = true;
    this.local.byId.clear();
    this.redis.disconnect();
    this.sub.disconnect();
  }
}
