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
import { createLogger } from '../../libs/telemetry/src/index.js';
import { serveLoginProcess } from '../../libs/login-process/src/index.js';
import { startLoginProxy, type LoginService } from './login-proxy.js';

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
  const { proxy, metrics, shutdown } = await startLoginProxy(c, service, logger);
  const lp = serveLoginProcess({
    mode: c.proxy.loginMode,
    onConnection: (sock, implicitTls) => proxy.adopt(sock, implicitTls),
    shutdown,
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
