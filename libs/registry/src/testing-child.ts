/** Test child: registers N sessions in Redis, prints READY, then waits to be killed (a crashed node). */
import { RedisRegistry } from './redis.js';

const [url, prefix, node, n, ttl] = process.argv.slice(2) as [string, string, string, string, string];
const reg = await RedisRegistry.open({ url, prefix, node, ttlMs: Number(ttl), heartbeatMs: Math.max(100, Number(ttl) / 4) });
for (let i = 0; i < Number(n); i++) {
  await reg.register({ service: 'imap', user: `crash${i}@example.org`, ip: '127.0.0.9', maxUserIp: 10, onKick: () => {} });
}
process.stdout.write('READY\n');
setInterval(() => {}, 1_000);
