/** The LMTP proxy listener: TCP and/or a UNIX socket (Postfix: virtual_transport = lmtp:inet:proxy:24 or lmtp:unix:…). */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { reply } from '../../lmtp-codec/src/reply.js';
import type { LmtpProxyDeps } from './deps.js';
import { ProxySession } from './session.js';
import { breakerValue, proxyMetrics, type ProxyMetrics } from './metrics.js';
import { stopGracefully } from '../../netio/src/shutdown.js';

export class LmtpProxy {
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<ProxySession>();
  private readonly metrics: ProxyMetrics | null;

  constructor(private deps: LmtpProxyDeps) {
    this.metrics = proxyMetrics(deps.metrics);
    for (const [name, state] of Object.entries(deps.backends.states())) this.metrics?.breaker.set({ backend: name }, breakerValue(state));
  }

  /** Reload: sessions accepted from now on use the new backends and settings; open ones keep theirs. */
  update(next: Pick<LmtpProxyDeps, 'backends' | 'config'>): void {
    this.deps = { ...this.deps, backends: next.backends, config: next.config };
    for (const [name, state] of Object.entries(next.backends.states())) this.metrics?.breaker.set({ backend: name }, breakerValue(state));
  }

  /** For the caller's breaker hook (BackendSet onBreaker): keeps the metric current. */
  static breakerMetric(registry: LmtpProxyDeps['metrics'], backend: string, state: 'closed' | 'half-open' | 'open'): void {
    proxyMetrics(registry)?.breaker.set({ backend }, breakerValue(state));
  }

  private make(): Server {
    const srv = createServer((sock: Socket) => {
      const s = new ProxySession(sock, this.deps, sock.remoteAddress ?? 'local', this.metrics);
      this.sessions.add(s);
      this.metrics?.sessions.inc();
      sock.on('close', () => { this.metrics?.sessions.dec(); void s.whenIdle().then(() => this.sessions.delete(s)); });
    });
    this.servers.push(srv);
    return srv;
  }

  async listen(o: { host: string; port: number }): Promise<number> {
    await mkdir(this.deps.config.spoolDir, { recursive: true, mode: 0o700 });
    const srv = this.make();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(o.port, o.host, () => resolve()); });
    const a = srv.address();
    return typeof a === 'object' && a ? a.port : o.port;
  }

  async listenUnix(path: string, mode = 0o666): Promise<void> {
    await mkdir(this.deps.config.spoolDir, { recursive: true, mode: 0o700 });
    await rm(path, { force: true });
    const srv = this.make();
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(path, () => resolve()); });
    await chmod(path, mode);
  }

  connections(): number { return this.sessions.size; }

  /**
   * Stops listening and lets transactions in progress finish (a cut-off reply after the backends
   * stored the message would make Postfix send it again), then 421 to every session.
   */
  async close(graceMs = 10_000): Promise<void> {
    await stopGracefully(this.servers, this.sessions, graceMs,
      (s) => s.close(reply(421, '4.3.2', `${this.deps.config.hostname} Service shutting down`)));
  }
}
