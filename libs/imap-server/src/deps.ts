/**
 * What the IMAP server needs from the outside, injected by the service wiring (services/mail/main.ts).
 * The server itself opens no files other than through `store` and creates no config.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailStore, SpecialUse } from '../../mailstore/src/types.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { SessionRegistry } from '../../registry/src/types.js';
import type { SaslAuthenticator } from '../../sasl/src/index.js';

export interface ImapServerConfig {
  /** Hostname used in the greeting and ID. */
  hostname: string;
  /** Allow LOGIN / AUTHENTICATE PLAIN without TLS (Dovecot disable_plaintext_auth = no). Default false. */
  allowPlaintextAuth: boolean;
  /** Mail home for a user: e.g. `${mailRoot}/${domain}/${localpart}`. */
  mailHome(user: UserRecord): string;
  /** mailboxes.auto.<NAME> = create | subscribe | no (UCS mail/dovecot/mailboxes/auto/*). */
  autoMailboxes: Record<string, 'create' | 'subscribe' | 'no'>;
  /** mailboxes.special.<NAME> = \Sent ... (UCS mail/dovecot/mailboxes/special/*). */
  specialUse: Record<string, SpecialUse[]>;
  /** APPENDLIMIT and largest literal, octets. */
  maxMessageSize: number;
  /** RFC 3501 §5.4 autologout, ms. */
  idleTimeoutMs: number;
  /** IDLE hibernation after this many ms (imap.hibernateTimeout, Dovecot imap_hibernate_timeout); 0 or absent = off. */
  hibernateTimeoutMs?: number;
  /** Max IMAP connections per user and client IP (mail_max_userip_connections; cluster-wide in issue 6). */
  maxUserIpConnections: number;
  /** Connections at a time (Dovecot service imap process_limit); absent = unlimited. Read on every accept. */
  processLimit?: number;
}

export interface ImapServerDeps {
  store: MailStore;
  directory: Directory;
  logger: Logger;
  metrics: Registry;
  /** TLS for STARTTLS and the implicit-TLS port; null disables STARTTLS (and implicit TLS listeners). */
  tls: SecureContext | null;
  config: ImapServerConfig;
  /** Session registry (who / kick / cluster-wide user+IP limit); in-process when absent. */
  registry?: SessionRegistry;
  /**
   * Shared SASL policy (services/mail/sasl.ts): plaintext from sasl.trustedNetworks without TLS, and
   * master-user login ("user*master" or PLAIN authzid) from sasl.masterNetworks. Absent: only TLS
   * or allowPlaintextAuth, and no master users.
   */
  sasl?: SaslAuthenticator<UserRecord>;
}

/**
 * Contract of libs/imap-server/src/index.ts:
 *   export class ImapServer {
 *     constructor(deps: ImapServerDeps);
 *     listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number>; // returns bound port (0 = ephemeral)
 *     updateConfig(config: ImapServerConfig, tls: SecureContext | null): void;  // SIGHUP reload: new sessions use it, old stay up
 *     connections(): number;
 *     close(): Promise<void>;   // stop listening, BYE every session, wait for them
 *   }
 */
export {};
