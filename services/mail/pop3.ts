/**
 * Wiring of the POP3 server (libs/pop3-server): config mapping, listeners (STLS port and
 * implicit-TLS port) and reload. A listener that cannot bind is logged and left out; the node
 * still serves everything else.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import type { SocketSource } from '../../libs/netio/src/listeners.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import type { MailStore } from '../../libs/mailstore/src/types.js';
import { mailHome } from '../../libs/delivery/src/home.js';
import type { SaslAuthenticator } from '../../libs/sasl/src/index.js';
import { Pop3Server, type ApopSecretLookup, type Pop3ServerConfig } from '../../libs/pop3-server/src/index.js';

export interface Pop3Listener { name: 'pop3' | 'pop3s'; host: string; port: number }

export function pop3ServerConfig(c: MailConfig): Pop3ServerConfig {
  return {
    hostname: c.node.hostname,
    allowPlaintextAuth: c.pop3.allowPlaintextAuth,
    mailHome: (u: UserRecord) => mailHome(c.storage.mailRoot, u.user),
    uidlFormat: c.pop3.uidlFormat,
    workarounds: [...c.pop3.workarounds],
    lockSessions: c.pop3.lockSessions,
    idleTimeoutMs: c.pop3.idleTimeout,
    maxUserIpConnections: c.pop3.maxUserIpConnections,
    processLimit: c.pop3.processLimit,
  };
}

export async function startPop3(c: MailConfig, deps: {
  store: MailStore; directory: Directory; tls: SecureContext | null; logger: Logger; metrics: Registry; sasl?: SaslAuthenticator<UserRecord>; registry?: SessionRegistry;
  /** In a worker process (node.workers > 1): the primary's listener of that name hands the connections over. */
  sources?: (name: Pop3Listener['name']) => SocketSource;
}):
  Promise<{ server: Pop3Server; listeners: Pop3Listener[] }> {
  // APOP needs a plaintext-equivalent secret; offered only when the directory can give one
  // (a `plainSecret(login)` method returning { user, secret } for {PLAIN} passwords, else null).
  const plain = (deps.directory as Partial<{ plainSecret: ApopSecretLookup }>).plainSecret;
  const { sources, ...serverDeps } = deps;
  const server = new Pop3Server({
    ...serverDeps, logger: deps.logger.child({ service: 'pop3' }), config: pop3ServerConfig(c),
    ...(typeof plain === 'function' ? { apopSecret: plain.bind(deps.directory) } : {}),
  });
  const listeners: Pop3Listener[] = [];
  const ports: Array<[Pop3Listener['name'], number | null]> = [['pop3', c.pop3.port], ['pop3s', deps.tls ? c.pop3.tlsPort : null]];
  for (const [name, port] of ports) {
    if (port === null) continue;
    try {
      listeners.push({ name, host: c.pop3.host, port: await server.listen({ host: c.pop3.host, port, implicitTls: name === 'pop3s', ...(sources ? { source: sources(name) } : {}) }) });
    } catch (err) {
      deps.logger.error({ err, host: c.pop3.host, port }, `${name}: cannot listen on ${c.pop3.host}:${port}; ${name} is not available`);
    }
  }
  return { server, listeners };
}
