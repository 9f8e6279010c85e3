/**
 * ImapServer: a ProtocolServer (libs/netio: listeners, connection tracking, config reload,
 * graceful close) of IMAP sessions, with the user+IP limit and IDLE hibernation. Contract in deps.ts.
 */
import type net from 'node:net';
import { ProtocolServer } from '../../netio/src/protocol-server.js';
import type { ImapServerConfig, ImapServerDeps } from './deps.js';
import { Session, type SessionHost } from './session.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { SessionSlots } from '../../registry/src/slots.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { HibernationRegistry } from './hibernate.js';

export class ImapServer extends ProtocolServer<ImapServerConfig, Session> implements SessionHost {
  readonly deps: ImapServerDeps;
  readonly metrics: ServerMetrics;
  /** IDLE sessions hibernated (hibernate.ts; imap_hibernated_sessions). */
  readonly hibernation: HibernationRegistry;
  /** Logged-in sessions in the registry (who / kick / user+IP limit). */
  protected readonly slots: SessionSlots<Session>;

  constructor(deps: ImapServerDeps) {
    super(deps, 'imap', '');
    this.deps = deps;
    this.metrics = createMetrics(deps.metrics);
    this.hibernation = new HibernationRegistry(deps.metrics);
    this.slots = new SessionSlots<Session>(deps.registry ?? new MemoryRegistry(deps.config.hostname), (err) => deps.logger.warn({ err }, 'session registry unavailable'));
  }

  protected startSession(sock: net.Socket, secure: boolean, id: string): void {
    const s = new Session(this, sock, secure, id);
    this.opened(s, secure);
    void s.run();
  }

  /** Registers a logged-in session; false when the user+IP limit (cluster-wide with Redis) is reached. */
  claimUserIp(session: Session, user: string): Promise<boolean> {
    return this.slots.claim(session, {
      service: 'imap', user, ip: session.clientAddress ?? session.remoteAddress, maxUserIp: this.cfg.maxUserIpConnections,
      onKick: () => session.bye('Disconnected by administrator.'),
    });
  }
}
