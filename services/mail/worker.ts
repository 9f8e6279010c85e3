#!/usr/bin/env node
/**
 * A worker process of the mail node (node.workers > 1; started by main.ts through libs/workers, never
 * by hand): it serves IMAP and POP3 on the connections the primary hands over, with its own directory
 * (and auth cache), TLS context and Maildir store. Its sessions are registered in the primary's
 * registry over IPC (IpcRegistry), so who / kick / the user+IP limit see the node as one. It reloads
 * when the primary tells it (the primary's SIGHUP), empties its auth cache on the admin's flush, and
 * answers the primary's /metrics with its own. IDLE sessions learn of mail delivered by the primary
 * (LMTP) or another worker through inotify (libs/maildir dir-watch).
 */
import './threadpool.js'; // first: sizes the libuv pool before any import uses it
import { parseArgs } from 'node:util';
import { Counter, Gauge, Registry } from 'prom-client';
import { loadConfig } from '../../libs/config/src/load.js';
import { loadTls, secureContext } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics, type PlatformMetrics } from '../../libs/telemetry/src/index.js';
import { IpcRegistry } from '../../libs/registry/src/ipc.js';
import { joinPool, workerIndex } from '../../libs/workers/src/index.js';
import { openDirectory } from './directory.js';
import { createImapServer } from './components.js';
import { createStore } from './store.js';
import { imapServerConfig } from './imap-config.js';
import { reload, tlsHostnames, type RunningNode } from './reload.js';
import { startPop3 } from './pop3.js';
import { startQuotaWarnings } from './sieve-quota.js';
import { createSaslAuthenticator } from './sasl.js';

/** The reload bookkeeping of a worker: kept out of the exported metrics (the primary counts reloads once). */
function reloadMetrics(): PlatformMetrics {
  const registry = new Registry();
  return {
    registry,
    listenerUp: new Gauge({ name: 'mail_listener_up', help: 'unused in a worker', labelNames: ['listener'] as const, registers: [registry] }),
    configLoaded: new Gauge({ name: 'mail_config_last_reload_success_timestamp_seconds', help: 'unused in a worker', registers: [registry] }),
    configReloads: new Counter({ name: 'mail_config_reloads_total', help: 'unused in a worker', labelNames: ['result'] as const, registers: [registry] }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { config: { type: 'string' } } });
  const configPath = values.config ?? null;
  const side = joinPool();
  const loaded = loadConfig(configPath, process.env);
  const c = loaded.config;
  if (!c) throw new Error(`configuration: ${loaded.errors.join('; ')}`);
  const index = workerIndex() ?? 0;
  const logger = createLogger({ level: c.log.level, pretty: c.log.pretty, base: { pid: process.pid, node: c.node.hostname, worker: index } });
  process.on('uncaughtException', (e) => { logger.fatal({ err: e }, 'uncaught exception in worker: exiting'); process.exit(1); });
  const metrics = createMetrics();
  const dirs = await openDirectory(c, logger, metrics.registry);
  const directory = dirs.directory;
  const registry = new IpcRegistry(c.node.hostname, side.rpc);
  const tls = await loadTls({ ...c.tls, hostnames: tlsHostnames(c) });
  const plainStore = createStore({ hostname: c.node.hostname, fsync: c.storage.fsync });
  const warnings = startQuotaWarnings(c, plainStore, directory, logger);
  const store = warnings.store;
  const imap = createImapServer({ store, directory, logger, metrics: metrics.registry, tls: secureContext(tls), config: imapServerConfig(c), sasl: createSaslAuthenticator(c, directory), registry });
  if (c.imap.port !== null) await imap.listen({ host: c.imap.host, port: c.imap.port, implicitTls: false, source: side.source('imap', c.imap.port) });
  if (c.imap.tlsPort !== null) await imap.listen({ host: c.imap.host, port: c.imap.tlsPort, implicitTls: true, source: side.source('imaps', c.imap.tlsPort) });
  const pop3 = await startPop3(c, {
    store, directory, tls: secureContext(tls), logger, metrics: metrics.registry, sasl: createSaslAuthenticator(c, directory), registry,
    sources: (name) => side.source(name),
  });
  const node: RunningNode = { configPath, config: c, tls, logger, directory, imap, pop3: pop3.server, metrics: reloadMetrics() };
  let reloads: Promise<unknown> = Promise.resolve();
  side.rpc.handle('reload', () => {
    const r = reloads.then(() => reload(node));
    reloads = r.catch(() => undefined);
    return r.catch((err: unknown) => { logger.error({ err }, 'reload failed'); return false; });
  });
  side.rpc.handle('auth-cache-flush', async (users) => {
    const list = Array.isArray(users) && users.length ? users.filter((u): u is string => typeof u === 'string') : undefined;
    return dirs.cache ? dirs.cache.flush(list) : 0;
  });
  side.rpc.handle('metrics', () => metrics.registry.getMetricsAsJSON());
  side.onStop(async () => {
    for (const [name, run] of [
      ['imap', () => imap.close()], ['pop3', () => pop3.server.close()], ['quota-warnings', () => warnings.close()],
      ['registry', () => registry.close()], ['store', () => plainStore.close()], ['directory', () => dirs.close()],
    ] as const) {
      try { await run(); } catch (err) { logger.error({ err, step: name }, 'worker shutdown step failed'); }
    }
    logger.flush?.();
  });
  side.ready();
}

main().catch((e: unknown) => {
  process.stderr.write(`mailnode worker: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
