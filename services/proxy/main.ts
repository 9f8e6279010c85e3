#!/usr/bin/env node
/**
 * The login proxy node (issue 6): config -> directory (auth cache), TLS, session registry, backend pools
 * -> IMAP (and POP3, ManageSieve when configured) proxy listeners + HTTP metrics. Stateless: run any number.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../libs/config/src/load.js';
import { loadTls, secureContext } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics, startHttp } from '../../libs/telemetry/src/index.js';
import { ImapProxy, Pop3Proxy, SieveProxy, type ProxyDeps } from '../../libs/login-proxy/src/index.js';
import { openDirectory } from '../mail/directory.js';
import { createSaslAuthenticator } from '../mail/sasl.js';
import { onShutdown } from '../mail/shutdown.js';
import { openRegistry } from './registry.js';
import { createPool } from './pools.js';
import { startLmtpProxy } from '../../libs/lmtp-proxy/src/start.js';

const USAGE = 'usage: mailproxy [--config FILE]   run a login proxy node (config section `proxy`, docs/configuration.md)\n';

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
  const errors = [...loaded.errors];
  if (c && (c.proxy.masterUser === null || c.proxy.masterPassword === null)) errors.push('proxy.masterUser and proxy.masterPassword: required (the backends\' master login)');
  if (c && Object.keys(c.proxy.backends).length === 0 && (c.proxy.imapPort !== null || c.proxy.imapTlsPort !== null)) errors.push('proxy.backends: at least one IMAP backend is required');
  if (c && Object.keys(c.proxy.pop3Backends).length === 0 && (c.proxy.pop3Port !== null || c.proxy.pop3TlsPort !== null)) errors.push('proxy.pop3Backends: at least one POP3 backend is required with proxy.pop3Port/pop3TlsPort');
  if (c && Object.keys(c.proxy.sieveBackends).length === 0 && c.proxy.sievePort !== null) errors.push('proxy.sieveBackends: at least one ManageSieve backend is required with proxy.sievePort');
  if (!c || errors.length > 0) {
    for (const e of errors) process.stderr.write(`config error: ${e}\n`);
    return 78; // EX_CONFIG
  }
  const logger = createLogger({ level: c.log.level, pretty: c.log.pretty, base: { pid: process.pid, node: c.node.hostname, service: 'proxy' } });
  process.on('uncaughtException', (e) => { logger.fatal({ err: e }, 'uncaught exception: exiting'); process.exit(1); });
  const metrics = createMetrics();
  const dirs = await openDirectory(c, logger, metrics.registry);
  const tls = await loadTls({ ...c.tls, hostnames: ['localhost', '127.0.0.1', '::1', c.node.hostname] });
  const registry = await openRegistry(c, logger);
  const base: Omit<ProxyDeps, 'pool' | 'maxUserIp' | 'allowPlaintextAuth'> = {
    sasl: createSaslAuthenticator(c, dirs.directory), registry, logger, metrics: metrics.registry,
    tls: secureContext(tls), hostname: c.node.hostname, master: { user: c.proxy.masterUser!, password: c.proxy.masterPassword! },
  };
  const bound: Array<{ name: string; port: number }> = [];
  const closers: Array<[string, () => Promise<void>]> = [];
  const imap = new ImapProxy({
    ...base, pool: createPool(c, 'imap', c.proxy.backends, logger, metrics.registry),
    maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.imap.allowPlaintextAuth,
  }, { maxMessageSize: c.imap.maxMessageSize });
  closers.push(['imap', () => imap.close()]);
  if (c.proxy.imapPort !== null) bound.push({ name: 'imap', port: await imap.listen({ host: c.proxy.host, port: c.proxy.imapPort, implicitTls: false }) });
  if (c.proxy.imapTlsPort !== null) bound.push({ name: 'imaps', port: await imap.listen({ host: c.proxy.host, port: c.proxy.imapTlsPort, implicitTls: true }) });
  if (c.proxy.pop3Port !== null || c.proxy.pop3TlsPort !== null) {
    const pop3 = new Pop3Proxy({
      ...base, pool: createPool(c, 'pop3', c.proxy.pop3Backends, logger, metrics.registry),
      maxUserIp: c.pop3.maxUserIpConnections, allowPlaintextAuth: c.pop3.allowPlaintextAuth,
    });
    closers.push(['pop3', () => pop3.close()]);
    if (c.proxy.pop3Port !== null) bound.push({ name: 'pop3', port: await pop3.listen({ host: c.proxy.host, port: c.proxy.pop3Port, implicitTls: false }) });
    if (c.proxy.pop3TlsPort !== null) bound.push({ name: 'pop3s', port: await pop3.listen({ host: c.proxy.host, port: c.proxy.pop3TlsPort, implicitTls: true }) });
  }
  if (c.proxy.sievePort !== null) {
    const sieve = new SieveProxy({
      ...base, pool: createPool(c, 'sieve', c.proxy.sieveBackends, logger, metrics.registry),
      maxUserIp: c.imap.maxUserIpConnections, allowPlaintextAuth: c.managesieve.allowPlaintextAuth,
    }, 'UCS mail node ManageSieve');
    closers.push(['managesieve', () => sieve.close()]);
    bound.push({ name: 'managesieve', port: await sieve.listen({ host: c.proxy.host, port: c.proxy.sievePort, implicitTls: false }) });
  }
  if (c.proxy.lmtpPort !== null || c.proxy.lmtpSocket !== false) {
    // LMTP proxy (libs/lmtp-proxy): recipients split by home server, replies merged in RCPT order.
    const lmtp = await startLmtpProxy(c, dirs.directory, logger, metrics.registry);
    closers.unshift(['lmtp', () => lmtp.close()]);
    bound.push(...lmtp.bound);
  }
  for (const b of bound) metrics.listenerUp.set({ listener: b.name }, 1);
  let ready = false;
  const http = c.http.port === null ? null : await startHttp({ host: c.http.host, port: c.http.port, registry: metrics.registry, checks: { listeners: () => ready } });
  onShutdown(logger, () => [...closers, ['registry', () => registry.close()], ['http', async () => http?.close()], ['directory', () => dirs.close()]], 30_000, () => { ready = false; });
  // SIGHUP (logrotate, `mailctl reload`): re-read the users file; listeners, backends and TLS need a restart.
  process.on('SIGHUP', () => {
    dirs.directory.reload().then(() => logger.info('reload: directory re-read; proxy listeners and backends change on restart'),
      (e: unknown) => logger.error({ err: e }, 'reload failed'));
  });
  ready = true;
  const lines = bound.map((b) => `listening ${b.name} ${c.proxy.host}:${b.port}`);
  if (http) lines.push(`listening http ${c.http.host}:${http.port}`);
  process.stdout.write(`${lines.join('\n')}\n\nproxy node ${c.node.hostname} ready (config: ${config ?? 'embedded defaults'}; backends: ${Object.keys(c.proxy.backends).join(', ')})\n`);
  logger.info({ listeners: bound, backends: c.proxy.backends }, 'proxy started');
  return null;
}

main().then((code) => { if (code !== null) process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`mailproxy: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
