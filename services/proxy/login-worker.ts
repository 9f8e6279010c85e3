#!/usr/bin/env node
/**
 * A login process of the proxy (started by services/proxy/main.ts through libs/login-process, never by
 * hand): it serves one login service (imap, pop3 or managesieve) on the connections the parent hands
 * over: pre-login protocol, TLS, authentication, the backend login and the relay. It has the directory,
 * the TLS key and the session registry (under a node name of its own, so who/kick and the user+IP limit
 * see its sessions), and no mail storage: a proxy node has none.
 */
import { parseArgs } from 'node:util';
import { loadLoginProcessConfig } from './proxy-config.js';
import { loadTls, secureContext } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics } from '../../libs/telemetry/src/index.js';
import { ImapProxy, Pop3Proxy, SieveProxy, type ProxyDeps } from '../../libs/login-proxy/src/index.js';
import { serveLoginProcess } from '../../libs/login-process/src/index.js';
import { openDirectory } from '../mail/directory.js';
import { createSaslAuthenticator } from '../mail/sasl.js';
import { openRegistry } from './registry.js';
import { createPool } from './pools.js';

export type LoginService = 'imap' | 'pop3' | 'managesieve';

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { config: { type: 'string' }, service: { type: 'string' } } });
  const service = values.service as LoginService;
  if (!['imap', 'pop3', 'managesieve'].includes(service)) throw new Error(`unknown login service ${values.service}`);
  // The text the parent validated (its start or last accepted reload), not the file as it is now.
  const loaded = loadLoginProcessConfig(values.config ?? null);
  const c = loaded.config;
  if (!c || loaded.errors.length > 0) throw new Error(`configuration: ${loaded.errors.join('; ')}`);
  const name = `${service}-login`;
  const logger = createLogger({ level: c.log.level, pretty: c.log.pretty, base: { pid: process.pid, node: c.node.hostname, service: name } });
  process.on('uncaughtException', (e) => { logger.fatal({ err: e }, 'uncaught exception in login process: exiting'); process.exit(1); });
  const metrics = createMetrics();
  const dirs = await openDirectory(c, logger, metrics.registry);
  const tls = await loadTls({ ...c.tls, hostnames: ['localhost', '127.0.0.1', '::1', c.node.hostname] });
  const registry = await openRegistry(c, logger, `${c.node.hostname}/${name}/${process.pid}`);
  const base: Omit<ProxyDeps, 'pool' | 'maxUserIp' | 'allowPlaintextAuth'> = {
    sasl: createSaslAuthenticator(c, dirs.directory), registry, logger, metrics: metrics.registry,
    tls: secureContext(tls), hostname: c.node.hostname, master: { user: c.proxy.masterUser!, password: c.proxy.masterPassword! },
  };
  let proxy: { adopt(s: import('node:net').Socket, implicitTls: boolean): void; close(): Promise<void> };
  if (service === 'imap') {
    proxy = new ImapProxy({ ...base, pool: createPool(c, 'imap', c.proxy.backends, logger, metrics.registry), maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.imap.allowPlaintextAuth },
      { maxMessageSize: c.imap.maxMessageSize });
  } else if (service === 'pop3') {
    proxy = new Pop3Proxy({ ...base, pool: createPool(c, 'pop3', c.proxy.pop3Backends, logger, metrics.registry), maxUserIp: c.pop3.maxUserIpConnections, allowPlaintextAuth: c.pop3.allowPlaintextAuth });
  } else {
    proxy = new SieveProxy({ ...base, pool: createPool(c, 'sieve', c.proxy.sieveBackends, logger, metrics.registry), maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.managesieve.allowPlaintextAuth },
      'UCS mail node ManageSieve');
  }
  const lp = serveLoginProcess({
    mode: c.proxy.loginMode,
    onConnection: (sock, implicitTls) => proxy.adopt(sock, implicitTls),
    shutdown: async () => { await proxy.close(); await registry.close(); await dirs.close(); },
    metrics: () => metrics.registry.getMetricsAsJSON() as Promise<object[]>,
  });
  // The parent's reload (SIGHUP) drains us over IPC; a SIGHUP of the process group must not kill us.
  process.on('SIGHUP', () => undefined);
  lp.ready();
}

main().catch((e: unknown) => {
  process.stderr.write(`login process: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
