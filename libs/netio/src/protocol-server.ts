/**
 * What the IMAP and POP3 servers share around their sessions: listeners (plain with STARTTLS/STLS,
 * or implicit TLS) under the process limit, the set of open sessions and its gauge, config and
 * certificate reload, graceful close. The subclass makes and runs a session per connection and
 * keeps the logged-in ones in the session registry.
 */
import type net from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { Listeners, type ListenOptions } from './listeners.js';
import { LimitWarning, type LimitProtocol } from './limit.js';

export interface ServedSession {
  readonly log: Logger;
  /** Resolves once the session has ended. */
  readonly done: Promise<void>;
  /** Ends the session with the protocol's goodbye. */
  bye(text: string): void;
}

export abstract class ProtocolServer<C extends { processLimit?: number }, S extends ServedSession> {
  protected cfg: C;
  private tlsCtx: SecureContext | null;
  private readonly listeners: Listeners;
  private readonly sessions = new Set<S>();
  /** The open-connection gauge and the registry slots of the subclass (set in its constructor). */
  protected abstract readonly metrics: { readonly connections: { inc(): void; dec(): void } };
  protected abstract readonly slots: { release(session: S): void };

  /** `idPrefix` starts connection ids in logs ('' for IMAP, 'p' for POP3). */
  constructor(deps: { config: C; tls: SecureContext | null; logger: Logger }, protocol: LimitProtocol, idPrefix: string) {
    this.cfg = deps.config;
    this.tlsCtx = deps.tls;
    this.listeners = new Listeners({
      tls: () => this.tlsCtx, idPrefix,
      onConnection: (sock, secure, id) => this.startSession(sock, secure, id),
      onHandshakeError: (err, id) => deps.logger.debug({ err, conn: id }, 'TLS handshake failed'),
      limit: { max: () => this.cfg.processLimit ?? Infinity, protocol, warning: new LimitWarning(protocol, (msg, dropped) => deps.logger.warn({ dropped }, msg)) },
    });
  }

  /** Makes the session for a new connection, hands it to opened() and runs it. */
  protected abstract startSession(sock: net.Socket, secure: boolean, id: string): void;

  config(): C { return this.cfg; }
  tls(): SecureContext | null { return this.tlsCtx; }

  /** Returns the bound port (port 0 = ephemeral). */
  listen(opts: ListenOptions): Promise<number> { return this.listeners.listen(opts); }

  protected opened(session: S, secure: boolean): void {
    this.sessions.add(session);
    this.metrics.connections.inc();
    session.log.debug({ secure }, 'connected');
  }

  sessionEnded(session: S): void {
    if (!this.sessions.delete(session)) return;
    this.metrics.connections.dec();
    this.slots.release(session);
    session.log.debug('disconnected');
  }

  /** SIGHUP reload: new sessions use the new config and certificate; running ones keep theirs. */
  updateConfig(config: C, tls: SecureContext | null): void {
    this.cfg = config;
    this.tlsCtx = tls;
  }

  connections(): number { return this.sessions.size; }

  /** Stops listening, says goodbye to every session and waits for them. */
  async close(): Promise<void> {
    const closes = [this.listeners.close()];
    const waits = [...this.sessions].map((s) => { s.bye('Server shutting down.'); return s.done; });
    await Promise.all([...closes, ...waits]);
  }
}
