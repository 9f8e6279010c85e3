/**
 * The primary's side of node.workers > 1: it binds the IMAP and POP3 listeners and hands each
 * connection to a worker process (services/mail/worker.ts, libs/workers); it keeps what must be one
 * per node: the session registry (served to the workers over IPC), LMTP and delivery, ManageSieve,
 * quota-status, SASL, the admin API and /metrics (its own metrics plus every worker's, summed as
 * prom-client's cluster aggregation does). The IMAP and POP3 "servers" the rest of main.ts sees are
 * PooledService stand-ins: their process_limit is applied node-wide by the pool, their close() stops
 * the listeners; the sessions end when the workers stop.
 */
import { availableParallelism } from 'node:os';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { serveRegistry } from '../../libs/registry/src/ipc.js';
import type { ListenOptions } from '../../libs/netio/src/listeners.js';
import type { LimitProtocol } from '../../libs/netio/src/limit.js';
import { WorkerPool, type Worker } from '../../libs/workers/src/index.js';
import type { Pop3Listener } from './pop3.js';

/** node.workers: auto = one per CPU core (os.availableParallelism, which honours CPU affinity). */
export function workerCount(c: MailConfig): number {
  return c.node.workers === 'auto' ? availableParallelism() : c.node.workers;
}

/** IMAP or POP3 as main.ts sees it when workers serve the sessions. */
export class PooledService {
  private limit: number;

  constructor(private readonly pool: WorkerPool, private readonly service: 'imap' | 'pop3', config: { processLimit?: number }) {
    this.limit = config.processLimit ?? Infinity;
  }

  listen(opts: ListenOptions): Promise<number> {
    return this.pool.listen({
      name: opts.implicitTls ? `${this.service}s` : this.service, service: this.service, protocol: this.service as LimitProtocol,
      host: opts.host, port: opts.port, implicitTls: opts.implicitTls, limit: () => this.limit,
    });
  }

  /** Reload: the node-wide connection limit; the workers reload their own settings (NodeWorkers.reload). */
  updateConfig(config: { processLimit?: number }, _tls: SecureContext | null): void { this.limit = config.processLimit ?? Infinity; }

  connections(): number { return this.pool.connections(this.service); }

  /** Stops accepting; the workers' sessions end when the pool closes. */
  close(): Promise<void> { return this.pool.closeListeners(this.service); }
}

export interface NodeWorkers {
  pool: WorkerPool;
  /** Every worker reloads (SIGHUP, the admin's reload); false when one refused or did not answer. */
  reload(): Promise<boolean>;
  /** Empties every worker's auth cache (all users, or these); entries removed. */
  flushAuthCaches(users?: readonly string[]): Promise<number>;
  /** A /metrics registry: the primary's own metrics plus every worker's. */
  aggregated(own: Registry): Registry;
  close(): Promise<void>;
}

export async function startWorkers(c: MailConfig, configPath: string | null, count: number, registry: SessionRegistry, logger: Logger): Promise<NodeWorkers> {
  const fromSource = import.meta.url.endsWith('.ts');
  const served = new Map<Worker, ReturnType<typeof serveRegistry>>();
  const pool = new WorkerPool({
    count,
    script: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url),
    args: configPath ? ['--config', configPath] : [],
    logger,
    onWorker: (w) => { served.set(w, serveRegistry(registry, w.rpc)); },
    // A worker's sessions leave the registry with it (who stops listing them; their user+IP slots are free).
    onWorkerExit: (w) => {
      const s = served.get(w);
      served.delete(w);
      void s?.dropAll();
    },
  });
  await pool.start();
  logger.info({ workers: count, pids: pool.pids() }, `${count} worker processes serve IMAP and POP3`);
  return {
    pool,
    async reload() {
      const answers = await pool.broadcast<boolean>('reload');
      let ok = true;
      answers.forEach((a, i) => {
        if (a.status === 'fulfilled' && a.value === true) return;
        ok = false;
        logger.error({ worker: i, err: a.status === 'rejected' ? String(a.reason) : 'configuration refused' }, 'a worker did not apply the reload');
      });
      return ok;
    },
    async flushAuthCaches(users) {
      let n = 0;
      for (const a of await pool.broadcast<number>('auth-cache-flush', users ?? [])) if (a.status === 'fulfilled') n += a.value;
      return n;
    },
    aggregated(own) {
      const merged = Object.create(own) as Registry;
      merged.metrics = async () => {
        const parts: object[][] = [await own.getMetricsAsJSON()];
        // A worker that does not answer in time is left out of this scrape rather than failing it.
        for (const a of await pool.broadcast<object[]>('metrics', null, 2_000)) if (a.status === 'fulfilled') parts.push(a.value);
        return AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
      };
      return merged;
    },
    close: () => pool.close(),
  };
}

/** The POP3 listeners through the pool (as startPop3 binds them in one process); one that cannot bind is logged and left out. */
export async function listenPop3(c: MailConfig, pop3: PooledService, hasTls: boolean, logger: Logger): Promise<Pop3Listener[]> {
  const out: Pop3Listener[] = [];
  const ports: Array<[Pop3Listener['name'], number | null]> = [['pop3', c.pop3.port], ['pop3s', hasTls ? c.pop3.tlsPort : null]];
  for (const [name, port] of ports) {
    if (port === null) continue;
    try {
      out.push({ name, host: c.pop3.host, port: await pop3.listen({ host: c.pop3.host, port, implicitTls: name === 'pop3s' }) });
    } catch (err) {
      logger.error({ err, host: c.pop3.host, port }, `${name}: cannot listen on ${c.pop3.host}:${port}; ${name} is not available`);
    }
  }
  return out;
}
