/**
 * Wiring of the SASL policy (shared by IMAP and the auth service) and the Dovecot-compatible auth
 * service for Postfix (libs/dovecot-auth) from the `sasl` config section.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import type { SaslAuthenticator } from '../../libs/sasl/src/index.js';
import { DovecotAuthServer, directoryAuthenticator } from '../../libs/dovecot-auth/src/index.js';

/** The authenticator IMAP (and later POP3, ManageSieve, the proxies) checks logins with. Throws on a bad master hash. */
export function createSaslAuthenticator(c: MailConfig, directory: Directory): SaslAuthenticator<UserRecord> {
  return directoryAuthenticator(directory, {
    allowPlaintext: false, // each protocol adds its own allowPlaintextAuth; the auth service below its own
    trustedNetworks: c.sasl.trustedNetworks,
    masterSeparator: c.sasl.masterSeparator,
    masterUsers: c.sasl.masterUsers,
    masterNetworks: c.sasl.masterNetworks,
  });
}

export interface SaslService {
  server: DovecotAuthServer | null;
  /** TCP listener for the banner ("listening sasl host:port"). */
  listener: { name: 'sasl'; host: string; port: number } | null;
  socket: string | null;
  close(): Promise<void>;
}

/** The auth service's policy: as createSaslAuthenticator, with its own sasl.allowPlaintextAuth. Throws on a bad master hash. */
export function saslServiceAuthenticator(c: MailConfig, directory: Directory): SaslAuthenticator<UserRecord> {
  return directoryAuthenticator(directory, {
    allowPlaintext: c.sasl.allowPlaintextAuth,
    trustedNetworks: c.sasl.trustedNetworks,
    masterSeparator: c.sasl.masterSeparator,
    masterUsers: c.sasl.masterUsers,
    masterNetworks: c.sasl.masterNetworks,
  });
}

/** Starts the auth service on sasl.socket and sasl.port; nothing when both are off. */
export async function startSaslService(c: MailConfig, directory: Directory, logger: Logger, metrics: Registry): Promise<SaslService> {
  if (c.sasl.socket === null && c.sasl.port === null) return { server: null, listener: null, socket: null, close: async () => undefined };
  const authenticator = saslServiceAuthenticator(c, directory);
  const server = new DovecotAuthServer({ authenticator, logger: logger.child({ service: 'auth' }), metrics });
  try {
    const socket = c.sasl.socket === null ? null : await server.listenUnix(c.sasl.socket, c.sasl.socketMode);
    const port = c.sasl.port === null ? null : await server.listenTcp(c.sasl.host, c.sasl.port);
    logger.info({ socket, host: c.sasl.host, port }, 'auth service for Postfix (smtpd_sasl_type = dovecot) listening');
    return {
      server, socket, listener: port === null ? null : { name: 'sasl', host: c.sasl.host, port },
      close: () => server.close(),
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}
