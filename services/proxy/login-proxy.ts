/**
 * What a login process serves (login-worker.ts): one protocol proxy (imap, pop3 or managesieve) with its
 * directory, TLS context, session registry and backend pool, built from the configuration. Also used by
 * loadtest/bench/proxy-idle-heap.ts, so the benchmark measures the objects a login process really holds.
 */
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { loadTls, secureContext } from '../../libs/tls/src/index.js';
import { createMetrics } from '../../libs/telemetry/src/index.js';
import { ImapProxy, Pop3Proxy, SieveProxy, type ProxyDeps } from '../../libs/login-proxy/src/index.js';
import { openDirectory } from '../mail/directory.js';
import { createSaslAuthenticator } from '../mail/sasl.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { openRegistry } from './registry.js';
import { createPool } from './pools.js';

export type LoginService = 'imap' | 'pop3' | 'managesieve';

export interface LoginProxy {
  proxy: { adopt(s: import('node:net').Socket, implicitTls: boolean): void; close(): Promise<void> };
  metrics: ReturnType<typeof createMetrics>;
  registry: SessionRegistry;
  /** Stops the proxy, then releases the registry entries and directory connections. */
  shutdown(): Promise<void>;
}

export async function startLoginProxy(c: MailConfig, service: LoginService, logger: Logger): Promise<LoginProxy> {
  const name = `${service}-login`;
  const metrics = createMetrics();
  const dirs = await openDirectory(c, logger, metrics.registry);
  const tls = await loadTls({ ...c.tls, hostnames: ['localhost', '127.0.0.1', '::1', c.node.hostname] });
  const registry = await openRegistry(c, logger, `${c.node.hostname}/${name}/${process.pid}`);
  const base: Omit<ProxyDeps, 'pool' | 'maxUserIp' | 'allowPlaintextAuth'> = {
    sasl: createSaslAuthenticator(c, dirs.directory), registry, logger, metrics: metrics.registry,
    tls: secureContext(tls), hostname: c.node.hostname, master: { user: c.proxy.masterUser!, password: c.proxy.masterPassword! },
  };
  let proxy: LoginProxy['proxy'];
  if (service === 'imap') {
    proxy = new ImapProxy({ ...base, pool: createPool(c, 'imap', c.proxy.backends, logger, metrics.registry), maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.imap.allowPlaintextAuth },
      { maxMessageSize: c.imap.maxMessageSize });
  } else if (service === 'pop3') {
    proxy = new Pop3Proxy({ ...base, pool: createPool(c, 'pop3', c.proxy.pop3Backends, logger, metrics.registry), maxUserIp: c.pop3.maxUserIpConnections, allowPlaintextAuth: c.pop3.allowPlaintextAuth });
  } else {
    proxy = new SieveProxy({ ...base, pool: createPool(c, 'sieve', c.proxy.sieveBackends, logger, metrics.registry), maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.managesieve.allowPlaintextAuth },
      'UCS mail node ManageSieve');
  }
  return { proxy, metrics, registry, shutdown: async () => { await proxy.close(); await registry.close(); await dirs.close(); } };
}
