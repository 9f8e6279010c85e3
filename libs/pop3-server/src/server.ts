/**
 * Pop3Server: listeners (110-style with STLS, or 995-style implicit TLS), connection tracking,
 * pop3_lock_session, config reload and graceful close. Same shape as ImapServer (libs/imap-server).
 */
import type net from 'node:net';
import type { SecureContext } from 'node:tls';
import { Listeners, type ListenOptions } from '../../netio/src/listeners.js';
import { LimitWarning } from '../../netio/src/limit.js';
import type { Pop3ServerConfig, Pop3ServerDeps } from './deps.js';
import { Pop3Session, type SessionHost } from './session.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { SessionSlots } from '../../registry/src/slots.js';
import { createMetrics, type Pop3Metrics } from './metrics.js';
import { SessionLocks } from './locks.js';
import { greeting } from './commands/capa.js';

export class Pop3Server implements SessionHost {
  readonly deps: Pop3ServerDeps;
  readonly metrics: Pop3Metrics;
  private cfg: Pop3ServerConfig;
  private tlsCtx: SecureContext | null;
  private readonly listeners: Listeners;
  private sessions = new Set<Pop3Session>();
  /** Logged-in sessions in the registry (who / kick / user+IP limit). */
  private readonly slots: SessionSlots<Pop3Session>;
  private locks = new SessionLocks();

  constructor(deps: Pop3ServerDeps) {
    this.deps = deps;
    this.cfg = deps.config;
    this.tlsCtx = deps.tls;
    this.metrics = createMetrics(deps.metrics);
    this.listeners = new Listeners({
      tls: () => this.tlsCtx, idPrefix: 'p',
      onConnection: (sock, secure, id) => this.startSession(sock, secure, id),
      onHandshakeError: (err, id) => deps.logger.debug({ err, conn: id }, 'TLS handshake failed'),
      limit: { max: () => this.cfg.processLimit ?? Infinity, protocol: 'pop3', warning: new LimitWarning('pop3', (msg, dropped) => deps.logger.warn({ dropped }, msg)) },
    });
    this.slots = new SessionSlots<Pop3Session>(deps.registry ?? new MemoryRegistry(deps.config.hostname), (err) => deps.logger.warn({ err }, 'session registry unavailable'));
  }

  config(): Pop3ServerConfig { return this.cfg; }
  tls(): SecureContext | null { return this.tlsCtx; }

  /** Returns the bound port (port 0 = ephemeral). */
  listen(opts: ListenOptions): Promise<number> { return this.listeners.listen(opts); }

  private startSession(sock: net.Socket, secure: boolean, id: string): void {
    const s = new Pop3Session(this, sock, secure, id);
    this.sessions.add(s);
    this.metrics.connections.inc();
    s.log.debug({ secure }, 'connected');
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

  sessionEnded(session: Pop3Session): void {
    if (!this.sessions.delete(session)) return;
    this.metrics.connections.dec();
    this.slots.release(session);
    session.log.debug('disconnected');
  }

  /** SIGHUP reload: new sessions use the new config and certificate; running ones keep theirs. */
  updateConfig(config: Pop3ServerConfig, tls: SecureContext | null): void {
    this.cfg = config;
    this.tlsCtx = tls;
  }

  connections(): number { return this.sessions.size; }

  /** Stops listening, tells every session, waits for them. Nothing is expunged (no QUIT, RFC 1939 §6). */
  async close(): Promise<void> {
    const closes = [this.listeners.close()];
    const waits = [...this.sessions].map((s) => { s.bye('Server shutting down.'); return s.done; });
    await Promise.all([...closes, ...waits]);
  }
}
