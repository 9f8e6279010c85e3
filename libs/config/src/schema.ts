/**
 * The configuration schema of a mail node: every key, its type, its default and why.
 * docs/configuration.md describes the same keys for operators; keep the two in step.
 */
import { hostname as osHostname } from 'node:os';
import type { SpecialUse } from '../../mailstore/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import {
  boolean, duration, integer, nullable, oneOf, port, size, string, type Parser,
} from './parsers.js';

export type AutoMailbox = 'create' | 'subscribe' | 'no';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface MailConfig {
  node: { hostname: string; dataDir: string };
  storage: { mailRoot: string; fsync: boolean };
  directory: { type: 'file'; path: string };
  imap: {
    host: string;
    port: number | null;
    tlsPort: number | null;
    allowPlaintextAuth: boolean;
    maxMessageSize: number;
    idleTimeoutMs: number;
    maxUserIpConnections: number;
  };
  tls: { cert: string | null; key: string | null; generatedDir: string };
  mailboxes: { auto: Record<string, AutoMailbox>; special: Record<string, SpecialUse[]> };
  log: { level: LogLevel; pretty: boolean };
  http: { host: string; port: number | null };
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

const hostOrAddress = string({ nonEmpty: true, pattern: /^[A-Za-z0-9.:_-]+$/, what: 'host name or IP address' });

export const SCHEMA: Record<keyof MailConfig, SectionSpec> = {
  node: {
    hostname: leaf(hostOrAddress, (e: Environment) => e.hostname,
      'The machine host name (os.hostname()); used in the IMAP greeting, Maildir file names and logs.'),
    dataDir: leaf(string({ nonEmpty: true }), './data',
      'Relative to the working directory so a first start needs no root and no setup; holds users, mail and the generated TLS cert.'),
  },
  storage: {
    mailRoot: leaf(nullable(string({ nonEmpty: true })), null,
      'null = <dataDir>/mail. Mail homes are <mailRoot>/<domain>/<localpart>, as UCS lays them out under /var/spool/dovecot/private.'),
    fsync: leaf(boolean, true,
      'A delivered or appended message must survive a power cut before we say OK (Dovecot mail_fsync=optimized spirit). Turn off only for tests.'),
  },
  directory: {
    type: leaf(oneOf(['file'] as const), 'file', 'The embedded default keeps users in a file; LDAP (UCS) comes in a later issue.'),
    path: leaf(nullable(string({ nonEmpty: true })), null,
      'null = <dataDir>/users.yaml, created with a sample user on first start.'),
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
    maxUserIpConnections: leaf(integer(1, 100_000), 10,
      'Dovecot/UCS mail_max_userip_connections = 10: enough for clients that open one connection per folder, stops runaway clients.'),
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
};
