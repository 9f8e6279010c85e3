/** Maps the node configuration to what the IMAP server and the delivery path are given. */
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { ImapServerConfig } from '../../libs/imap-server/src/deps.js';
import type { UserRecord } from '../../libs/directory/src/types.js';
import { mailHome } from '../../libs/delivery/src/home.js';

export function imapServerConfig(c: MailConfig): ImapServerConfig {
  const mailRoot = c.storage.mailRoot;
  return {
    hostname: c.node.hostname,
    allowPlaintextAuth: c.imap.allowPlaintextAuth,
    mailHome: (user: UserRecord) => mailHome(mailRoot, user.user),
    autoMailboxes: { ...c.mailboxes.auto },
    specialUse: Object.fromEntries(Object.entries(c.mailboxes.special).map(([k, v]) => [k, [...v]])),
    maxMessageSize: c.imap.maxMessageSize,
    idleTimeoutMs: c.imap.idleTimeoutMs,
    hibernateTimeoutMs: c.imap.hibernateTimeoutMs,
    maxUserIpConnections: c.imap.maxUserIpConnections,
    processLimit: c.imap.processLimit,
  };
}

/** Keys whose change only takes effect after a restart (listeners and where data lives). */
export function restartOnlyChanges(a: MailConfig, b: MailConfig): string[] {
  const pairs: Array<[string, unknown, unknown]> = [
    ['node.dataDir', a.node.dataDir, b.node.dataDir],
    ['node.hostname', a.node.hostname, b.node.hostname],
    ['node.workers', a.node.workers, b.node.workers],
    ['storage.mailRoot', a.storage.mailRoot, b.storage.mailRoot],
    ['storage.fsync', a.storage.fsync, b.storage.fsync],
    ['directory.type', a.directory.type, b.directory.type],
    ['directory.path', a.directory.path, b.directory.path],
    ['imap.host', a.imap.host, b.imap.host],
    ['imap.port', a.imap.port, b.imap.port],
    ['imap.tlsPort', a.imap.tlsPort, b.imap.tlsPort],
    ['http.host', a.http.host, b.http.host],
    ['http.port', a.http.port, b.http.port],
    ['log.pretty', a.log.pretty, b.log.pretty],
    ['managesieve.host', a.managesieve.host, b.managesieve.host],
    ['managesieve.port', a.managesieve.port, b.managesieve.port],
    ['quotaStatus.host', a.quotaStatus.host, b.quotaStatus.host],
    ['quotaStatus.port', a.quotaStatus.port, b.quotaStatus.port],
    ['quota.redisUrl', a.quota.redisUrl, b.quota.redisUrl],
    ['quota.redisPrefix', a.quota.redisPrefix, b.quota.redisPrefix],
    ['lmtp.host', a.lmtp.host, b.lmtp.host],
    ['lmtp.port', a.lmtp.port, b.lmtp.port],
    ['lmtp.socket', a.lmtp.socket, b.lmtp.socket],
  ];
  return pairs.filter(([, x, y]) => x !== y).map(([k]) => k);
}
