/**
 * The node's cluster parts: the session registry (in process, or Redis when redis.url is set), the
 * cluster-wide reload channel, and the admin API that mailctl talks to.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { MemoryRegistry } from '../../libs/registry/src/memory.js';
import { RedisRegistry } from '../../libs/registry/src/redis.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { startAdminServer } from '../../libs/admin/src/server.js';
import { adminOps, type AdminNode } from './admin-ops.js';

export async function openRegistry(c: MailConfig, logger: Logger): Promise<SessionRegistry> {
  if (c.redis.url === null) return new MemoryRegistry(c.node.hostname);
  let last = 0;
  return RedisRegistry.open({
    url: c.redis.url, prefix: `${c.redis.prefix}reg:`, node: c.node.hostname,
    onError: (err, op) => {
      if (Date.now() - last < 60_000) return; // a dead Redis reconnects every second: log once a minute
      last = Date.now();
      logger.warn({ err, op }, 'session registry: Redis unavailable; sessions are kept locally (who/kick see this node only)');
    },
  });
}

/**
 * Reload fan-out: `mailctl reload` publishes on <prefix>reload and every node (this one too) reloads;
 * PUBLISH answers how many nodes listen. Without Redis only this node reloads.
 */
export async function reloadChannel(c: MailConfig, logger: Logger, reloadLocal: () => Promise<boolean>): Promise<{
  reloadAll(): Promise<{ nodes: number; errors: string[] }>; close(): void;
}> {
  if (c.redis.url === null) {
    return {
      async reloadAll() { const ok = await reloadLocal(); return { nodes: 1, errors: ok ? [] : [`${c.node.hostname}: configuration refused (see its log)`] }; },
      close() {},
    };
  }
  const channel = `${c.redis.prefix}reload`;
  const opts = { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 2_000, maxRetriesPerRequest: 1 } as const;
  const pub = new Redis(c.redis.url, opts);
  const sub = new Redis(c.redis.url, { ...opts, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
  for (const r of [pub, sub]) r.on('error', () => { /* the registry logs Redis outages */ });
  await Promise.allSettled([pub.connect(), sub.connect()]);
  sub.on('message', (ch: string) => {
    if (ch !== channel) return;
    logger.info('reload requested by the admin API (cluster-wide)');
    void reloadLocal();
  });
  const subscribed = sub.subscribe(channel).catch((err: unknown) => logger.warn({ err }, 'reload channel: subscribe failed'));
  if (sub.status === 'ready') await subscribed;
  return {
    async reloadAll() { return { nodes: await pub.publish(channel, String(Date.now())), errors: [] }; },
    close() { pub.disconnect(); sub.disconnect(); },
  };
}

/** The admin API key: admin.apiKey, else the key file, created (0600) at first start. */
export function adminApiKey(c: MailConfig): string {
  if (c.admin.apiKey !== null) return c.admin.apiKey;
  try {
    const k = readFileSync(c.admin.apiKeyFile, 'utf8').trim();
    if (k) return k;
  } catch { /* created below */ }
  const k = randomBytes(24).toString('base64url');
  mkdirSync(dirname(c.admin.apiKeyFile), { recursive: true });
  writeFileSync(c.admin.apiKeyFile, `${k}\n`, { mode: 0o600, flag: 'w' });
  return k;
}

export async function startAdmin(c: MailConfig, node: AdminNode, logger: Logger): Promise<{ port: number; close(): Promise<void> } | null> {
  if (c.admin.port === null) return null;
  return startAdminServer({
    host: c.admin.host, port: c.admin.port, apiKey: adminApiKey(c), ops: adminOps(node),
    onError: (err, route) => logger.error({ err, route }, 'admin API request failed'),
  });
}
