/**
 * SIGHUP: re-read the configuration, the users file and the TLS certificate, and hand the new
 * settings to the IMAP server. Established sessions stay up (the server applies new settings to new
 * sessions). A configuration with any error is refused as a whole and the running one stays.
 */
import type { Logger } from 'pino';
import { loadConfig } from '../../libs/config/src/load.js';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { Directory } from '../../libs/directory/src/types.js';
import { loadTls, secureContext, type TlsMaterial } from '../../libs/tls/src/index.js';
import type { PlatformMetrics } from '../../libs/telemetry/src/metrics.js';
import type { ImapServerLike } from './components.js';
import { imapServerConfig, restartOnlyChanges } from './imap-config.js';
import type { SecureContext } from 'node:tls';
import type { Pop3ServerConfig } from '../../libs/pop3-server/src/deps.js';
import { pop3ServerConfig } from './pop3.js';
import { manageSieveConfig, quotaStatusAnswers } from './sieve-quota.js';
import type { ManageSieveConfig } from '../../libs/managesieve-server/src/deps.js';
import type { QuotaStatusAnswers } from '../../libs/quota/src/status.js';

export interface RunningNode {
  configPath: string | null;
  config: MailConfig;
  tls: TlsMaterial;
  logger: Logger;
  /** The users file (re-read on SIGHUP) or the LDAP directory (nothing to re-read). */
  directory: Directory & { reload(): Promise<unknown> };
  imap: ImapServerLike;
  /** The POP3 server, when the node runs one (updateConfig as ImapServerLike). */
  pop3?: { updateConfig(config: Pop3ServerConfig, tls: SecureContext | null): void };
  managesieve?: { updateConfig(config: ManageSieveConfig, tls: SecureContext | null): void };
  quotaStatus?: { updateAnswers(answers: QuotaStatusAnswers): void };
  /** The LMTP server and its delivery path (limits, relay, sieve.before, sieve.globalDir). */
  lmtp?: { updateConfig(config: MailConfig): void };
  metrics: PlatformMetrics;
}

export async function reload(node: RunningNode, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const log = node.logger;
  log.info({ config: node.configPath ?? 'embedded defaults' }, 'reload requested (SIGHUP)');
  const r = loadConfig(node.configPath, env);
  if (!r.config) {
    log.error({ errors: r.errors }, `configuration refused, keeping the running one: ${r.errors.join('; ')}`);
    node.metrics.configReloads.inc({ result: 'refused' });
    return false;
  }
  for (const w of r.warnings) log.warn(`config: ${w}`);
  const next = r.config;
  const restartOnly = restartOnlyChanges(node.config, next);
  if (restartOnly.length > 0) log.warn({ keys: restartOnly }, `changed keys take effect only after a restart: ${restartOnly.join(', ')}`);
  // Keep the running values of restart-only keys so what we report matches what runs.
  const applied: MailConfig = {
    ...next,
    node: node.config.node, storage: node.config.storage, directory: node.config.directory,
    imap: { ...next.imap, host: node.config.imap.host, port: node.config.imap.port, tlsPort: node.config.imap.tlsPort },
    http: node.config.http, log: { ...next.log, pretty: node.config.log.pretty },
    managesieve: { ...next.managesieve, host: node.config.managesieve.host, port: node.config.managesieve.port },
    quotaStatus: { ...next.quotaStatus, host: node.config.quotaStatus.host, port: node.config.quotaStatus.port },
    lmtp: { ...next.lmtp, host: node.config.lmtp.host, port: node.config.lmtp.port, socket: node.config.lmtp.socket },
    quota: { ...next.quota, redisUrl: node.config.quota.redisUrl, redisPrefix: node.config.quota.redisPrefix },
  };
  let tls = node.tls;
  try {
    tls = await loadTls({ ...applied.tls, hostnames: tlsHostnames(applied) });
    if (tls.fingerprint256 !== node.tls.fingerprint256) log.info({ subject: tls.subject, validTo: tls.validTo }, 'TLS certificate reloaded');
  } catch (e) {
    log.error({ err: e }, 'TLS certificate refused, keeping the running one');
  }
  await node.directory.reload();
  node.imap.updateConfig(imapServerConfig(applied), secureContext(tls));
  node.pop3?.updateConfig(pop3ServerConfig(applied), secureContext(tls));
  node.managesieve?.updateConfig(manageSieveConfig(applied), secureContext(tls));
  node.quotaStatus?.updateAnswers(quotaStatusAnswers(applied));
  node.lmtp?.updateConfig(applied);
  log.level = applied.log.level;
  node.config = applied;
  node.tls = tls;
  node.metrics.configReloads.inc({ result: 'applied' });
  node.metrics.configLoaded.setToCurrentTime();
  log.info('reload done');
  return true;
}

/** Names the generated self-signed certificate covers. */
export function tlsHostnames(c: MailConfig): string[] {
  return [...new Set(['localhost', c.node.hostname, '127.0.0.1', '::1'])];
}
