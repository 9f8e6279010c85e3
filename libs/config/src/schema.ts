/**
 * The configuration schema of a mail node: every key, its type, its default and why.
 * docs/configuration.md describes the same keys for operators; keep the two in step.
 */
import { hostname as osHostname } from 'node:os';
import type { SpecialUse } from '../../mailstore/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import { parseNetwork } from '../../sasl/src/networks.js';
import { validUidlFormat } from '../../pop3-codec/src/uidl.js';
import {
  boolean, duration, integer, nullable, oneOf, port, size, string, type Parser,
} from './parsers.js';

export type AutoMailbox = 'create' | 'subscribe' | 'no';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface MailConfig {
  /** workers: processes serving IMAP and POP3 ('auto' = one per CPU core; 1 = the primary serves them itself). */
  node: { hostname: string; dataDir: string; workers: number | 'auto' };
  storage: { mailRoot: string; fsync: boolean };
  directory: {
    type: 'file' | 'ldap'; path: string;
    /** LDAP (type ldap): UCS schema defaults; filters/attributes override libs/directory/src/ldap/config.ts UCS_FILTERS/UCS_ATTRIBUTES. */
    ldapUris: string[]; ldapBase: string | null; ldapScope: 'sub' | 'one' | 'base'; ldapBindDn: string | null; ldapBindPassword: string | null;
    ldapStartTls: boolean; ldapCaFile: string | null; ldapPasswordCheck: 'bind' | 'compare'; ldapAliasLogin: boolean;
    ldapPoolSize: number; ldapTimeout: number; ldapFilters: Record<string, string>; ldapAttributes: Record<string, string>;
  };
  /** The auth cache (local LRU + Redis) and the failed-login penalty (libs/auth). */
  auth: {
    redisUrl: string | null; redisPrefix: string; cacheSecret: string | null; cacheSize: number;
    cacheTtl: number; cacheNegativeTtl: number; penaltyInit: number; penaltyMax: number; penaltyExempt: string[];
  };
  imap: {
    host: string;
    port: number | null;
    tlsPort: number | null;
    allowPlaintextAuth: boolean;
    maxMessageSize: number;
    idleTimeoutMs: number;
    /** IDLE hibernation (Dovecot imap_hibernate_timeout); 0 = off. */
    hibernateTimeoutMs: number;
    maxUserIpConnections: number;
    /** Connections at a time (Dovecot service imap process_limit, one client per process; UCS 400). */
    processLimit: number;
  };
  tls: { cert: string | null; key: string | null; generatedDir: string };
  mailboxes: { auto: Record<string, AutoMailbox>; special: Record<string, SpecialUse[]> };
  log: { level: LogLevel; pretty: boolean };
  http: { host: string; port: number | null };
  /** LMTP (RFC 2033) for Postfix; socket null = none. */
  lmtp: { host: string; port: number | null; socket: string | null; maxMessageSize: number; maxRecipients: number };
  /** Outgoing mail (forwards, Sieve redirect/vacation/reject) goes to this SMTP relay. */
  submission: { relay: string };
  /** before: null = the built-in UCS spam filter, '' = none, else a script path or the script text. */
  sieve: { before: string | null; globalDir: string | null };
  /** ManageSieve (RFC 5804); port null = no listener. */
  managesieve: {
    host: string; port: number | null; allowPlaintextAuth: boolean;
    maxScripts: number; maxStorage: number; maxScriptSize: number; idleTimeout: number;
  };
  /** Quota warnings (UCS mail/dovecot/quota/warning/*); redisUrl null = warning jobs run in process. */
  quota: { warningSubject: string; warningText: Record<string, string>; warningFrom: string | null; redisUrl: string | null; redisPrefix: string };
  /** The Postfix policy service (UCS mail/dovecot/quota-status/ip and /port); port null = no listener. */
  quotaStatus: { host: string; port: number | null; success: string; nouser: string; overquota: string; fail: string };
  /**
   * SASL policy shared by every protocol (plaintext from trusted networks, master users for the proxies)
   * and the Dovecot-compatible auth service for Postfix (smtpd_sasl_type = dovecot); socket null = none.
   */
  sasl: {
    host: string; port: number | null; socket: string | null; socketMode: number; allowPlaintextAuth: boolean;
    trustedNetworks: string[]; masterSeparator: string; masterUsers: Record<string, string>; masterNetworks: string[];
  };
  /** POP3 (RFC 1939) with STLS and on an implicit-TLS port; ports null = no listener. */
  pop3: {
    host: string; port: number | null; tlsPort: number | null; allowPlaintextAuth: boolean; uidlFormat: string;
    workarounds: Array<'outlook-no-nuls' | 'oe-ns-eoh'>; lockSessions: boolean; idleTimeout: number; maxUserIpConnections: number;
    /** Connections at a time (Dovecot service pop3 process_limit; UCS 400). */
    processLimit: number;
  };
  /** The Redis every cluster feature shares (auth cache, session registry, jobs) unless its own redisUrl is set; null = none (embedded). */
  redis: { url: string | null; prefix: string };
  /** The admin API that mailctl talks to (doveadm verbs over HTTP+JSON). */
  admin: { host: string; port: number | null; apiKey: string | null; apiKeyFile: string };
  /**
   * The login proxy service (services/proxy, issue 6): home server FQDN -> backend host:port per protocol,
   * its own listeners, the master login to the backends, backend health and the session registry.
   */
  proxy: {
    host: string; imapPort: number | null; imapTlsPort: number | null; pop3Port: number | null; pop3TlsPort: number | null; sievePort: number | null;
    backends: Record<string, string>; pop3Backends: Record<string, string>; sieveBackends: Record<string, string>;
    masterUser: string | null; masterPassword: string | null; connectTimeout: number; breakerFailures: number; breakerCoolDown: number;
    /** Local addresses for the connections to the backends, in turn (Dovecot login_source_ips); [] = the kernel picks. */
    sourceAddresses: string[];
    /** LMTP proxy (libs/lmtp-proxy): home server FQDN -> backend LMTP host:port (or /path of a UNIX socket), its listeners. */
    lmtpBackends: Record<string, string>; lmtpPort: number | null; lmtpSocket: string | false | null;
    /** Login processes (libs/login-process, docs/login-modes.md): Dovecot service_count=1 (high-security) or 0 (high-performance). */
    loginMode: 'high-security' | 'high-performance'; processMinAvail: number;
    imapProcessLimit: number; imapClientLimit: number; pop3ProcessLimit: number; pop3ClientLimit: number;
    sieveProcessLimit: number; sieveClientLimit: number;
    /** quota-status on the proxy (services/proxy/quota-status.ts): home server FQDN -> that backend's quota-status host:port. */
    quotaStatusBackends: Record<string, string>;
  };
}

/** Facts about the process that pick some defaults (injected so tests can pin them). */
export interface Environment {
  isRoot: boolean;
  hostname: string;
}

export function currentEnvironment(): Environment {
  return { isRoot: typeof process.getuid === 'function' && process.getuid() === 0, hostname: osHostname() };
}

export interface LeafSpec {
  kind: 'leaf';
  parse: Parser<unknown>;
  /** The default; a function when it depends on the environment. */
  def: unknown | ((env: Environment) => unknown);
  /** Why this default: shown in docs/configuration.md and the example config. */
  reason: string;
}

export interface MapSpec {
  kind: 'map';
  /** Checks one map key (e.g. a mailbox name). */
  key: Parser<string>;
  value: Parser<unknown>;
  def: Record<string, unknown>;
  reason: string;
}

export type SectionSpec = Record<string, LeafSpec | MapSpec>;

const leaf = (parse: Parser<unknown>, def: LeafSpec['def'], reason: string): LeafSpec => ({ kind: 'leaf', parse, def, reason });

const SPECIAL_USES: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

const specialUseList: Parser<SpecialUse[]> = (raw) => {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  const expected = `list of ${SPECIAL_USES.join(' ')}`;
  if (!Array.isArray(items)) return { ok: false, expected };
  for (const it of items) if (!(SPECIAL_USES as readonly string[]).includes(it)) return { ok: false, expected };
  return { ok: true, value: [...new Set(items as SpecialUse[])] };
};

/** Mailbox names in these maps: non-empty, no control characters, "/" as separator, bounded length. */
const mailboxName = string({
  nonEmpty: true,
  pattern: /^(?![/])(?!.*\/\/)[^\u0000-\u001f\u007f*%]+(?<![/])$/u,
  what: 'mailbox name (no control characters, * or %, no leading/trailing "/")',
});

/** Dovecot pop3_uidl_format: %u (UID) must be in it, so UIDLs are unique. */
const pop3UidlFormat: Parser<string> = (raw) => (typeof raw === 'string' && validUidlFormat(raw)
  ? { ok: true, value: raw } : { ok: false, expected: 'pop3 UIDL format with %u (and %v, %%, width and X modifiers), e.g. %08Xu%08Xv' });

/** Dovecot pop3_client_workarounds: a list (or space/comma separated string) of outlook-no-nuls, oe-ns-eoh. */
const pop3Workarounds: Parser<Array<'outlook-no-nuls' | 'oe-ns-eoh'>> = (raw) => {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  const known = ['outlook-no-nuls', 'oe-ns-eoh'];
  if (!Array.isArray(items) || !items.every((i) => known.includes(i as string))) return { ok: false, expected: `list of ${known.join(', ')}` };
  return { ok: true, value: [...new Set(items as Array<'outlook-no-nuls' | 'oe-ns-eoh'>)] };
};

/** A list given as a YAML list or a space/comma-separated string. */
function list(item: RegExp, what: string): Parser<string[]> {
  return (raw) => {
    const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
    if (!Array.isArray(items) || !items.every((i) => typeof i === 'string' && item.test(i))) return { ok: false, expected: `list of ${what}` };
    return { ok: true, value: [...new Set(items as string[])] };
  };
}
const uriList = list(/^ldaps?:\/\/[A-Za-z0-9.:_\[\]-]+(:\d+)?\/?$/, 'ldap:// or ldaps:// URIs');
const ipList = list(/^[0-9A-Fa-f.:]+$/, 'IP addresses');

const hostOrAddress = string({ nonEmpty: true, pattern: /^[A-Za-z0-9.:_-]+$/, what: 'host name or IP address' });

/** A UNIX socket path; null = the default path, false = no socket. */
const socketPath: Parser<string | false | null> = (raw) =>
  raw === null || raw === false ? { ok: true, value: raw } : string({ nonEmpty: true, what: 'socket path, null (default) or false (none)' })(raw);

/** CIDR networks ("127.0.0.0/8", "fd00::/8", a single address), as a YAML list or a space/comma-separated string. */
const networkList: Parser<string[]> = (raw) => {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  const expected = 'list of IP networks (CIDR, e.g. 127.0.0.0/8, 10.1.0.0/16, ::1)';
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string' && parseNetwork(i) !== null)) return { ok: false, expected };
  return { ok: true, value: [...new Set(items as string[])] };
};

/** Single IP addresses (no networks), as a YAML list or a space/comma-separated string. */
const addressList: Parser<string[]> = (raw) => {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  const expected = 'list of IP addresses (e.g. 10.0.0.11, 10.0.0.12)';
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string' && !i.includes('/') && parseNetwork(i) !== null)) return { ok: false, expected };
  return { ok: true, value: [...new Set(items as string[])] };
};

/** A file mode: an integer (YAML 0o666) or an octal string ("0666"). */
const fileMode: Parser<number> = (raw) => {
  const n = typeof raw === 'string' && /^0?[0-7]{3}$/.test(raw) ? parseInt(raw, 8) : raw;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0o777 ? { ok: true, value: n } : { ok: false, expected: 'file mode such as "0666"' };
};

/** "host:port" or "[v6]:port" (split with splitHostPort). */
const hostPort = string({ nonEmpty: true, pattern: /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d\d|655[0-2]\d|6553[0-5])$/, what: 'host:port (e.g. 127.0.0.1:25)' });

/** node.workers: "auto" or a process count. */
const workerCount: Parser<number | 'auto'> = (raw) => {
  if (raw === 'auto') return { ok: true, value: 'auto' };
  const r = integer(1, 256)(raw);
  return r.ok ? r : { ok: false, expected: 'auto, or integer 1..256' };
};

export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

export const SCHEMA: Record<keyof MailConfig, SectionSpec> = {
  node: {
    hostname: leaf(hostOrAddress, (e: Environment) => e.hostname,
      'The machine host name (os.hostname()); used in the IMAP greeting, Maildir file names and logs.'),
    dataDir: leaf(string({ nonEmpty: true }), './data',
      'Relative to the working directory so a first start needs no root and no setup; holds users, mail and the generated TLS cert.'),
    workers: leaf(workerCount, 1,
      'Processes serving IMAP and POP3 (Dovecot runs one per connection and so uses every core; one Node process uses one). auto = one per CPU core. '
      + 'Default 1 = the node is one process as before: each worker costs a Node process (~50 MB) and has its own auth and mailbox caches; '
      + 'set auto on a node whose IMAP load needs more than one core (docs/performance.md). Restart to change.'),
  },
  storage: {
    mailRoot: leaf(nullable(string({ nonEmpty: true })), null,
      'null = <dataDir>/mail. Mail homes are <mailRoot>/<domain>/<localpart>, as UCS lays them out under /var/spool/dovecot/private.'),
    fsync: leaf(boolean, true,
      'A delivered or appended message must survive a power cut before we say OK (Dovecot mail_fsync=optimized spirit). Turn off only for tests.'),
  },
  directory: {
    type: leaf(oneOf(['file', 'ldap'] as const), 'file', 'The embedded default keeps users in a file; ldap = a UCS (or any LDAP) directory with the UCS mail schema.'),
    path: leaf(nullable(string({ nonEmpty: true })), null,
      'null = <dataDir>/users.yaml, created with a sample user on first start.'),
    ldapUris: leaf(uriList, [], 'LDAP servers tried in order (failover): ldap://host:port or ldaps://host:port; required with type ldap. UCS: the DC master and backups, port 7389/7636.'),
    ldapBase: leaf(nullable(string({ nonEmpty: true })), null, 'Search base (UCS ldap/base, e.g. dc=example,dc=org); required with type ldap.'),
    ldapScope: leaf(oneOf(['sub', 'one', 'base'] as const), 'sub', 'Users, groups and folders live in several containers below the base in UCS.'),
    ldapBindDn: leaf(nullable(string({ nonEmpty: true })), null, 'Service account for searches (UCS: the machine account); null = anonymous.'),
    ldapBindPassword: leaf(nullable(string()), null, 'Password of ldapBindDn (UCS: /etc/machine.secret); better set through MAIL_DIRECTORY__LDAPBINDPASSWORD.'),
    ldapStartTls: leaf(boolean, false, 'StartTLS on ldap:// URIs (RFC 4513 §3); ldaps:// URIs are TLS anyway.'),
    ldapCaFile: leaf(nullable(string({ nonEmpty: true })), null, 'PEM CA for the LDAP server certificate (UCS: /etc/univention/ssl/ucsCA/CAcert.pem); null = system CAs.'),
    ldapPasswordCheck: leaf(oneOf(['bind', 'compare'] as const), 'bind',
      'bind = bind as the user (UCS auth_bind = yes: the directory decides, hashes stay there); compare = read userPassword with the service account and check it here.'),
    ldapAliasLogin: leaf(boolean, false, 'Also accept mailAlternativeAddress as login name (UCS logs in with mailPrimaryAddress only).'),
    ldapPoolSize: leaf(integer(1, 256), LIMITS.ldapPoolSize, 'Connections per pool (searches, user binds): bounds the load one node puts on LDAP.'),
    ldapTimeout: leaf(duration(100, 60_000), LIMITS.ldapTimeoutMs, 'One LDAP operation; past it the login gets a temporary failure (NO [UNAVAILABLE]) instead of hanging.'),
    ldapFilters: {
      kind: 'map', key: oneOf(['login', 'aliasLogin', 'user', 'group', 'mailingList', 'sharedFolder', 'sharedFolders', 'domains'] as const),
      value: string({ nonEmpty: true, pattern: /^\(.*\)$/s, what: 'an LDAP filter in parentheses (%u/%s value, %n local part, %d domain)' }), def: {},
      reason: 'Overrides of the UCS filters (libs/directory/src/ldap/config.ts); client values are RFC 4515-escaped into them.',
    },
    ldapAttributes: {
      kind: 'map', key: oneOf(['primaryAddress', 'alternativeAddress', 'homeServer', 'quota', 'forwardAddress', 'forwardCopyToSelf', 'password',
        'groupMemberDn', 'groupMemberUid', 'uid', 'listMember', 'sharedFolderName', 'sharedFolderAcl', 'domainName'] as const),
      value: string({ nonEmpty: true, pattern: /^[A-Za-z][A-Za-z0-9-]*$/, what: 'an attribute name' }), def: {},
      reason: 'Overrides of the UCS attribute names (mailPrimaryAddress, univentionMailHomeServer, ...).',
    },
  },
  auth: {
    redisUrl: leaf(nullable(string({ nonEmpty: true, pattern: /^rediss?:\/\//, what: 'redis://host:port[/db] URL' })), null,
      'Shared auth cache and cluster-wide login penalty; null = in-process only (single node).'),
    redisPrefix: leaf(string({ nonEmpty: true }), 'mail:', 'Key prefix in Redis, so clusters and tests can share one Redis.'),
    cacheSecret: leaf(nullable(string({ nonEmpty: true })), null,
      'HMAC key of cache entries (never the password); the same on every node for the shared level. null = random per process (no sharing).'),
    cacheSize: leaf(integer(0, 10_000_000), LIMITS.authCacheMaxEntries, 'In-process entries (UCS mail/dovecot/auth/cache_size); 0 = no local level.'),
    cacheTtl: leaf(duration(0, 7 * 86_400_000), LIMITS.authCacheTtlMs, 'Positive entries (UCS mail/dovecot/auth/cache_ttl 3600 s): a changed password takes effect after this or a flush.'),
    cacheNegativeTtl: leaf(duration(0, 7 * 86_400_000), LIMITS.authCacheNegativeTtlMs, 'Wrong password / unknown user entries (Dovecot auth_cache_negative_ttl); short, so a newly set password works soon.'),
    penaltyInit: leaf(duration(0, 60_000), LIMITS.authPenaltyInitMs, 'Dovecot auth penalty: delay after the first failure from an IP, doubling per failure; 0 = off.'),
    penaltyMax: leaf(duration(0, 60_000), LIMITS.authPenaltyMaxMs, 'Dovecot caps the penalty at 15 s.'),
    penaltyExempt: leaf(ipList, [], 'Client IPs never delayed (trusted proxies, webmail), like Dovecot login_trusted_networks.'),
  },
  imap: {
    host: leaf(hostOrAddress, '0.0.0.0', 'Listen on every IPv4 interface like Dovecot\'s listen = *; set 127.0.0.1 or :: as needed.'),
    port: leaf(port, (e: Environment) => (e.isRoot ? 143 : 1143),
      'IMAP with STARTTLS (RFC 9051). 143 needs root; as a normal user we take 1143 so a first start works.'),
    tlsPort: leaf(port, (e: Environment) => (e.isRoot ? 993 : 1993),
      'Implicit TLS (RFC 8314 recommends it). 993 needs root; as a normal user 1993.'),
    allowPlaintextAuth: leaf(boolean, false,
      'RFC 8314 / Dovecot disable_plaintext_auth = yes: never accept a password over an unencrypted connection (except loopback is NOT special-cased).'),
    maxMessageSize: leaf(size(1024, 2 * 1024 ** 3), LIMITS.imapMaxLiteralSize,
      'APPENDLIMIT (RFC 7889). Bounded (64 MiB) so one client cannot fill the disk with one literal; above typical MTA limits (UCS postfix: 10 MiB).'),
    idleTimeout: leaf(duration(10_000, 24 * 3_600_000), LIMITS.imapIdleTimeoutMs,
      'RFC 3501 §5.4: an autologout timer must be at least 30 minutes.'),
    hibernateTimeout: leaf(duration(0, 3_600_000), LIMITS.imapHibernateTimeoutMs,
      'Dovecot imap_hibernate_timeout: an IDLE session quiet this long is reduced to a compact record (socket, tag, shared snapshot) and rebuilt on input or a mailbox change; 0 = off.'),
    maxUserIpConnections: leaf(integer(1, 100_000), 10,
      'Dovecot/UCS mail_max_userip_connections = 10: enough for clients that open one connection per folder, stops runaway clients.'),
    processLimit: leaf(integer(1, 1_000_000), LIMITS.loginProcessLimit, 'IMAP connections at a time (Dovecot service imap process_limit, UCS 400); past it * BYE [UNAVAILABLE] and the process_limit warning.'),
  },
  tls: {
    cert: leaf(nullable(string({ nonEmpty: true })), null,
      'PEM certificate chain. null = a self-signed EC certificate (SAN localhost, 127.0.0.1) generated into <dataDir>/tls on first start.'),
    key: leaf(nullable(string({ nonEmpty: true })), null, 'PEM private key matching tls.cert; null with tls.cert null.'),
  },
  mailboxes: {
    auto: {
      kind: 'map', key: mailboxName, value: oneOf(['create', 'subscribe', 'no'] as const),
      def: { Drafts: 'subscribe', Sent: 'subscribe', Trash: 'subscribe', Junk: 'subscribe', Spam: 'no' },
      reason: 'UCS auto-creates and subscribes the special folders clients expect (mail/dovecot/mailboxes/auto/*). '
        + 'Junk is the one spam folder we create; Spam (a UCS spelling) is only marked special if a user has it, so clients do not show two spam folders.',
    },
    special: {
      kind: 'map', key: mailboxName, value: specialUseList,
      def: { Drafts: ['\\Drafts'], Junk: ['\\Junk'], Spam: ['\\Junk'], Sent: ['\\Sent'], Trash: ['\\Trash'] },
      reason: 'RFC 6154 SPECIAL-USE markers, as UCS sets them (mail/dovecot/mailboxes/special/*), so clients find the folders without asking the user.',
    },
  },
  log: {
    level: leaf(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'info',
      'info logs start, stop, logins and errors; debug adds per-command detail.'),
    pretty: leaf(boolean, false, 'JSON lines (pino) for log collectors by default; pretty = one readable line per event for a terminal.'),
  },
  http: {
    host: leaf(hostOrAddress, '127.0.0.1', 'Metrics and health checks are for the operator, not the internet: loopback unless set.'),
    port: leaf(port, 9090, 'The usual Prometheus exporter port; null/false disables the HTTP listener.'),
  },
  lmtp: {
    host: leaf(hostOrAddress, '127.0.0.1', 'LMTP has no authentication: loopback only unless Postfix runs on another host of a trusted network.'),
    port: leaf(port, null, 'TCP listener (e.g. 24) for a Postfix on another host; null = none. Postfix on the same host uses the socket, as on UCS.'),
    socket: leaf(socketPath, null,
      'null = <dataDir>/lmtp.sock (Postfix: virtual_transport = lmtp:unix:<path>), as UCS\'s private/dovecot-lmtp; false = no socket.'),
    maxMessageSize: leaf(size(1024, 2 * 1024 ** 3), LIMITS.lmtpMaxMessageSize,
      'SIZE (RFC 1870): above UCS Postfix\'s message_size_limit (10 MB), so Postfix, not we, decides the real limit.'),
    maxRecipients: leaf(integer(1, 100_000), LIMITS.lmtpMaxRecipients,
      'RCPTs per transaction before 452 4.5.3; Postfix sends at most lmtp_destination_recipient_limit (50).'),
  },
  submission: {
    relay: leaf(hostPort, '127.0.0.1:25', 'The local Postfix: forwards, redirects, vacation replies and reject notices leave through it (UCS: Postfix on every mail host).'),
  },
  sieve: {
    before: leaf(nullable(string()), null,
      'Global script run before the user\'s (Pigeonhole sieve_before). null = the UCS spam filter (X-Spam-Flag: YES -> Spam); "" = none; '
      + 'a value starting with "/" or "./" is a script file, anything else the script text.'),
    globalDir: leaf(nullable(string({ nonEmpty: true })), null,
      'Directory of global scripts for `include :global "name"` (RFC 6609; Pigeonhole sieve_global): <globalDir>/<name>.sieve; null = none.'),
  },
  managesieve: {
    host: leaf(hostOrAddress, '0.0.0.0', 'Clients (Thunderbird, Roundcube, sieve-connect) connect from anywhere, as on UCS; passwords only after STARTTLS.'),
    port: leaf(port, (e: Environment) => (e.isRoot ? 4190 : 14190),
      'RFC 5804 §1.8 port 4190. A normal user takes 14190 so a first start works; null/false = no ManageSieve.'),
    allowPlaintextAuth: leaf(boolean, false, 'UCS disables unencrypted logins on every port: AUTHENTICATE PLAIN/LOGIN only after STARTTLS.'),
    maxScripts: leaf(integer(1, 10_000), LIMITS.manageSieveMaxScripts, 'Scripts per user (Pigeonhole sieve_quota_max_scripts): bounds disk and listing size.'),
    maxStorage: leaf(size(1024, 1024 ** 3), LIMITS.manageSieveMaxStorage, 'All of a user\'s scripts together (Pigeonhole sieve_quota_max_storage).'),
    maxScriptSize: leaf(size(1024, 64 * 1024 ** 2), LIMITS.sieveMaxScriptSize, 'One script (Pigeonhole sieve_max_script_size 1M): larger ones are refused with QUOTA/MAXSIZE.'),
    idleTimeout: leaf(duration(10_000, 24 * 3_600_000), LIMITS.manageSieveIdleTimeoutMs, 'Dovecot\'s managesieve drops idle clients after 30 minutes.'),
  },
  quota: {
    warningSubject: leaf(string({ nonEmpty: true }), 'Quota-Warning', 'UCS mail/dovecot/quota/warning/subject.'),
    warningText: {
      kind: 'map', key: string({ pattern: /^(100|[1-9][0-9]?)$/, what: 'a percentage 1..100' }), value: string({ nonEmpty: true }),
      def: {
        80: 'Your mailbox has filled up to over $PERCENT%.',
        95: 'Attention: Your mailbox has already filled up to over $PERCENT%.',
      },
      reason: 'UCS mail/dovecot/quota/warning/text/<percent>: one warning per threshold, sent once when usage crosses it upward; $PERCENT is replaced by the threshold.',
    },
    warningFrom: leaf(nullable(string({ nonEmpty: true })), null, 'Sender of quota warnings; null = postmaster@<the user\'s domain>.'),
    redisUrl: leaf(nullable(string({ nonEmpty: true, pattern: /^rediss?:\/\//, what: 'redis://host:port[/db] URL' })), null,
      'null = warning jobs run in this process (embedded default); a Redis URL = a bullmq queue any node\'s worker delivers from, retried on failure.'),
    redisPrefix: leaf(string({ nonEmpty: true }), 'mail', 'Key prefix of the bullmq queue, so clusters and tests can share one Redis.'),
  },
  quotaStatus: {
    host: leaf(hostOrAddress, '127.0.0.1', 'UCS mail/dovecot/quota-status/ip: loopback for the local Postfix; 0.0.0.0 for a Postfix on another host.'),
    port: leaf(port, 12340, 'UCS mail/dovecot/quota-status/port; null/false = no policy service.'),
    success: leaf(string({ nonEmpty: true }), 'DUNNO', 'Dovecot quota_status_success as UCS and Dovecot\'s documentation set it: DUNNO lets later restrictions still decide (OK would skip them).'),
    nouser: leaf(string({ nonEmpty: true }), 'DUNNO',
      'Dovecot quota_status_nouser as UCS and Dovecot\'s documentation set it (the binary\'s built-in default is "REJECT Unknown user"): Postfix\'s own recipient checks decide.'),
    overquota: leaf(string({ nonEmpty: true }), '552 5.2.2 Mailbox is full', 'Dovecot quota_status_overquota as UCS sets it: refused at RCPT, so no bounce (backscatter) later.'),
    fail: leaf(string({ nonEmpty: true }), 'DUNNO',
      'Malformed or oversized requests and lookup failures: DUNNO fails open (mail goes on to LMTP, which enforces the quota anyway); "DEFER_IF_PERMIT ..." fails closed.'),
  },
  sasl: {
    host: leaf(hostOrAddress, '127.0.0.1', 'TCP listener of the auth service: loopback for the local Postfix (the client is trusted to report rip/secured).'),
    port: leaf(port, null, 'TCP port of the auth service (Postfix smtpd_sasl_path = inet:host:port; Dovecot docs use 12345); null/false = none.'),
    socket: leaf(socketPath, null,
      'null = <dataDir>/auth-client.sock (Postfix smtpd_sasl_path = <path>, as UCS\'s private/auth); false = no socket.'),
    socketMode: leaf(fileMode, 0o666,
      'Postfix\'s smtpd runs as user postfix; a local user who can reach the socket can try passwords no faster than over IMAP. UCS uses 0660 with owner postfix.'),
    allowPlaintextAuth: leaf(boolean, false,
      'Auth service only: accept PLAIN/LOGIN from Postfix for clients that are neither on TLS (secured) nor in trustedNetworks (Dovecot disable_plaintext_auth = no).'),
    trustedNetworks: leaf(networkList, [],
      'Dovecot login_trusted_networks: clients here may use plaintext mechanisms without TLS (IMAP LOGIN, PLAIN, LOGIN; and SMTP AUTH through Postfix). Empty = TLS everywhere.'),
    masterSeparator: leaf(string({ pattern: /^[^\s@a-zA-Z0-9]?$/, what: 'one punctuation character or empty' }), '*',
      'Dovecot auth_master_user_separator: "user*master" logs in as user with the master password; empty = only the PLAIN authorization identity form.'),
    masterUsers: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]{1,64}$/, what: 'master user name' }),
      value: string({ nonEmpty: true, pattern: /^(\{[A-Za-z0-9.-]+\}|\$[56]\$).+$/s, what: '"{SCHEME}hash" (mailnode hash-password)' }), def: {},
      reason: 'Master users for the proxies (issue 6): name -> password hash. Empty = no master login.',
    },
    masterNetworks: leaf(networkList, [],
      'Where a master login may come from: the proxy nodes. Empty = master login refused everywhere, even with the right password.'),
  },
  pop3: {
    host: leaf(hostOrAddress, '0.0.0.0', 'Listen on every IPv4 interface like Dovecot\'s listen = *.'),
    port: leaf(port, (e: Environment) => (e.isRoot ? 110 : 1110),
      'POP3 with STLS (RFC 2595). 110 needs root; as a normal user 1110. null/false = no listener.'),
    tlsPort: leaf(port, (e: Environment) => (e.isRoot ? 995 : 1995),
      'POP3 over implicit TLS (RFC 8314). 995 needs root; as a normal user 1995. null/false = no listener.'),
    allowPlaintextAuth: leaf(boolean, false, 'As for IMAP: USER/PASS and AUTH only after STLS or on the TLS port (Dovecot disable_plaintext_auth = yes).'),
    uidlFormat: leaf(pop3UidlFormat, '%08Xu%08Xv',
      'Dovecot\'s default pop3_uidl_format: clients that move from Dovecot see the same UIDLs and download nothing again.'),
    workarounds: leaf(pop3Workarounds, ['outlook-no-nuls', 'oe-ns-eoh'],
      'Dovecot pop3_client_workarounds as UCS sets them for Microsoft Outlook / Outlook Express: NULs removed, a missing end-of-header line added.'),
    lockSessions: leaf(boolean, false, 'Dovecot pop3_lock_session (default no): true = a second session on a mailbox in TRANSACTION state gets -ERR [IN-USE].'),
    idleTimeout: leaf(duration(10_000, 24 * 3_600_000), LIMITS.pop3IdleTimeoutMs, 'RFC 1939 §3: the POP3 autologout timer must be at least 10 minutes.'),
    maxUserIpConnections: leaf(integer(1, 100_000), 10, 'Dovecot/UCS mail_max_userip_connections, counted for POP3 separately from IMAP.'),
    processLimit: leaf(integer(1, 1_000_000), LIMITS.loginProcessLimit, 'POP3 connections at a time (Dovecot service pop3 process_limit, UCS 400); past it -ERR [SYS/TEMP] and the process_limit warning.'),
  },
  redis: {
    url: leaf(nullable(string({ nonEmpty: true, pattern: /^rediss?:\/\//, what: 'redis://host:port[/db] URL' })), null,
      'One Redis for the cluster: the auth cache, session registry (who/kick, user+IP limits) and quota-warning jobs use it unless their own redisUrl is set. null = everything in this process (embedded default).'),
    prefix: leaf(string({ nonEmpty: true }), 'mail:', 'Key prefix, so clusters and tests can share one Redis; the session registry uses <prefix>reg:.'),
  },
  admin: {
    host: leaf(hostOrAddress, '127.0.0.1', 'The admin API can kick users and flush caches: loopback unless an operator opens it on purpose.'),
    port: leaf(port, 9091, 'HTTP port of the admin API (mailctl --url http://127.0.0.1:9091); null/false = none.'),
    apiKey: leaf(nullable(string({ nonEmpty: true })), null, 'The API key mailctl must send; null = the key in admin.apiKeyFile (generated at first start). Better set through MAIL_ADMIN__APIKEY.'),
    apiKeyFile: leaf(nullable(string({ nonEmpty: true })), null, 'null = <dataDir>/admin-api.key (mode 0600), created at first start; mailctl reads it from there.'),
  },
  proxy: {
    host: leaf(hostOrAddress, '0.0.0.0', 'Proxies face the clients: every IPv4 interface, like Dovecot\'s listen = *.'),
    imapPort: leaf(port, null, 'IMAP with STARTTLS on the proxy (143 in production); null = no IMAP proxy.'),
    imapTlsPort: leaf(port, null, 'IMAP over implicit TLS on the proxy (993 in production); null = none.'),
    pop3Port: leaf(port, null, 'POP3 with STLS on the proxy (110 in production); null = none.'),
    pop3TlsPort: leaf(port, null, 'POP3 over implicit TLS on the proxy (995 in production); null = none.'),
    sievePort: leaf(port, null, 'ManageSieve on the proxy (4190 in production); null = none.'),
    backends: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]+$/, what: 'home server name (univentionMailHomeServer FQDN)' }),
      value: hostPort, def: {},
      reason: 'IMAP backend of each home server: FQDN -> host:port. Users without a home server are placed by rendezvous hash over the healthy ones.',
    },
    pop3Backends: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]+$/, what: 'home server name' }), value: hostPort, def: {},
      reason: 'POP3 backend of each home server (same names as proxy.backends).',
    },
    sieveBackends: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]+$/, what: 'home server name' }), value: hostPort, def: {},
      reason: 'ManageSieve backend of each home server (same names as proxy.backends).',
    },
    masterUser: leaf(nullable(string({ nonEmpty: true })), null, 'Master user the proxy logs in with (backends: sasl.masterUsers and sasl.masterNetworks).'),
    masterPassword: leaf(nullable(string()), null, 'Its password in clear (the backends keep the hash); better set through MAIL_PROXY__MASTERPASSWORD.'),
    connectTimeout: leaf(duration(100, 60_000), LIMITS.proxyConnectTimeoutMs, 'Connect + greeting + master login to a backend; past it the attempt counts as a failure for the breaker.'),
    breakerFailures: leaf(integer(1, 1000), LIMITS.proxyBreakerFailures, 'Consecutive connect failures or timeouts that open a backend\'s circuit breaker.'),
    breakerCoolDown: leaf(duration(100, 3_600_000), LIMITS.proxyBreakerCoolDownMs, 'How long an open breaker refuses before one probe connection is let through.'),
    sourceAddresses: leaf(addressList, [],
      'Dovecot login_source_ips: one source address reaches one backend from ~28,000 ephemeral ports; a proxy with more sessions spreads them over several local addresses, taken in turn. [] = the kernel picks.'),
    lmtpBackends: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]+$/, what: 'home server name' }),
      value: (raw) => (typeof raw === 'string' && raw.startsWith('/') ? { ok: true, value: raw } : hostPort(raw)), def: {},
      reason: 'LMTP backend of each home server (same names as proxy.backends): host:port, or the path of its LMTP UNIX socket.',
    },
    lmtpPort: leaf(port, null, 'LMTP proxy listener for Postfix (virtual_transport = lmtp:inet:<proxy>:<port>, 24 in production); null = none.'),
    lmtpSocket: leaf(socketPath, false, 'LMTP proxy UNIX socket (Postfix on the same host: lmtp:unix:<path>); false = none, null = <dataDir>/lmtp-proxy.sock.'),
    loginMode: leaf(oneOf(['high-security', 'high-performance'] as const), 'high-performance',
      'high-security = one login process per connection (Dovecot service_count=1); high-performance = a few processes with many clients each. A Node process costs ~50 MB, so 400 of them do not fit a 4 GB node: docs/login-modes.md.'),
    processMinAvail: leaf(integer(0, 1000), 0, 'Login processes kept ready per service (Dovecot process_min_avail); 0 = one per CPU core.'),
    imapProcessLimit: leaf(integer(1, 100_000), LIMITS.loginProcessLimit, 'imap-login process_limit: at most this many login processes (high-security: connections).'),
    imapClientLimit: leaf(integer(1, 100_000), LIMITS.loginClientLimit, 'imap-login client_limit: connections per login process in high-performance mode (high-security: 1).'),
    pop3ProcessLimit: leaf(integer(1, 100_000), LIMITS.loginProcessLimit, 'pop3-login process_limit.'),
    pop3ClientLimit: leaf(integer(1, 100_000), LIMITS.loginClientLimit, 'pop3-login client_limit (high-performance mode).'),
    sieveProcessLimit: leaf(integer(1, 100_000), LIMITS.loginProcessLimit, 'managesieve-login process_limit.'),
    sieveClientLimit: leaf(integer(1, 100_000), LIMITS.loginClientLimit, 'managesieve-login client_limit (high-performance mode).'),
    quotaStatusBackends: {
      kind: 'map', key: string({ nonEmpty: true, pattern: /^[A-Za-z0-9._-]+$/, what: 'home server name' }), value: hostPort, def: {},
      reason: 'quota-status service of each home server (same names as proxy.backends): the proxy\'s quota-status (quotaStatus.port) forwards each Postfix policy request to the recipient\'s home backend; {} = no quota-status on the proxy.',
    },
  },
};
