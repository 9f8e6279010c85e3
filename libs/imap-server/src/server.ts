/**
 * ImapServer: listeners (plain with STARTTLS, or implicit TLS), connection tracking, config
 * reload and graceful close. Contract in deps.ts.
 */
import net from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { ImapServerConfig, ImapServerDeps } from './deps.js';
import { Session, type SessionHost } from './session.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { SessionSlots } from '../../registry/src/slots.js';
import { createMetrics, type ServerMetrics } from './metrics.js';

export class ImapServer implements SessionHost {
  readonly deps: ImapServerDeps;
  readonly metrics: ServerMetrics;
  private cfg: ImapServerConfig;
  private tlsCtx: SecureContext | null;
  private servers: net.Server[] = [];
  private sessions = new Set<Session>();
  /** Logged-in sessions in the registry (who / kick / user+IP limit). */
  private readonly slots: SessionSlots<Session>;
  private closing = false;
  private seq = 0;
  private readonly idPrefix = randomBytes(3).toString('hex');

  constructor(deps: ImapServerDeps) {
    this.deps = deps;
    this.cfg = deps.config;
    this.tlsCtx = deps.tls;
    this.metrics = createMetrics(deps.metrics);
    this.slots = new SessionSlots<Session>(deps.registry ?? new MemoryRegistry(deps.config.hostname), (err) => deps.logger.warn({ err }, 'session registry unavailable'));
  }

  config(): ImapServerConfig { return this.cfg; }
  tls(): SecureContext | null { return this.tlsCtx; }

  listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number> {
    if (opts.implicitTls && !this.tlsCtx) return Promise.reject(new Error('implicit TLS listener needs a TLS context'));
    const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock, opts.implicitTls));
    srv.maxConnections = 100_000;
    this.servers.push(srv);
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port, opts.host, () => {
        srv.off('error', reject);
        const addr = srv.address();
        resolve(typeof addr === 'object' && addr ? addr.port : opts.port);
      });
    });
  }

  private accept(raw: net.Socket, implicitTls: boolean): void {
    if (this.closing) { raw.destroy(); return; }
    const id = `${this.idPrefix}-${(++this.seq).toString(36)}`;
    raw.on('error', () => { /* logged by the session */ });
    if (!implicitTls) {
      this.startSession(raw, false, id);
      return;
    }
    const ctx = this.tlsCtx;
    if (!ctx) { raw.destroy(); return; }
    const tlsSock = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    const t = setTimeout(() => tlsSock.destroy(), 30_000);
    tlsSock.once('secure', () => { clearTimeout(t); this.startSession(tlsSock, true, id); });
    tlsSock.once('error', (err) => { clearTimeout(t); this.deps.logger.debug({ err, conn: id }, 'TLS handshake failed'); tlsSock.destroy(); });
    tlsSock.once('close', () => clearTimeout(t));
  }

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
    this.closing = true;
    const closes = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    this.servers = [];
    const waits = [...this.sessions].map((s) => { s.bye('Server shutting down.'); return s.done; });
    await Promise.all([...closes, ...waits]);
  }
}
