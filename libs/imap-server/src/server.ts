/**
 * ImapServer: listeners (plain with STARTTLS, or implicit TLS), connection tracking, config
 * reload and graceful close. Contract in deps.ts.
 */
import type net from 'node:net';
import type { SecureContext } from 'node:tls';
import { Listeners, type ListenOptions } from '../../netio/src/listeners.js';
import { LimitWarning } from '../../netio/src/limit.js';
import type { ImapServerConfig, ImapServerDeps } from './deps.js';
import { Session, type SessionHost } from './session.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { SessionSlots } from '../../registry/src/slots.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { HibernationRegistry } from './hibernate.js';

export class ImapServer implements SessionHost {
  readonly deps: ImapServerDeps;
  readonly metrics: ServerMetrics;
  /** IDLE sessions hibernated (hibernate.ts; imap_hibernated_sessions). */
  readonly hibernation: HibernationRegistry;
  private cfg: ImapServerConfig;
  private tlsCtx: SecureContext | null;
  private readonly listeners: Listeners;
  private sessions = new Set<Session>();
  /** Logged-in sessions in the registry (who / kick / user+IP limit). */
  private readonly slots: SessionSlots<Session>;

  constructor(deps: ImapServerDeps) {
    this.deps = deps;
    this.cfg = deps.config;
    this.tlsCtx = deps.tls;
    this.metrics = createMetrics(deps.metrics);
    this.hibernation = new HibernationRegistry(deps.metrics);
    this.listeners = new Listeners({
      tls: () => this.tlsCtx, idPrefix: '',
      onConnection: (sock, secure, id) => this.startSession(sock, secure, id),
      onHandshakeError: (err, id) => deps.logger.debug({ err, conn: id }, 'TLS handshake failed'),
      limit: { max: () => this.cfg.processLimit ?? Infinity, protocol: 'imap', warning: new LimitWarning('imap', (msg, dropped) => deps.logger.warn({ dropped }, msg)) },
    });
    this.slots = new SessionSlots<Session>(deps.registry ?? new MemoryRegistry(deps.config.hostname), (err) => deps.logger.warn({ err }, 'session registry unavailable'));
  }

  config(): ImapServerConfig { return this.cfg; }
  tls(): SecureContext | null { return this.tlsCtx; }

  /** Returns the bound port (port 0 = ephemeral). */
  listen(opts: ListenOptions): Promise<number> { return this.listeners.listen(opts); }

  private startSession(sock: net.Socket, secure: boolean, id: string): void {
    const s = new Session(this, sock, secure, id);
    this.sessions.add(s);
    this.metrics.connections.inc();
    s.log.debug({ secure }, 'connected');
    void s.run();
  }

  /** Registers a logged-in session; false when the user+IP limit (cluster-wide with Redis) is reached. */
  claimUserIp(session: Session, user: string): Promise<boolean> {
    return this.slots.claim(session, {
      service: 'imap', user, ip: session.clientAddress ?? session.remoteAddress, maxUserIp: this.cfg.maxUserIpConnections,
      onKick: () => session.bye('Disconnected by administrator.'),
    });
  }

  sessionEnded(session: Session): void {
    if (!this.sessions.delete(session)) return;
    this.metrics.connections.dec();
    this.slots.release(session);
    session.log.debug('disconnected');
  }

  /** SIGHUP reload: new sessions use the new config and certificate; running ones keep theirs. */
  updateConfig(config: ImapServerConfig, tls: SecureContext | null): void {
    this.cfg = config;
    this.tlsCtx = tls;
  }

  connections(): number { return this.sessions.size; }

  async close(): Promise<void> {
    const closes = [this.listeners.close()];
    const waits = [...this.sessions].map((s) => { s.bye('Server shutting down.'); return s.done; });
    await Promise.all([...closes, ...waits]);
  }
}
