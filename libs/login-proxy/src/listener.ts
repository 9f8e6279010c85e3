/**
 * TCP listeners of a protocol proxy: plain (STARTTLS-capable) and implicit TLS, tracking open
 * connections so close() can end them.
 */
import net from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';

export type ConnectionHandler = (sock: net.Socket, secure: boolean) => void;

export class ProxyListeners {
  private readonly servers: net.Server[] = [];
  readonly sockets = new Set<net.Socket>();

  constructor(private readonly handler: ConnectionHandler, private readonly tls: () => SecureContext | null, private readonly logger: Logger) {}

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
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => { /* close follows */ });
    if (!implicitTls) { this.handler(raw, false); return; }
    const ctx = this.tls();
    if (!ctx) { raw.destroy(); return; }
    const t = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    const timer = setTimeout(() => t.destroy(), 30_000);
    t.once('secure', () => { clearTimeout(timer); this.handler(t, true); });
    t.on('error', (err) => { clearTimeout(timer); this.logger.debug({ err }, 'TLS handshake failed'); t.destroy(); });
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
    t.once('secure', () => { clearTimeout(timer); resolve(t); });
    t.once('error', (e) => { clearTimeout(timer); t.destroy(); reject(e); });
  });
}

export function clientInfo(sock: net.Socket, secure: boolean) {
  return {
    ip: (sock.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''), port: sock.remotePort ?? 0,
    localIp: (sock.localAddress ?? '').replace(/^::ffff:/, ''), localPort: sock.localPort ?? 0, secure,
  };
}
