/** The session registry of a proxy: Redis (cluster-wide who/kick and user+IP limit) or in process. */
import type { MailConfig } from '../../libs/config/src/schema.js';
import { MemoryRegistry, RedisRegistry, type SessionRegistry } from '../../libs/registry/src/index.js';

export async function openRegistry(c: MailConfig): Promise<SessionRegistry> {
  if (c.proxy.redisUrl === null) return new MemoryRegistry(c.node.hostname);
  return RedisRegistry.open({ node: `${c.node.hostname}-${process.pid}`, url: c.proxy.redisUrl, prefix: c.proxy.redisPrefix });
}
