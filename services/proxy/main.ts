#!/usr/bin/env node
/**
 * The login proxy node (issue 6): config -> listeners for IMAP (and POP3, ManageSieve when configured)
 * whose connections run in login processes (login-worker.ts: directory, TLS, session registry, backend
 * pools; high-security or high-performance mode, docs/login-modes.md) + HTTP metrics. Stateless: run any number.
 */
import { parseArgs } from 'node:util';
import { loadTls } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics, startHttp } from '../../libs/telemetry/src/index.js';
import { onShutdown } from '../mail/shutdown.js';
import { LoginServices, limitWarnings } from './login-services.js';
import { aggregatedRegistry, loginMetrics } from './login-metrics.js';
import { startLmtpProxyNode } from './lmtp-proxy.js';
import { startProxyNodeServices, wantsNodeServices } from './node-services.js';
import { loadProxyConfig, proxyConfigErrors, publishForLoginProcesses, restartOnlyKeys } from './proxy-config.js';
import { openDirectory, type NodeDirectory } from '../mail/directory.js';

const USAGE = 'usage: mailproxy [--config FILE]   run a login proxy node (config section `proxy`, docs/configuration.md)\n';

async function main(): Promise<number | null> {
  let config: string | null = null;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { process.stdout.write(USAGE); return 0; }
    config = values.config ?? null;
  } catch (e) { process.stderr.write(`mailproxy: ${(e as Error).message}\n${USAGE}`); return 64; }
  const loaded = loadProxyConfig(config);
  for (const w of loaded.warnings) process.stderr.write(`config warning: ${w}\n`);
  const c = loaded.config;
  const errors = [...loaded.errors, ...(c ? proxyConfigErrors(c) : [])];
  if (!c || errors.length > 0) {
    for (const e of errors) process.stderr.write(`config error: ${e}\n`);
    return 78; // EX_CONFIG
  }
  const logger = createLogger({ level: c.log.level, pretty: c.log.pretty, base: { pid: process.pid, node: c.node.hostname, service: 'proxy' } });
  process.on('uncaughtException', (e) => { logger.fatal({ err: e }, 'uncaught exception: exiting'); process.exit(1); });
  for (const w of limitWarnings(c)) logger.warn({ config: config ?? 'embedded defaults' }, `config: Warning: ${w}`);
  const metrics = createMetrics();
  // Generate the self-signed pair once here, so login processes only read it.
  await loadTls({ ...c.tls, hostnames: ['localhost', '127.0.0.1', '::1', c.node.hostname] });
  // Pre-login protocol, TLS, authentication and proxying run in login processes (docs/login-modes.md);
  // they load the configuration text validated here (proxy-config.ts).
  publishForLoginProcesses(loaded.text);
  const login = new LoginServices(config, logger);
  loginMetrics(metrics.registry, login);
  const bound = await login.start(c);
  // LMTP proxy (libs/lmtp-proxy, docs/lmtp-proxy.md): in this process; recipients split by home server.
  // One directory handle (and auth cache) for the main process's services (LMTP proxy, quota-status, auth service, admin);
  // login processes have their own.
  const needsDirectory = c.proxy.lmtpPort !== null || c.proxy.lmtpSocket !== false || wantsNodeServices(c);
  const dirs: NodeDirectory | null = needsDirectory ? await openDirectory(c, logger, metrics.registry) : null;
  const lmtp = dirs && (c.proxy.lmtpPort !== null || c.proxy.lmtpSocket !== false) ? await startLmtpProxyNode(c, dirs.directory, logger, metrics.registry) : null;
  if (lmtp) bound.push(...lmtp.bound);
  // quota-status (asks the recipient's home backend), the auth service for Postfix and the admin API (mailctl): node-services.ts.
  const side = dirs ? await startProxyNodeServices(c, config, dirs, logger, metrics.registry, () => login.collectMetrics()) : null;
  if (side) bound.push(...side.bound);
  for (const b of bound) metrics.listenerUp.set({ listener: b.name }, 1);
  let ready = false;
  const http = c.http.port === null ? null : await startHttp({ host: c.http.host, port: c.http.port, registry: aggregatedRegistry(metrics.registry, login), checks: { listeners: () => ready } });
  onShutdown(logger, () => [['lmtp', async () => lmtp?.close()], ['admin, quota-status, sasl', async () => side?.close()], ['directory', async () => dirs?.close()], ['login services', () => login.close()], ['http', async () => http?.close()]], 30_000, () => { ready = false; });
  // SIGHUP (`mailctl reload`). Login processes load the configuration text accepted here when they start
  // (proxy-config.ts), so new ones take everything of theirs (backend maps, master login, connect timeout, breakers, SASL policy, TLS, login
  // mode and limits); the old ones keep their established sessions and exit when those end. This process
  // hands the new settings to the LMTP proxy, quota-status, the auth service and the admin API, and takes
  // the log level. Listeners and this process's directory, Redis and HTTP handles need a restart: logged,
  // and kept (login processes started from now on read those keys too: they have handles of their own).
  let running = c;
  process.on('SIGHUP', () => {
    const loadedNext = loadProxyConfig(config);
    const errs = [...loadedNext.errors, ...(loadedNext.config ? proxyConfigErrors(loadedNext.config) : [])];
    if (!loadedNext.config || errs.length > 0) {
      logger.error({ errors: errs }, 'reload: configuration has errors; keeping the running one');
      return;
    }
    const next = loadedNext.config;
    for (const w of limitWarnings(next)) logger.warn({ config: config ?? 'embedded defaults' }, `config: Warning: ${w}`);
    const restart = restartOnlyKeys(running, next);
    publishForLoginProcesses(loadedNext.text);
    login.reload(next);
    lmtp?.reload(next);
    restart.push(...(side?.reload(next) ?? []));
    logger.level = next.log.level;
    if (dirs) void dirs.directory.reload().catch((e: unknown) => logger.error({ err: e }, 'reload: users file refused; keeping the running one'));
    if (restart.length > 0) logger.warn({ keys: restart }, `reload: changed keys need a restart (listeners and the main process keep the running values; new login processes read them): ${restart.join(', ')}`);
    running = next;
    logger.info({ loginMode: next.proxy.loginMode, backends: next.proxy.backends }, 'reload: new login processes use the new configuration (and this process its part of it); established sessions are kept');
  });
  ready = true;
  // admin and quota-status bind their own sections' hosts; the protocol listeners proxy.host.
  const hostOf = (name: string) => (name === 'admin' ? c.admin.host : name === 'quota-status' ? c.quotaStatus.host : name === 'sasl' ? c.sasl.host : c.proxy.host);
  const lines = bound.map((b) => `listening ${b.name} ${hostOf(b.name)}:${b.port}`);
  if (http) lines.push(`listening http ${c.http.host}:${http.port}`);
  process.stdout.write(`${lines.join('\n')}\n\nproxy node ${c.node.hostname} ready (config: ${config ?? 'embedded defaults'}; login mode: ${c.proxy.loginMode}; backends: ${Object.keys(c.proxy.backends).join(', ')})\n`);
  logger.info({ listeners: bound, backends: c.proxy.backends, loginMode: c.proxy.loginMode, login: login.stats() }, 'proxy started');
  return null;
}

main().then((code) => { if (code !== null) process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`mailproxy: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
