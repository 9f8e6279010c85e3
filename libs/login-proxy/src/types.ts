/** What a protocol proxy is given by the service wiring (services/proxy). */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { UserRecord } from '../../directory/src/types.js';
import type { SaslAuthenticator } from '../../sasl/src/index.js';
import type { SessionRegistry } from '../../registry/src/types.js';
import type { BackendPool } from './backend-pool.js';

export interface ProxyDeps {
  /** Client logins: plaintext policy (TLS or sasl.trustedNetworks) and the directory (auth cache). */
  sasl: SaslAuthenticator<UserRecord>;
  registry: SessionRegistry;
  pool: BackendPool;
  logger: Logger;
  metrics: Registry;
  /** STARTTLS / implicit TLS; null = no TLS. */
  tls: SecureContext | null;
  hostname: string;
  /** The master login to the backends (they accept it from their sasl.masterNetworks only). */
  master: { user: string; password: string };
  /** Cluster-wide per (service, user, client IP) limit; 0 = none. */
  maxUserIp: number;
  /** Plaintext auth without TLS for any client (Dovecot disable_plaintext_auth = no). */
  allowPlaintextAuth: boolean;
}

/** Where the client is, passed on to the backend (Dovecot x-originating-ip / XCLIENT ADDR). */
export interface ClientInfo {
  readonly ip: string;
  readonly port: number;
  readonly localIp: string;
  readonly localPort: number;
  readonly secure: boolean;
}
