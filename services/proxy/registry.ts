/**
 * The session registry of a proxy: in Redis (redis.url, keys under <redis.prefix>reg: as on the mail
 * nodes, so who/kick and the user+IP limit are cluster-wide) or in process. Login processes pass a node
 * name with their service and pid, so several processes on one host stay apart (each owns its node hash).
 */
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { MemoryRegistry, RedisRegistry, type SessionRegistry } from '../../libs/registry/src/index.js';

export async function openRegistry(c: MailConfig, logger: Logger, node: string = c.node.hostname): Promise<SessionRegistry> {
  if (c.redis.url === null) return new MemoryRegistry(node);
  let last = 0;
  return RedisRegistry.open({
    node, url: c.redis.url, prefix: `${c.redis.prefix}reg:`,
    onError: (err, op) => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      logger.warn({ err, op }, 'session registry: Redis unavailable; sessions are kept locally');
    },
  });
}
