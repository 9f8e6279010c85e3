/** What the ManageSieve server is given by the service wiring (services/mail/main.ts). */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { SaslAuthenticator } from '../../sasl/src/index.js';
import type { ParseResult } from '../../sieve/src/types.js';
import type { SessionRegistry } from '../../registry/src/types.js';

export interface ManageSieveConfig {
  /** IMPLEMENTATION capability (RFC 5804 §1.7), e.g. "Dovecot-compatible mail node". */
  implementation: string;
  /** AUTHENTICATE PLAIN/LOGIN without TLS (Dovecot disable_plaintext_auth = no). Default false. */
  allowPlaintextAuth: boolean;
  /** Mail home of a user: scripts go to `<home>/sieve/`, the active link is `<home>/.dovecot.sieve`. */
  mailHome(user: UserRecord): string;
  /** Per-user script quota (Pigeonhole sieve_quota_max_scripts / _max_storage). */
  maxScripts: number;
  maxStorage: number;
  /** Largest script, octets (Pigeonhole sieve_max_script_size). */
  maxScriptSize: number;
  /** MAXREDIRECTS capability (Pigeonhole sieve_max_redirects). */
  maxRedirects: number;
  idleTimeoutMs: number;
  fsync: boolean;
}

export interface ManageSieveDeps {
  directory: Directory;
  logger: Logger;
  /** STARTTLS; null disables it. */
  tls: SecureContext | null;
  config: ManageSieveConfig;
  /** The Sieve parser (libs/sieve parseScript) and the extensions it supports. */
  parseScript(text: string): ParseResult;
  extensions(): string[];
  /**
   * Shared SASL policy (services/mail/sasl.ts), as for IMAP: plaintext without TLS from sasl.trustedNetworks,
   * master users (PLAIN authzid) for the login proxies from sasl.masterNetworks. Absent: directory only.
   */
  sasl?: SaslAuthenticator<UserRecord>;
  /** Session registry (who / kick, cluster-wide with Redis): logged-in sessions are registered as service "sieve". */
  registry?: SessionRegistry;
}
