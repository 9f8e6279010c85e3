/** The LMTP listener: TCP (loopback or the trusted network) and/or a UNIX socket, as Dovecot's lmtp service. */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { reply } from '../../lmtp-codec/src/reply.js';
import type { LmtpServerConfig, LmtpServerDeps } from './deps.js';
import { LmtpSession } from './session.js';
import { lmtpMetrics, type LmtpMetrics } from './metrics.js';
import { removeStaleSpool } from '../../delivery/src/stale-spool.js';
import { stopGracefully } from '../../netio/src/shutdown.js';

export class LmtpServer {
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<LmtpSession>();
  private readonly metrics: LmtpMetrics | null;

  constructor(private readonly deps: LmtpServerDeps) {
    this.metrics = lmtpMetrics(deps.metrics);
  }

  private make(): Server {
    const srv = createServer((sock: Socket) => {
      const remote = sock.remoteAddress ?? 'local';
      const s = new LmtpSession(sock, this.deps, remote, this.metrics);
      this.sessions.add(s);
      this.metrics?.sessions.inc();
      // A delivery outlives a client that hung up; shutdown still waits for it.
      sock.on('close', () => { this.metrics?.sessions.dec(); void s.whenIdle().then(() => this.sessions.delete(s)); });
    });
    this.servers.push(srv);
    return srv;
  }

  private spoolReady: Promise<void> | null = null;

  /**
   * Once, before the first listener: the spool dir exists and a killed process's leftovers are gone
   * (no transaction of ours exists yet, so none of ours is removed; see libs/delivery/src/stale-spool.ts).
   */
  private prepareSpool(): Promise<void> {
    this.spoolReady ??= (async () => {
      await mkdir(this.deps.config.spoolDir, { recursive: true });
      await removeStaleSpool(this.deps.config.spoolDir);
    })();
    return this.spoolReady;
  }

  /** Listens on host:port (0 = ephemeral); returns the bound port. */
  async listen(o: { host: string; port: number }): Promise<number> {
    await this.prepareSpool();
    const srv = this.make();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(o.port, o.host, () => resolve()); });
    const a = srv.address();
    return typeof a === 'object' && a ? a.port : o.port;
  }

  /** Listens on a UNIX socket (a stale socket file is replaced); mode 0666 like Dovecot's lmtp unix_listener. */
  async listenUnix(path: string, mode = 0o666): Promise<void> {
    await this.prepareSpool();
    await rm(path, { force: true });
    const srv = this.make();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(path, () => resolve()); });
    await chmod(path, mode);
  }

  /**
   * SIGHUP: new limits (SIZE, recipients, idle timeout) for commands from now on, in every session;
   * the listeners stay as they are (address, port and socket change only with a restart).
   */
  updateConfig(config: Partial<Omit<LmtpServerConfig, 'spoolDir'>>): void {
    this.deps.config = { ...this.deps.config, ...config };
  }

  connections(): number {
    return this.sessions.size;
  }

  /**
   * Stops listening, lets deliveries in progress finish and send their replies (up to `graceMs`:
   * a cut-off reply makes Postfix deliver again, a duplicate), then says 421 to every session.
   */
  async close(graceMs = 10_000): Promise<void> {
    await stopGracefully(this.servers, this.sessions, graceMs,
      (s) => s.close(reply(421, '4.3.2', `${this.deps.config.hostname} Service shutting down`)));
  }
}
