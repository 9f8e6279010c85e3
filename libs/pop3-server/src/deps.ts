/**
 * What the POP3 server needs from the outside, injected by the service wiring (services/mail/main.ts).
 * The server opens mail only through `store` and users only through `directory`.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailStore } from '../../mailstore/src/types.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { SessionRegistry } from '../../registry/src/types.js';
import type { SaslAuthenticator } from '../../sasl/src/index.js';

/** Dovecot pop3_client_workarounds that UCS turns on for Microsoft clients. */
export type Pop3Workaround = 'outlook-no-nuls' | 'oe-ns-eoh';
export const POP3_WORKAROUNDS: readonly Pop3Workaround[] = ['outlook-no-nuls', 'oe-ns-eoh'];

export interface Pop3ServerConfig {
  /** Host name in the greeting (and the APOP timestamp). */
  hostname: string;
  /** Allow USER/PASS and AUTH PLAIN/LOGIN without TLS (Dovecot disable_plaintext_auth = no). */
  allowPlaintextAuth: boolean;
  /** Mail home for a user; POP3 serves its INBOX, the same one IMAP serves. */
  mailHome(user: UserRecord): string;
  /** Dovecot pop3_uidl_format; default "%08Xu%08Xv". */
  uidlFormat: string;
  /** Dovecot pop3_client_workarounds. */
  workarounds: readonly Pop3Workaround[];
  /** Dovecot pop3_lock_session: a second session on a mailbox in TRANSACTION state gets -ERR [IN-USE]. */
  lockSessions: boolean;
  /** RFC 1939 §3 autologout (at least 10 minutes), ms. */
  idleTimeoutMs: number;
  /** mail_max_userip_connections for POP3. */
  maxUserIpConnections: number;
  /** Connections at a time (Dovecot service pop3 process_limit); absent = unlimited. Read on every accept. */
  processLimit?: number;
}

/** APOP (RFC 1939 §7) needs the plaintext-equivalent secret; null when the user has none (hashed password). */
export type ApopSecretLookup = (login: string) => Promise<{ user: UserRecord; secret: string } | null>;

export interface Pop3ServerDeps {
  store: MailStore;
  directory: Directory;
  logger: Logger;
  metrics: Registry;
  /** TLS for STLS and the implicit-TLS port; null disables both. */
  tls: SecureContext | null;
  config: Pop3ServerConfig;
  /** Session registry (who / kick / cluster-wide user+IP limit); in-process when absent. */
  registry?: SessionRegistry;
  /** When given, APOP is offered (greeting timestamp) and works for users whose secret is stored in plaintext. */
  apopSecret?: ApopSecretLookup;
  /**
   * Shared SASL policy (services/mail/sasl.ts), as for IMAP: plaintext without TLS from
   * sasl.trustedNetworks, master-user login ("user*master" or PLAIN authzid) from sasl.masterNetworks.
   * Absent: plaintext only over TLS (or allowPlaintextAuth) and no master users.
   */
  sasl?: SaslAuthenticator<UserRecord>;
}
