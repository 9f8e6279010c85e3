/**
 * Wiring of ManageSieve, quota warnings and the quota-status policy service. A listener that
 * cannot bind (port taken) is logged as an error and left out; the node still serves IMAP and LMTP.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import type { SaslAuthenticator } from '../../libs/sasl/src/index.js';
import type { MailStore } from '../../libs/mailstore/src/types.js';
import { mailHome } from '../../libs/delivery/src/home.js';
import { ManageSieveServer, type ManageSieveConfig } from '../../libs/managesieve-server/src/index.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { parseScript, supportedExtensions } from '../../libs/sieve/src/index.js';
import { QuotaStatusServer } from '../../libs/quota-status/src/index.js';
import {
  BullmqWarningQueue, InProcessWarningQueue, QuotaWarner, storeWithQuotaWarnings, warningJob, type WarningQueue,
} from '../../libs/quota/src/index.js';
import type { QuotaStatusAnswers } from '../../libs/quota/src/status.js';
import { LIMITS } from '../../libs/core/src/limits.js';

export interface Listener { name: 'managesieve' | 'quota-status'; host: string; port: number }

export function manageSieveConfig(c: MailConfig): ManageSieveConfig {
  return {
    implementation: 'UCS mail node ManageSieve',
    allowPlaintextAuth: c.managesieve.allowPlaintextAuth,
    mailHome: (u: UserRecord) => mailHome(c.storage.mailRoot, u.user),
    maxScripts: c.managesieve.maxScripts, maxStorage: c.managesieve.maxStorage, maxScriptSize: c.managesieve.maxScriptSize,
    maxRedirects: LIMITS.sieveMaxRedirects, idleTimeoutMs: c.managesieve.idleTimeout, fsync: c.storage.fsync,
  };
}

async function tryListen(name: Listener['name'], host: string, port: number, logger: Logger, listen: () => Promise<number>): Promise<Listener | null> {
  try {
    return { name, host, port: await listen() };
  } catch (err) {
    logger.error({ err, host, port }, `${name}: cannot listen on ${host}:${port}; ${name} is not available`);
    return null;
  }
}

export async function startManageSieve(c: MailConfig, directory: Directory, tls: SecureContext | null, logger: Logger, sasl?: SaslAuthenticator<UserRecord>, registry?: SessionRegistry):
  Promise<{ server: ManageSieveServer; listener: Listener | null }> {
  const cfg = manageSieveConfig(c);
  const server = new ManageSieveServer({
    directory, logger: logger.child({ service: 'managesieve' }), tls, config: cfg, ...(sasl ? { sasl } : {}), ...(registry ? { registry } : {}),
    parseScript: (t) => parseScript(t, { maxSize: cfg.maxScriptSize }), extensions: supportedExtensions,
  });
  const port = c.managesieve.port;
  const listener = port === null ? null : await tryListen('managesieve', c.managesieve.host, port, logger, () => server.listen({ host: c.managesieve.host, port }));
  return { server, listener };
}

export function quotaStatusAnswers(c: MailConfig): QuotaStatusAnswers {
  return { success: c.quotaStatus.success, nouser: c.quotaStatus.nouser, overquota: c.quotaStatus.overquota, fail: c.quotaStatus.fail };
}

export async function startQuotaStatus(c: MailConfig, directory: Directory, logger: Logger):
  Promise<{ server: QuotaStatusServer; listener: Listener | null }> {
  const server = new QuotaStatusServer({
    directory, logger: logger.child({ service: 'quota-status' }), recipientDelimiter: '+',
    mailHome: (u: UserRecord) => mailHome(c.storage.mailRoot, u.user),
    answers: quotaStatusAnswers(c),
  });
  const port = c.quotaStatus.port;
  const listener = port === null ? null : await tryListen('quota-status', c.quotaStatus.host, port, logger, () => server.listen({ host: c.quotaStatus.host, port }));
  return { server, listener };
}

/** redis://[:password@]host[:port][/db] → bullmq connection options. */
function redisConnection(url: string): { host: string; port: number; db: number; password?: string; username?: string; tls?: object; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) || 0 : 0,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}), ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}), maxRetriesPerRequest: null,
  };
}

/**
 * Quota warnings: returns the store to hand to IMAP and LMTP (it checks usage after each append)
 * and the queue to close on shutdown. The job delivers through the plain store.
 */
export function startQuotaWarnings(c: MailConfig, store: MailStore, directory: Directory, logger: Logger): { store: MailStore; close(): Promise<void> } {
  const log = logger.child({ service: 'quota-warning' });
  const deps = {
    store, directory, logger: log, fsync: c.storage.fsync,
    mailHome: (u: UserRecord) => mailHome(c.storage.mailRoot, u.user),
    texts: { subject: c.quota.warningSubject, texts: Object.fromEntries(Object.entries(c.quota.warningText).map(([k, v]) => [Number(k), v])), from: c.quota.warningFrom },
  };
  const job = warningJob(deps);
  const queue: WarningQueue = c.quota.redisUrl
    ? new BullmqWarningQueue(job, log, { connection: redisConnection(c.quota.redisUrl), prefix: c.quota.redisPrefix, worker: true })
    : new InProcessWarningQueue(job, log);
  const warner = new QuotaWarner(deps, queue);
  return { store: storeWithQuotaWarnings(store, warner), close: async () => { await warner.idle(); await queue.close(); } };
}
