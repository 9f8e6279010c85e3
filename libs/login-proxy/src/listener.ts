/**
 * TCP listeners of a protocol proxy: plain (STARTTLS-capable) and implicit TLS, tracking open
 * connections so close() can end them.
 */
import net from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';

export type ConnectionHandler = (sock: net.Socket, secure: boolean) => void;

const ignore = (): void => undefined;

export class ProxyListeners {
  private readonly servers: net.Server[] = [];
  readonly sockets = new Set<net.Socket>();
  /** One 'close' listener for all sockets (not a closure per socket: a login process holds thousands, issue 6). */
  private readonly forget: (this: net.Socket) => void;

  constructor(private readonly handler: ConnectionHandler, private readonly tls: () => SecureContext | null, private readonly logger: Logger) {
    const sockets = this.sockets;
    this.forget = function (this: net.Socket) { sockets.delete(this); };
  }

  async listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number> {
    const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (raw) => this.adopt(raw, opts.implicitTls));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => { server.removeListener('error', reject); resolve(); });
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Serves a connection accepted elsewhere (a login process gets its sockets from the parent, libs/login-process). */
  adopt(raw: net.Socket, implicitTls: boolean): void {
    this.sockets.add(raw);
    raw.on('close', this.forget);
    // Close follows an error; a login process's socket has its ignoring listener already.
    if (raw.listenerCount('error') === 0) raw.on('error', ignore);
    if (!implicitTls) this.handler(raw, false);
    else this.handshake(raw);
  }

  /** Implicit TLS; its closures (and the timer they hold) live only as long as the handshake. */
  private handshake(raw: net.Socket): void {
    const ctx = this.tls();
    if (!ctx) { raw.destroy(); return; }
    const t = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    const timer = setTimeout(() => t.destroy(), 30_000);
    const onError = (err: Error) => { clearTimeout(timer); this.logger.debug({ err }, 'TLS handshake failed'); t.destroy(); };
    t.on('error', onError);
    t.once('secure', () => {
      clearTimeout(timer);
      // Later errors are followed by 'close', which the session handles: a shared listener keeps them from throwing.
      t.removeListener('error', onError);
      t.on('error', ignore);
      this.handler(t, true);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of this.sockets) s.destroy();
  }
}

/** Upgrades an accepted socket to TLS after STARTTLS/STLS; resolves when the handshake is done. */
export function startTls(sock: net.Socket, ctx: SecureContext): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = new TLSSocket(sock, { isServer: true, secureContext: ctx });
    const timer = setTimeout(() => { t.destroy(); reject(new Error('TLS handshake timeout')); }, 30_000);
    const onError = (e: Error) => { clearTimeout(timer); t.destroy(); reject(e); };
    t.on('error', onError);
    t.once('secure', () => {
      clearTimeout(timer);
      // As after an implicit-TLS handshake: the session outlives this closure and its timer.
      t.removeListener('error', onError);
      t.on('error', ignore);
      resolve(t);
    });
  });
}

export function clientInfo(sock: net.Socket, secure: boolean) {
  return {
    ip: (sock.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''), port: sock.remotePort ?? 0,
    localIp: (sock.localAddress ?? '').replace(/^::ffff:/, ''), localPort: sock.localPort ?? 0, secure,
  };
}
