/**
 * Wiring of the LMTP proxy on a proxy node (called by services/proxy/main.ts): backends from
 * proxy.lmtpBackends with breaker logs and metric, the delivered-members store in Redis when the
 * node has one (cluster-wide: a retry may come through another proxy) else in process, listeners on
 * proxy.lmtpPort and/or proxy.lmtpSocket.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../config/src/schema.js';
import type { Directory } from '../../directory/src/types.js';
import { createAuthRedis } from '../../auth/src/redis.js';
import { LIMITS } from '../../core/src/limits.js';
import { BackendSet } from './backends.js';
import { MemoryDeliveredStore, RedisDeliveredStore, type DeliveredStore } from './dedup.js';
import { LmtpProxy } from './server.js';
import { removeStaleSpool } from '../../delivery/src/stale-spool.js';

export interface RunningLmtpProxy {
  /** TCP listeners for the banner ("listening lmtp <host>:<port>"). */
  bound: Array<{ name: string; port: number }>;
  socket: string | null;
  proxy: LmtpProxy;
  /** Reload: proxy.lmtpBackends, the breaker settings, connect timeout and LMTP limits for new sessions. */
  reload(c: MailConfig): void;
  close(): Promise<void>;
}

export async function startLmtpProxy(c: MailConfig, directory: Directory, logger: Logger, registry: Registry): Promise<RunningLmtpProxy> {
  if (Object.keys(c.proxy.lmtpBackends).length === 0) throw new Error('proxy.lmtpBackends: at least one LMTP backend is required with proxy.lmtpPort/lmtpSocket');
  const backendSet = (cfg: MailConfig) => new BackendSet({
    backends: cfg.proxy.lmtpBackends, failureThreshold: cfg.proxy.breakerFailures, coolDownMs: cfg.proxy.breakerCoolDown,
    onBreaker: (backend, state) => {
      LmtpProxy.breakerMetric(registry, backend, state);
      logger[state === 'open' ? 'warn' : 'info']({ protocol: 'lmtp', backend, state }, `backend circuit breaker ${state}`);
    },
  });
  // node.dataDir needs a restart (services/proxy/main.ts restartOnlyKeys): one spool dir per run.
  const spoolDir = join(c.node.dataDir, 'lmtp-proxy-spool');
  const proxyConfig = (cfg: MailConfig) => ({
    hostname: c.node.hostname, maxMessageSize: cfg.lmtp.maxMessageSize, maxRecipients: cfg.lmtp.maxRecipients,
    idleTimeoutMs: LIMITS.lmtpIdleTimeoutMs, spoolDir,
    connectTimeoutMs: cfg.proxy.connectTimeout, replyTimeoutMs: LIMITS.lmtpProxyReplyTimeoutMs,
  });
  const set = backendSet(c);
  let redis: ReturnType<typeof createAuthRedis> | null = null;
  let delivered: DeliveredStore;
  if (c.redis.url !== null) {
    let last = 0;
    redis = createAuthRedis(c.redis.url, { onError: (err) => { if (Date.now() - last > 60_000) { last = Date.now(); logger.warn({ err: err.message }, 'lmtp proxy: Redis unavailable; group retries may give duplicates'); } } });
    delivered = new RedisDeliveredStore(redis, `${c.redis.prefix}lmtp-delivered:`);
  } else delivered = new MemoryDeliveredStore();
  const stale = await removeStaleSpool(spoolDir);
  if (stale > 0) logger.info({ spoolDir, files: stale }, 'lmtp proxy: removed spool files of a previous run (their messages got no reply; Postfix retries them)');
  const proxy = new LmtpProxy({
    directory, backends: set, delivered, logger, metrics: registry, config: proxyConfig(c),
  });
  const bound: Array<{ name: string; port: number }> = [];
  if (c.proxy.lmtpPort !== null) bound.push({ name: 'lmtp', port: await proxy.listen({ host: c.proxy.host, port: c.proxy.lmtpPort }) });
  let socket: string | null = null;
  if (c.proxy.lmtpSocket !== false) {
    socket = c.proxy.lmtpSocket === null ? join(c.node.dataDir, 'lmtp-proxy.sock') : resolve(c.proxy.lmtpSocket);
    await proxy.listenUnix(socket);
  }
  logger.info({ lmtpBackends: c.proxy.lmtpBackends, bound, socket }, 'lmtp proxy started');
  const reload = (next: MailConfig) => {
    // An empty map is refused by main's config check before it gets here; keep the running set if it does.
    if (Object.keys(next.proxy.lmtpBackends).length === 0) return;
    // A new set starts with closed breakers: the backends may have moved, so old failures say nothing.
    proxy.update({ backends: backendSet(next), config: proxyConfig(next) });
  };
  return { bound, socket, proxy, reload, close: async () => { await proxy.close(); redis?.disconnect(); } };
}
