#!/usr/bin/env node
/** The embedded single-node mail service: config → directory, TLS, storage → IMAP + HTTP listeners. */
import './threadpool.js'; // first: sizes the libuv pool before any import uses it
import { loadConfig } from '../../libs/config/src/load.js';
import { openDirectory, authCacheFlushCommand } from './directory.js';
import { loadTls, secureContext } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics, startHttp } from '../../libs/telemetry/src/index.js';
import { USAGE, parseCli } from './args.js';
import { hashPasswordCommand } from './hash-password.js';
import { SAMPLE_USER, firstStart } from './first-start.js';
import { createImapServer, type ImapServerLike } from './components.js';
import { createStore } from './store.js';
import { imapServerConfig } from './imap-config.js';
import { storageWritable } from './readiness.js';
import { banner, type Bound } from './banner.js';
import { reload, tlsHostnames, type RunningNode } from './reload.js';
import { onShutdown } from './shutdown.js';
import { pop3ServerConfig, startPop3 } from './pop3.js';
import { PooledService, listenPop3, startWorkers, workerCount } from './workers.js';
import { startLmtp } from './lmtp.js';
import { startManageSieve, startQuotaStatus, startQuotaWarnings } from './sieve-quota.js';
import { createSaslAuthenticator, startSaslService } from './sasl.js';
import { openRegistry, reloadChannel, startAdmin } from './cluster.js';

async function main(): Promise<number | null> {
  const args = parseCli(process.argv.slice(2));
  if ('error' in args) { process.stderr.write(`mailnode: ${args.error}\n${USAGE}`); return 64; }
  if (args.command === 'help') { process.stdout.write(USAGE); return 0; }
  if (args.command === 'hash-password') return hashPasswordCommand();
  const loaded = loadConfig(args.config, process.env);
  for (const w of loaded.warnings) process.stderr.write(`config warning: ${w}\n`);
  if (!loaded.config) {
    for (const e of loaded.errors) process.stderr.write(`config error: ${e}\n`);
    process.stderr.write(`mailnode: configuration has ${loaded.errors.length} error(s); not starting\n`);
    return 78; // EX_CONFIG
  }
  if (args.command === 'check-config') { process.stdout.write('configuration ok\n'); return 0; }
  if (args.command === 'auth-cache-flush') return authCacheFlushCommand(loaded.config, args.users ?? []);
  const c = loaded.config;
  // SIGHUP's default action kills the process; until the node runs, a SIGHUP (logrotate) is ignored.
  process.on('SIGHUP', () => process.stderr.write('SIGHUP during start ignored\n'));
  const logger = createLogger({ level: c.log.level, pretty: c.log.pretty, base: { pid: process.pid, node: c.node.hostname } });
  process.on('uncaughtException', (e) => { logger.fatal({ err: e }, 'uncaught exception: exiting'); process.exit(1); });
  const samplePassword = await firstStart(c);
  // Printed at once: if a later step fails, the only copy of the password is not lost with it.
  if (samplePassword) process.stdout.write(`created ${c.directory.path} with sample user ${SAMPLE_USER}, password ${samplePassword}\n`);
  const metrics = createMetrics();
  const dirs = await openDirectory(c, logger, metrics.registry);
  const directory = dirs.directory;
  const registry = await openRegistry(c, logger);
  const tls = await loadTls({ ...c.tls, hostnames: tlsHostnames(c) });
  const plainStore = createStore({ hostname: c.node.hostname, fsync: c.storage.fsync });
  // IMAP and LMTP get the store that checks quota warnings after each append.
  const warnings = startQuotaWarnings(c, plainStore, directory, logger);
  const store = warnings.store;
  // node.workers > 1: worker processes serve IMAP and POP3 on the connections this process accepts (workers.ts).
  const nWorkers = workerCount(c);
  const workers = nWorkers > 1 ? await startWorkers(c, args.config, nWorkers, registry, logger) : null;
  const imap: ImapServerLike = workers
    ? new PooledService(workers.pool, 'imap', imapServerConfig(c))
    : createImapServer({ store, directory, logger, metrics: metrics.registry, tls: secureContext(tls), config: imapServerConfig(c), sasl: createSaslAuthenticator(c, directory), registry });
  const bound: Bound[] = [];
  let ready = false;
  const listen = async (name: 'imap' | 'imaps', port: number | null) => {
    if (port === null) return;
    bound.push({ name, host: c.imap.host, port: await imap.listen({ host: c.imap.host, port, implicitTls: name === 'imaps' }) });
    metrics.listenerUp.set({ listener: name }, 1);
  };
  await listen('imap', c.imap.port);
  await listen('imaps', c.imap.tlsPort);
  const lmtp = await startLmtp(c, store, directory, logger, metrics.registry);
  for (const l of lmtp.listeners) if (l.name === 'lmtp') bound.push(l);
  if (lmtp.listeners.length) metrics.listenerUp.set({ listener: 'lmtp' }, 1);
  const sieve = await startManageSieve(c, directory, secureContext(tls), logger, createSaslAuthenticator(c, directory), registry);
  if (sieve.listener) bound.push(sieve.listener);
  const quotaStatus = await startQuotaStatus(c, directory, logger);
  if (quotaStatus.listener) bound.push(quotaStatus.listener);
  const saslService = await startSaslService(c, directory, logger, metrics.registry);
  if (saslService.listener) bound.push(saslService.listener);
  const pop3 = workers
    ? await (async () => {
      const server = new PooledService(workers.pool, 'pop3', pop3ServerConfig(c));
      return { server, listeners: await listenPop3(c, server, secureContext(tls) !== null, logger) };
    })()
    : await startPop3(c, { store, directory, tls: secureContext(tls), logger, metrics: metrics.registry, sasl: createSaslAuthenticator(c, directory), registry });
  for (const l of pop3.listeners) { bound.push(l); metrics.listenerUp.set({ listener: l.name }, 1); }
  const http = c.http.port === null ? null : await startHttp({
    host: c.http.host, port: c.http.port, registry: workers ? workers.aggregated(metrics.registry) : metrics.registry,
    checks: { listeners: () => ready, storage: storageWritable(c.storage.mailRoot) },
  });
  if (http) bound.push({ name: 'http', host: c.http.host, port: http.port });
  metrics.configLoaded.setToCurrentTime();
  const node: RunningNode = { configPath: args.config, config: c, tls, logger, directory: dirs.directory, imap, metrics, pop3: pop3.server, managesieve: sieve.server, quotaStatus: quotaStatus.server, lmtp };
  // One reload at a time; a SIGHUP during another reload runs after it.
  let reloads = Promise.resolve();
  process.removeAllListeners('SIGHUP');
  const reloadLocal = (): Promise<boolean> => {
    // The workers re-read the configuration too; a configuration the primary refused they would refuse alike.
    const r = reloads.then(async () => (await reload(node)) && (workers ? workers.reload() : true));
    reloads = r.then(() => undefined, (e: unknown) => logger.error({ err: e }, 'reload failed'));
    return r.catch(() => false);
  };
  process.on('SIGHUP', () => { void reloadLocal(); });
  const reloader = await reloadChannel(c, logger, reloadLocal);
  const admin = await startAdmin(c, {
    mailRoot: c.storage.mailRoot, directory, registry, logger,
    authCache: workers ? { flush: async (users) => ((await dirs.cache?.flush(users)) ?? 0) + (await workers.flushAuthCaches(users)) } : dirs.cache,
    reload: () => reloader.reloadAll(), logDestination: 'stdout (JSON lines)',
  }, logger);
  if (admin) bound.push({ name: 'admin', host: c.admin.host, port: admin.port });
  onShutdown(logger, () => [
    ['imap', () => imap.close()], ['pop3', () => pop3.server.close()], ['workers', async () => workers?.close()], ['lmtp', () => lmtp.close()], ['managesieve', () => sieve.server.close()], ['quota-status', () => quotaStatus.server.close()], ['sasl', () => saslService.close()], ['quota-warnings', () => warnings.close()], ['http', async () => http?.close()], ['admin', async () => { await admin?.close(); reloader.close(); }], ['registry', () => registry.close()], ['store', () => plainStore.close()], ['directory', () => dirs.close()],
  ], 30_000, () => { ready = false; });
  ready = true;
  process.stdout.write(banner(c, bound, tls, samplePassword, args.config));
  logger.info({ listeners: bound, lmtp: lmtp.listeners, users: dirs.size(), ...(workers ? { workers: workers.pool.pids() } : {}) }, 'started');
  return null; // keep running
}

main().then((code) => { if (code !== null) process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`mailnode: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
