#!/usr/bin/env node
/**
 * The login proxy node (issue 6): config -> listeners for IMAP (and POP3, ManageSieve when configured)
 * whose connections run in login processes (login-worker.ts: directory, TLS, session registry, backend
 * pools; high-security or high-performance mode, docs/login-modes.md) + HTTP metrics. Stateless: run any number.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../libs/config/src/load.js';
import { loadTls } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics, startHttp } from '../../libs/telemetry/src/index.js';
import { onShutdown } from '../mail/shutdown.js';
import { LoginServices, limitWarnings } from './login-services.js';
import { aggregatedRegistry, loginMetrics } from './login-metrics.js';
import { startLmtpProxyNode } from './lmtp-proxy.js';
import { startProxyNodeServices, wantsNodeServices } from './node-services.js';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { openDirectory, type NodeDirectory } from '../mail/directory.js';

const USAGE = 'usage: mailproxy [--config FILE]   run a login proxy node (config section `proxy`, docs/configuration.md)\n';

/** What a proxy cannot run without (checked at start and on reload). */
function proxyConfigErrors(c: MailConfig): string[] {
  const errors: string[] = [];
  if (c.proxy.masterUser === null || c.proxy.masterPassword === null) errors.push('proxy.masterUser and proxy.masterPassword: required (the backends\' master login)');
  if (Object.keys(c.proxy.backends).length === 0 && (c.proxy.imapPort !== null || c.proxy.imapTlsPort !== null)) errors.push('proxy.backends: at least one IMAP backend is required');
  if (Object.keys(c.proxy.pop3Backends).length === 0 && (c.proxy.pop3Port !== null || c.proxy.pop3TlsPort !== null)) errors.push('proxy.pop3Backends: at least one POP3 backend is required with proxy.pop3Port/pop3TlsPort');
  if (Object.keys(c.proxy.sieveBackends).length === 0 && c.proxy.sievePort !== null) errors.push('proxy.sieveBackends: at least one ManageSieve backend is required with proxy.sievePort');
  if (Object.keys(c.proxy.lmtpBackends).length === 0 && (c.proxy.lmtpPort !== null || c.proxy.lmtpSocket !== false)) errors.push('proxy.lmtpBackends: at least one LMTP backend is required with proxy.lmtpPort/lmtpSocket');
  return errors;
}

/**
 * Keys a running proxy cannot change (listeners, the main process's directory and Redis handles, its
 * name and data dir): a reload logs them as "needs restart" and keeps running with the old values.
 */
function restartOnlyKeys(a: MailConfig, b: MailConfig): string[] {
  const keys: Array<[string, (c: MailConfig) => unknown]> = [
    ['node', (c) => c.node], ['directory', (c) => c.directory], ['redis', (c) => c.redis], ['auth', (c) => c.auth], ['http', (c) => c.http],
    ['log.pretty', (c) => c.log.pretty],
    ['proxy.host', (c) => c.proxy.host], ['proxy.imapPort', (c) => c.proxy.imapPort], ['proxy.imapTlsPort', (c) => c.proxy.imapTlsPort],
    ['proxy.pop3Port', (c) => c.proxy.pop3Port], ['proxy.pop3TlsPort', (c) => c.proxy.pop3TlsPort], ['proxy.sievePort', (c) => c.proxy.sievePort],
    ['proxy.lmtpPort', (c) => c.proxy.lmtpPort], ['proxy.lmtpSocket', (c) => c.proxy.lmtpSocket],
  ];
  return keys.filter(([, f]) => JSON.stringify(f(a)) !== JSON.stringify(f(b))).map(([k]) => k);
}

async function main(): Promise<number | null> {
  let config: string | null = null;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { process.stdout.write(USAGE); return 0; }
    config = values.config ?? null;
  } catch (e) { process.stderr.write(`mailproxy: ${(e as Error).message}\n${USAGE}`); return 64; }
  const loaded = loadConfig(config, process.env);
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
  // Pre-login protocol, TLS, authentication and proxying run in login processes (docs/login-modes.md).
  const login = new LoginServices(config, logger);
  loginMetrics(metrics.registry, login);
  const bound = await login.start(c);
  // LMTP proxy (libs/lmtp-proxy, docs/lmtp-proxy.md): in this process; recipients split by home server.
  // One directory handle for the main process's services (LMTP proxy, quota-status, admin); login processes have their own.
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
  // SIGHUP (`mailctl reload`). Login processes read the configuration when they start, so new ones take
  // everything of theirs (backend maps, master login, connect timeout, breakers, SASL policy, TLS, login
  // mode and limits); the old ones keep their established sessions and exit when those end. This process
  // hands the new settings to the LMTP proxy, quota-status, the auth service and the admin API, and takes
  // the log level. Listeners, the directory and Redis handles need a restart: logged, and kept.
  let running = c;
  process.on('SIGHUP', () => {
    const loadedNext = loadConfig(config, process.env);
    const errs = [...loadedNext.errors, ...(loadedNext.config ? proxyConfigErrors(loadedNext.config) : [])];
    if (!loadedNext.config || errs.length > 0) {
      logger.error({ errors: errs }, 'reload: configuration has errors; keeping the running one');
      return;
    }
    const next = loadedNext.config;
    for (const w of limitWarnings(next)) logger.warn({ config: config ?? 'embedded defaults' }, `config: Warning: ${w}`);
    const restart = restartOnlyKeys(running, next);
    login.reload(next);
    lmtp?.reload(next);
    restart.push(...(side?.reload(next) ?? []));
    logger.level = next.log.level;
    if (dirs) void dirs.directory.reload().catch((e: unknown) => logger.error({ err: e }, 'reload: users file refused; keeping the running one'));
    if (restart.length > 0) logger.warn({ keys: restart }, `reload: changed keys need a restart (the running values are kept): ${restart.join(', ')}`);
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
