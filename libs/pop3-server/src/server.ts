/**
 * Pop3Server: a ProtocolServer (libs/netio: listeners 110-style with STLS or 995-style implicit
 * TLS, connection tracking, config reload, graceful close) of POP3 sessions, with pop3_lock_session.
 * At shutdown nothing is expunged (no QUIT, RFC 1939 §6).
 */
import type net from 'node:net';
import { ProtocolServer } from '../../netio/src/protocol-server.js';
import type { Pop3ServerConfig, Pop3ServerDeps } from './deps.js';
import { Pop3Session, type SessionHost } from './session.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { SessionSlots } from '../../registry/src/slots.js';
import { createMetrics, type Pop3Metrics } from './metrics.js';
import { SessionLocks } from './locks.js';
import { greeting } from './commands/capa.js';

export class Pop3Server extends ProtocolServer<Pop3ServerConfig, Pop3Session> implements SessionHost {
  readonly deps: Pop3ServerDeps;
  readonly metrics: Pop3Metrics;
  /** Logged-in sessions in the registry (who / kick / user+IP limit). */
  protected readonly slots: SessionSlots<Pop3Session>;
  private locks = new SessionLocks();

  constructor(deps: Pop3ServerDeps) {
    super(deps, 'pop3', 'p');
    this.deps = deps;
    this.metrics = createMetrics(deps.metrics);
    this.slots = new SessionSlots<Pop3Session>(deps.registry ?? new MemoryRegistry(deps.config.hostname), (err) => deps.logger.warn({ err }, 'session registry unavailable'));
  }

  protected startSession(sock: net.Socket, secure: boolean, id: string): void {
    const s = new Pop3Session(this, sock, secure, id);
    this.opened(s, secure);
    void s.run(greeting(s));
  }

  /** Registers a logged-in session; false when the user+IP limit (cluster-wide with Redis) is reached. */
  claimUserIp(session: Pop3Session, user: string): Promise<boolean> {
    return this.slots.claim(session, {
      service: 'pop3', user, ip: session.clientAddress, port: session.clientPort, maxUserIp: this.cfg.maxUserIpConnections,
      onKick: () => session.bye('Disconnected by administrator.'),
    });
  }

  lockMailbox(session: Pop3Session, key: string): boolean { return this.locks.acquire(key, session); }
  unlockMailbox(session: Pop3Session, key: string): void { this.locks.release(key, session); }
}
