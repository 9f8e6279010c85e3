/**
 * A Dovecot-compatible auth service (what Postfix calls smtpd_sasl_type = dovecot) on a UNIX
 * socket and/or a TCP port, checking passwords through libs/sasl's authenticator (the Directory,
 * master users, plaintext policy). The auth client is trusted to report rip/secured truthfully,
 * as Dovecot trusts it: expose the TCP port on loopback or the Postfix hosts' network only.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { Registry } from 'prom-client';
import { LIMITS } from '../../core/src/limits.js';
import { SASL_MECHANISMS, type AuthUser, type SaslAuthenticator } from '../../sasl/src/index.js';
import { AuthConnection, type AuthLogger } from './connection.js';
import { createMetrics, type AuthServiceMetrics } from './metrics.js';

export interface DovecotAuthServerOptions {
  authenticator: SaslAuthenticator<AuthUser>;
  logger: AuthLogger;
  metrics?: Registry;
  /** Offered mechanisms, in order; default PLAIN, LOGIN. */
  mechanisms?: readonly string[];
  maxConnections?: number;
  /** Minimum time from AUTH to FAIL; default LIMITS.authFailureDelayMs. */
  failureDelayMs?: number;
}

export class DovecotAuthServer {
  private readonly servers: net.Server[] = [];
  private readonly conns = new Set<AuthConnection>();
  private readonly sockets = new Set<net.Socket>();
  private readonly metrics: AuthServiceMetrics | null;
  private nextId = 1;
  private unixPaths: string[] = [];

  constructor(private opts: DovecotAuthServerOptions) {
    this.metrics = opts.metrics ? createMetrics(opts.metrics) : null;
  }

  /** Reload: connections made from now on check with `authenticator` (new policy); open ones keep theirs. */
  setAuthenticator(authenticator: SaslAuthenticator<AuthUser>): void {
    this.opts = { ...this.opts, authenticator };
  }

  /**
   * Listens on a UNIX socket. A stale socket file left by a crash is replaced; any other kind of
   * file at the path is an error. `mode` as Dovecot's unix_listener mode (Postfix's smtpd must be able to connect).
   */
  async listenUnix(path: string, mode = 0o660): Promise<string> {
    const st = await lstat(path).catch(() => null);
    if (st && !st.isSocket()) throw new Error(`${path} exists and is not a socket`);
    if (st) await unlink(path);
    const srv = this.server();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(path, () => { srv.off('error', reject); resolve(); }); });
    await chmod(path, mode);
    this.unixPaths.push(path);
    return path;
  }

  /** Listens on TCP; returns the bound port (0 = ephemeral). */
  async listenTcp(host: string, port: number): Promise<number> {
    const srv = this.server();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(port, host, () => { srv.off('error', reject); resolve(); }); });
    return (srv.address() as net.AddressInfo).port;
  }

  connections(): number { return this.conns.size; }

  /** Stops listening and closes every client connection (open AUTH requests are dropped; Postfix retries with 454). */
  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const c of this.conns) c.close(null);
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    for (const p of this.unixPaths) await unlink(p).catch(() => undefined);
    this.unixPaths = [];
  }

  private server(): net.Server {
    const srv = net.createServer((socket) => this.accept(socket));
    srv.maxConnections = this.opts.maxConnections ?? LIMITS.dovecotAuthMaxConnections;
    this.servers.push(srv);
    return srv;
  }

  private accept(socket: net.Socket): void {
    const conn = new AuthConnection(socket, {
      authenticator: this.opts.authenticator,
      mechanisms: this.opts.mechanisms ?? SASL_MECHANISMS,
      logger: this.opts.logger,
      metrics: this.metrics,
      connectionId: this.nextId++,
      failureDelayMs: this.opts.failureDelayMs ?? LIMITS.authFailureDelayMs,
    });
    this.conns.add(conn);
    this.sockets.add(socket);
    this.metrics?.connections.inc();
    socket.once('close', () => {
      this.conns.delete(conn);
      this.sockets.delete(socket);
      this.metrics?.connections.dec();
    });
  }
}
