/**
 * The proxy node's side services in its main process (issue 6): quota-status for Postfix
 * (quota-status.ts) and the admin API (admin.ts), using the main process's directory handle and a session
 * registry handle for who/kick. Each starts only when configured (quotaStatus.port with
 * proxy.quotaStatusBackends; admin.port).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { loadConfig } from '../../libs/config/src/load.js';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { NodeDirectory } from '../mail/directory.js';
import { openRegistry } from './registry.js';
import { startQuotaStatusProxy } from './quota-status.js';
import { startProxyAdmin } from './admin.js';

export async function startProxyNodeServices(c: MailConfig, configPath: string | null, dirs: NodeDirectory, logger: Logger, metrics: Registry,
  collectLoginMetrics: () => Promise<object[][]>): Promise<{ bound: Array<{ name: string; port: number }>; close(): Promise<void> } | null> {
  const quota = c.quotaStatus.port !== null && Object.keys(c.proxy.quotaStatusBackends).length > 0;
  if (!quota && c.admin.port === null) return null;
  // The main process's directory handle (main.ts owns and closes it).
  const closers: Array<() => Promise<void>> = [];
  const close = async () => { for (const f of closers.splice(0).reverse()) await f().catch(() => undefined); };
  const bound: Array<{ name: string; port: number }> = [];
  try {
    const qs = quota ? await startQuotaStatusProxy(c, dirs.directory, logger, metrics) : null;
    if (qs) { closers.push(() => qs.close()); bound.push({ name: 'quota-status', port: qs.port }); }
    if (c.admin.port !== null) {
      const registry = await openRegistry(c, logger, `${c.node.hostname}/admin/${process.pid}`);
      closers.push(() => registry.close());
      // This node's reload is main.ts's SIGHUP handler; a configuration with errors is refused (and logged there).
      const reloadLocal = async (): Promise<boolean> => {
        const next = loadConfig(configPath, process.env);
        process.kill(process.pid, 'SIGHUP');
        return next.config !== null && next.errors.length === 0;
      };
      // admin.port defaults to 9091 as on the mail nodes; a proxy sharing a host with one must move it. A port in
      // use costs mailctl access to this node, not the node's mail service: logged, and the proxy runs on.
      const admin = await startProxyAdmin({ config: c, dirs, registry, logger, metrics, collectLoginMetrics }, reloadLocal).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EADDRINUSE') throw e;
        logger.error({ host: c.admin.host, port: c.admin.port }, `admin API: cannot listen on ${c.admin.host}:${c.admin.port} (address in use): set admin.port (null = none); mailctl cannot reach this proxy`);
        return null;
      });
      if (admin) { closers.push(() => admin.close()); bound.push({ name: 'admin', port: admin.port }); }
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { bound, close };
}
