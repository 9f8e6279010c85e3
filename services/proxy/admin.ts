/**
 * The admin API on a proxy node (issue 6). mailctl's verbs, answered the way a proxy can:
 * - who / kick: through the session registry (Redis: the login processes register every relayed
 *   session there, and a kick reaches whichever process holds it). Without redis.url the proxy's
 *   sessions live in its login processes, so who/kick see none of them: run proxies with Redis.
 * - reload: the cluster channel of the mail nodes (services/mail/cluster.ts reloadChannel); on this
 *   node it is the SIGHUP handler of main.ts (new login processes take the new configuration).
 * - auth cache flush / auth test / user lookup: the proxy's own directory handle; user lookup also
 *   names the backend this proxy would route the user to (home server, else rendezvous placement).
 * - backends: the breaker state of each backend per protocol, the worst state over the login
 *   processes (each holds its own breakers) and this process (LMTP).
 * - log test / log find: as on the mail nodes.
 * - quota get: 501. A proxy holds no mail; ask the home backend's admin API (`user lookup` names it).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { AdminOps, BackendHealth, UserLookup } from '../../libs/admin/src/types.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { startAdminServer } from '../../libs/admin/src/server.js';
import { placeUser } from '../../libs/routing/src/index.js';
import { adminOps } from '../mail/admin-ops.js';
import { adminApiKey, reloadChannel } from '../mail/cluster.js';
import type { NodeDirectory } from '../mail/directory.js';

const STATES = ['closed', 'half-open', 'open'] as const;

interface MetricJson { name: string; values?: Array<{ value: number; labels: Record<string, string | number> }> }

/** Worst breaker value per protocol+backend over the given metric dumps (prom-client getMetricsAsJSON). */
export function breakerStates(dumps: readonly object[][]): Map<string, number> {
  const worst = new Map<string, number>();
  for (const dump of dumps) {
    for (const m of dump as MetricJson[]) {
      if (m.name !== 'mail_proxy_backend_breaker_state') continue;
      for (const v of m.values ?? []) {
        const key = `${String(v.labels.protocol)} ${String(v.labels.backend)}`;
        worst.set(key, Math.max(worst.get(key) ?? 0, v.value));
      }
    }
  }
  return worst;
}

export function routeOf(c: MailConfig, user: string, homeServer: string | null): string | null {
  const backends = Object.fromEntries(Object.entries(c.proxy.backends).map(([k, v]) => [k.toLowerCase(), v]));
  const name = homeServer ? homeServer.toLowerCase() : placeUser(user, Object.keys(backends));
  return name === null ? null : backends[name] ?? null;
}

export interface ProxyAdminNode {
  config: MailConfig;
  dirs: NodeDirectory;
  registry: SessionRegistry;
  logger: Logger;
  /** This process's metrics and the login processes' (for breaker states). */
  metrics: Registry;
  collectLoginMetrics(): Promise<object[][]>;
  reloadAll(): Promise<{ nodes: number; errors: string[] }>;
}

export function proxyAdminOps(n: ProxyAdminNode): AdminOps {
  // n.config is read per request: a reload (node-services.ts) swaps it, so lookups show the new backends.
  const base = adminOps({
    mailRoot: '', directory: n.dirs.directory, authCache: n.dirs.cache, registry: n.registry, logger: n.logger,
    reload: () => n.reloadAll(), logDestination: 'stdout (JSON lines)',
  });
  const { quotaGet: _noQuota, ...ops } = base;
  return {
    ...ops,
    async userLookup(user): Promise<UserLookup | null> {
      const u = await base.userLookup!(user);
      return u ? { ...u, backend: routeOf(n.config, u.user, u.homeServer) } : null;
    },
    async backends(): Promise<BackendHealth[]> {
      const worst = breakerStates([await n.metrics.getMetricsAsJSON() as object[], ...(await n.collectLoginMetrics())]);
      const out: BackendHealth[] = [];
      const c = n.config;
      const maps: Array<[string, Record<string, string>]> = [['imap', c.proxy.backends], ['pop3', c.proxy.pop3Backends], ['sieve', c.proxy.sieveBackends], ['lmtp', c.proxy.lmtpBackends]];
      for (const [protocol, map] of maps) {
        for (const [name, addr] of Object.entries(map)) {
          const v = worst.get(`${protocol} ${name.toLowerCase()}`) ?? 0;
          out.push({ name: `${name.toLowerCase()} (${protocol})`, address: addr, state: STATES[Math.min(2, Math.max(0, Math.round(v)))]! });
        }
      }
      return out;
    },
  };
}

/** Starts the proxy's admin API (admin.port) with the cluster reload channel; null when admin.port is null. */
export async function startProxyAdmin(node: Omit<ProxyAdminNode, 'reloadAll'>, reloadLocal: () => Promise<boolean>): Promise<{ port: number; close(): Promise<void> } | null> {
  const c = node.config;
  if (c.admin.port === null) return null;
  const channel = await reloadChannel(c, node.logger, reloadLocal);
  try {
    const srv = await startAdminServer({
      host: c.admin.host, port: c.admin.port, apiKey: adminApiKey(c), ops: proxyAdminOps(Object.assign(node, { reloadAll: () => channel.reloadAll() })),
      onError: (err, route) => node.logger.error({ err, route }, 'admin API request failed'),
    });
    return { port: srv.port, close: async () => { await srv.close(); channel.close(); } };
  } catch (e) {
    channel.close();
    throw e;
  }
}
