/**
 * The only place protocol servers open TCP listeners: plain (STARTTLS-capable) or implicit TLS
 * (RFC 8314), TCP_NODELAY on every socket (small protocol replies must not wait on Nagle), a bounded
 * TLS handshake, connection ids, and close() that stops accepting. Sessions are the caller's.
 */
import net from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { refuse, type LimitProtocol, type LimitWarning } from './limit.js';

/**
 * Connections accepted by another process and handed to this one (the primary of libs/workers hands
 * them to its worker processes): listen() takes them from the source instead of binding a port.
 */
export interface SocketSource {
  /** The port the connections arrive on (what listen() answers). */
  readonly port: number;
  start(accept: (sock: net.Socket) => void): void;
  stop(): void;
}

/** The session logs socket errors; one before it exists only closes the socket. */
function ignoreError(): void { /* nothing */ }

export interface ListenOptions { host: string; port: number; implicitTls: boolean; source?: SocketSource }

export interface ListenersOptions {
  /** The current TLS context (it changes on reload); null = no implicit-TLS listener possible. */
  tls: () => SecureContext | null;
  /** A connection is ready: plain, or after the implicit-TLS handshake. */
  onConnection: (sock: net.Socket, secure: boolean, id: string) => void;
  /** Prefix of connection ids, e.g. "p" for POP3. */
  idPrefix?: string;
  onHandshakeError?: (err: Error, id: string) => void;
  /** Default 30 s: a client that never finishes the handshake holds no slot for long. */
  handshakeTimeoutMs?: number;
  /**
   * Connection limit of the service (Dovecot process_limit of a one-client-per-process service such as
   * imap): past it a connection gets the protocol's clean refusal and is closed; read on every accept,
   * so a reload takes effect at once. Absent = unlimited.
   */
  limit?: { max: () => number; protocol: LimitProtocol; warning: LimitWarning };
}

export class Listeners {
  private readonly servers: net.Server[] = [];
  private readonly sources: SocketSource[] = [];
  private closing = false;
  private seq = 0;
  private readonly prefix: string;

  constructor(private readonly o: ListenersOptions) {
    this.prefix = `${o.idPrefix ?? ''}${randomBytes(3).toString('hex')}`;
  }

  /** Returns the bound port (port 0 = ephemeral). */
  listen(opts: ListenOptions): Promise<number> {
    if (opts.implicitTls && !this.o.tls()) return Promise.reject(new Error('implicit TLS listener needs a TLS context'));
    if (opts.source) {
      const src = opts.source;
      this.sources.push(src);
      src.start((sock) => this.accept(sock, opts.implicitTls));
      return Promise.resolve(src.port);
    }
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

  private open = 0;
  private readonly closed = (): void => { this.open--; };

  /** Connections accepted and not yet closed (every listener of this service). */
  get connections(): number { return this.open; }

  private accept(raw: net.Socket, implicitTls: boolean): void {
    if (this.closing) { raw.destroy(); return; }
    const limit = this.o.limit;
    if (limit && this.open >= limit.max()) {
      limit.warning.hit('process_limit', limit.max());
      refuse(raw, limit.protocol, implicitTls);
      return;
    }
    this.open++;
    // Shared listeners, no closures per connection: with 100,000 idle ones (issue 6) a once() wrapper
    // and two closures cost ~0.3 KB per connection. 'close' comes once, so on() is once().
    raw.on('close', this.closed);
    const id = `${this.prefix}-${(++this.seq).toString(36)}`;
    raw.on('error', ignoreError);
    if (!implicitTls) { this.o.onConnection(raw, false, id); return; }
    const ctx = this.o.tls();
    if (!ctx) { raw.destroy(); return; }
    const t = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    const timer = setTimeout(() => t.destroy(), this.o.handshakeTimeoutMs ?? 30_000);
    t.once('secure', () => { clearTimeout(timer); this.o.onConnection(t, true, id); });
    t.once('error', (err) => { clearTimeout(timer); this.o.onHandshakeError?.(err, id); t.destroy(); });
    t.once('close', () => clearTimeout(timer));
  }

  get isClosing(): boolean { return this.closing; }

  /** Stops accepting; resolves when every listening socket is closed (open connections are the caller's). */
  async close(): Promise<void> {
    this.closing = true;
    for (const src of this.sources.splice(0)) src.stop();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Upgrades an accepted socket to TLS after STARTTLS / STLS; resolves when the handshake is done. */
export function startTls(sock: net.Socket, ctx: SecureContext, timeoutMs = 30_000): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = new TLSSocket(sock, { isServer: true, secureContext: ctx });
    const timer = setTimeout(() => { t.destroy(); reject(new Error('TLS handshake timeout')); }, timeoutMs);
    t.once('secure', () => { clearTimeout(timer); resolve(t); });
    t.once('error', (e) => { clearTimeout(timer); t.destroy(); reject(e); });
  });
}
