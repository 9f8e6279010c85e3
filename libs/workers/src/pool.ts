/**
 * The primary side of a multi-process server (Dovecot runs one imap process per connection and so uses
 * every core; one Node process uses one). The primary binds the listeners, accepts each connection
 * paused (it never reads a byte) and hands the socket to the least-loaded worker over the IPC channel;
 * the worker serves it to the end. The primary counts every worker's connections, so a service's
 * connection limit (Dovecot process_limit) holds for the node as a whole, not per worker.
 *
 * A worker that dies loses its own connections only: the primary logs it, tells the caller
 * (onWorkerExit: drop its sessions from the registry) and starts a new one, backing off when starts
 * keep failing. close() stops the listeners and ends the workers with SIGTERM (they say BYE).
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { LimitWarning, refuse, type LimitProtocol } from '../../netio/src/limit.js';
import type { FromWorker, ToWorker } from './messages.js';
import { Rpc, type RpcMessage } from './rpc.js';

export interface PoolLogger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface WorkerPoolOptions {
  /** Worker processes; each serves every listener of the pool. */
  count: number;
  /** The compiled worker entry and its arguments. */
  script: string | URL;
  args: string[];
  /** Node flags of the workers; default: the primary's (source maps, a loader). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  logger: PoolLogger;
  /** Called for every worker started (restarts too) before it gets connections: attach request handlers. */
  onWorker?: (w: Worker) => void;
  /** A worker exited (died, or stopped at shutdown): release what the primary holds for it. */
  onWorkerExit?: (w: Worker) => void;
}

export interface Worker {
  /** 0..count-1; a restarted worker keeps the index of the one it replaces. */
  readonly index: number;
  readonly pid: number;
  readonly rpc: Rpc;
}

export interface PoolListenOptions {
  /** The worker-side listener of the same name takes these connections (worker.ts source()). */
  name: string;
  /** Listeners of one service (imap and imaps) share its connection limit. */
  service: string;
  host: string;
  port: number;
  implicitTls: boolean;
  protocol: LimitProtocol;
  /** The service's connection limit (process_limit), read at every accept so a reload applies at once. */
  limit: () => number;
}

interface Proc extends Worker {
  child: ChildProcess;
  ready: boolean;
  readyAt: number;
  /** Connections handed over and not yet reported closed, per listener name. */
  load: Map<string, number>;
  total: number;
  startTimer: NodeJS.Timeout | null;
  onReady: Array<() => void>;
}

interface Listener { o: PoolListenOptions; server: net.Server }

export class WorkerPool {
  private readonly procs = new Map<number, Proc>();
  private readonly listeners = new Map<string, Listener>();
  /** Listener name -> service; kept after a listener closes (its connections still report closing). */
  private readonly serviceOf = new Map<string, string>();
  private readonly warnings = new Map<string, LimitWarning>();
  /** Connections that arrived while no worker was ready (all restarting). */
  private pending: Array<{ sock: net.Socket; l: PoolListenOptions }> = [];
  private readonly failures = new Map<number, number>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private closing = false;
  private started = false;
  private failStart: ((e: Error) => void) | null = null;

  constructor(private readonly o: WorkerPoolOptions) {
    if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`worker count must be a positive integer, got ${o.count}`);
  }

  /** Starts every worker and waits until each is ready; rejects (and stops the others) when one fails to start. */
  async start(): Promise<void> {
    const all = Array.from({ length: this.o.count }, (_, i) => this.spawn(i));
    const failed = new Promise<never>((_, reject) => { this.failStart = reject; });
    try {
      await Promise.race([Promise.all(all.map((p) => this.whenReady(p))), failed]);
    } catch (e) {
      await this.close();
      throw e;
    }
    this.started = true;
    this.failStart = null;
  }

  /** Binds a listener whose connections go to the workers; returns the bound port (0 = ephemeral). */
  listen(o: PoolListenOptions): Promise<number> {
    if (this.listeners.has(o.name)) return Promise.reject(new Error(`listener ${o.name} exists`));
    if (!this.warnings.has(o.service)) {
      this.warnings.set(o.service, new LimitWarning(o.service, (msg, dropped) => this.o.logger.warn({ service: o.service, dropped }, msg)));
    }
    // pauseOnConnect: the primary never reads from a client; the worker that gets the socket does.
    const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.dispatch(sock, o));
    server.maxConnections = 100_000;
    this.listeners.set(o.name, { o, server });
    this.serviceOf.set(o.name, o.service);
    return new Promise((resolve, reject) => {
      server.once('error', (e) => { this.listeners.delete(o.name); reject(e); });
      server.listen(o.port, o.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.o.logger.error({ err, listener: o.name }, 'listener error'));
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : o.port);
      });
    });
  }

  /** Stops accepting on the listeners of a service (or all); the workers keep their connections. */
  async closeListeners(service?: string): Promise<void> {
    for (const [name, l] of this.listeners) {
      if (service !== undefined && l.o.service !== service) continue;
      this.listeners.delete(name);
      // close() stops accepting at once; its callback would wait for every connection handed to a
      // worker to end (Node tracks sent sockets), which only happens once the workers stop.
      l.server.close();
    }
  }

  /** Connections the workers hold for a service (or all). */
  connections(service?: string): number {
    let n = 0;
    for (const p of this.procs.values()) {
      for (const [name, c] of p.load) if (service === undefined || this.serviceOf.get(name) === service) n += c;
    }
    return n;
  }

  workers(): Worker[] { return [...this.procs.values()].filter((p) => p.ready); }
  pids(): number[] { return [...this.procs.values()].map((p) => p.pid); }

  /** Asks every ready worker; the answers (or errors) in worker order. */
  async broadcast<T = unknown>(op: string, arg: unknown = null, timeoutMs?: number): Promise<Array<PromiseSettledResult<T>>> {
    return Promise.allSettled(this.workers().map((w) => w.rpc.call<T>(op, arg, timeoutMs)));
  }

  /** Stops accepting and ends every worker with SIGTERM (a worker says BYE to its sessions first). */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    await this.closeListeners();
    for (const c of this.pending.splice(0)) c.sock.destroy();
    await Promise.all([...this.procs.values()].map((p) => new Promise<void>((r) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) { r(); return; }
      p.child.once('exit', () => r());
      p.child.kill('SIGTERM');
    })));
  }

  private dispatch(sock: net.Socket, l: PoolListenOptions): void {
    if (this.closing) { sock.destroy(); return; }
    const max = l.limit();
    if (this.connections(l.service) + this.pendingOf(l.service) >= max) {
      this.warnings.get(l.service)!.hit('process_limit', max);
      refuse(sock, l.protocol, l.implicitTls);
      return;
    }
    let target: Proc | null = null;
    for (const p of this.procs.values()) {
      if (!p.ready || !p.child.connected) continue;
      if (!target || p.total < target.total) target = p;
    }
    if (!target) { this.queue(sock, l); return; }
    this.send(target, sock, l);
  }

  /** No worker is ready (all restarting): the connection waits, paused, as long as a worker may take to start. */
  private queue(sock: net.Socket, l: PoolListenOptions): void {
    const entry = { sock, l };
    this.pending.push(entry);
    setTimeout(() => {
      const i = this.pending.indexOf(entry);
      if (i < 0) return;
      this.pending.splice(i, 1);
      sock.destroy();
    }, LIMITS.workerStartTimeoutMs).unref();
  }

  private pendingOf(service: string): number {
    let n = 0;
    for (const c of this.pending) if (c.l.service === service) n++;
    return n;
  }

  private send(p: Proc, sock: net.Socket, l: PoolListenOptions): void {
    p.load.set(l.name, (p.load.get(l.name) ?? 0) + 1);
    p.total++;
    const msg: ToWorker = { t: 'conn', listener: l.name };
    try {
      p.child.send(msg, sock, { keepOpen: false }, (err) => {
        if (!err) return;
        sock.destroy();
        this.closedOne(p, l.name);
        this.o.logger.warn({ err: err.message, worker: p.index, pid: p.pid }, 'handing a connection to a worker failed');
      });
    } catch (err) {
      sock.destroy();
      this.closedOne(p, l.name);
      this.o.logger.warn({ err: (err as Error).message, worker: p.index, pid: p.pid }, 'handing a connection to a worker failed');
    }
  }

  private closedOne(p: Proc, listener: string): void {
    const n = p.load.get(listener) ?? 0;
    if (n <= 0) return;
    p.load.set(listener, n - 1);
    p.total--;
  }

  private spawn(index: number): Proc {
    const child = fork(this.o.script, this.o.args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: this.o.execArgv ?? process.execArgv, serialization: 'json',
      env: { ...(this.o.env ?? process.env), MAILNODE_WORKER_INDEX: String(index) },
    });
    const rpc = new Rpc((m: RpcMessage) => {
      if (!child.connected) return false;
      try { child.send(m); return true; } catch { return false; }
    });
    const p: Proc = { index, pid: child.pid ?? -1, rpc, child, ready: false, readyAt: 0, load: new Map(), total: 0, startTimer: null, onReady: [] };
    this.procs.set(index, p);
    p.startTimer = setTimeout(() => {
      this.o.logger.error({ worker: index, pid: p.pid }, `worker ${index} (pid ${p.pid}) did not start within ${LIMITS.workerStartTimeoutMs} ms; killing it`);
      child.kill('SIGKILL');
    }, LIMITS.workerStartTimeoutMs);
    child.on('message', (m: FromWorker | RpcMessage) => this.onMessage(p, m));
    child.on('error', (err) => this.o.logger.error({ worker: index, pid: p.pid, err: err.message }, 'worker process error'));
    child.once('exit', (code, signal) => this.onExit(p, code, signal));
    this.o.onWorker?.(p);
    return p;
  }

  private onMessage(p: Proc, m: FromWorker | RpcMessage): void {
    if (p.rpc.dispatch(m)) return;
    if (m.t === 'ready') {
      p.ready = true;
      p.readyAt = Date.now();
      if (p.startTimer) clearTimeout(p.startTimer);
      for (const f of p.onReady.splice(0)) f();
      for (const c of this.pending.splice(0)) this.dispatchPending(c.sock, c.l);
    } else if (m.t === 'closed') {
      this.closedOne(p, m.listener);
    }
  }

  /** A queued connection: the limit was checked when it arrived. */
  private dispatchPending(sock: net.Socket, l: PoolListenOptions): void {
    if (sock.destroyed) return;
    let target: Proc | null = null;
    for (const p of this.procs.values()) if (p.ready && p.child.connected && (!target || p.total < target.total)) target = p;
    if (!target) { this.queue(sock, l); return; }
    this.send(target, sock, l);
  }

  private onExit(p: Proc, code: number | null, signal: NodeJS.Signals | null): void {
    if (p.startTimer) clearTimeout(p.startTimer);
    p.rpc.close();
    if (this.procs.get(p.index) === p) this.procs.delete(p.index);
    try { this.o.onWorkerExit?.(p); } catch { /* the caller's cleanup must not stop the restart */ }
    if (this.closing) return;
    if (!this.started) {
      this.failStart?.(new Error(`worker ${p.index} exited (${signal ?? `code ${code}`}) before it was ready`));
      return;
    }
    this.o.logger.warn({ worker: p.index, pid: p.pid, code, signal, connections: p.total },
      `worker ${p.index} (pid ${p.pid}) died (${signal ?? `exit ${code}`}); its ${p.total} connection(s) are lost; starting a new one`);
    // A worker that ran a while before dying starts again at once; one that keeps dying backs off.
    let failures = this.failures.get(p.index) ?? 0;
    if (p.ready && Date.now() - p.readyAt > 30_000) failures = 0;
    this.failures.set(p.index, failures + 1);
    const delay = failures === 0 ? 0 : Math.min(LIMITS.workerRestartMaxDelayMs, 250 * 2 ** Math.min(failures, 10));
    const t = setTimeout(() => {
      this.restartTimers.delete(t);
      if (this.closing) return;
      const next = this.spawn(p.index);
      this.whenReady(next).then(
        () => this.o.logger.info({ worker: next.index, pid: next.pid, replaced: p.pid }, `worker ${next.index} restarted (pid ${next.pid})`),
        () => undefined, // its exit is logged and handled above
      );
    }, delay);
    this.restartTimers.add(t);
  }

  private whenReady(p: Proc): Promise<void> {
    if (p.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => {
        reject(new Error(`worker ${p.index} exited (${signal ?? code}) before it was ready`));
      };
      p.onReady.push(() => { p.child.off('exit', onExit); resolve(); });
      p.child.once('exit', onExit);
    });
  }
}
