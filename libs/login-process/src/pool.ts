/**
 * The parent side of a login service (Dovecot's master for imap-login, pop3-login, managesieve-login):
 * the parent accepts connections (paused, so it never reads a byte) and hands each socket to a login
 * process over the IPC channel.
 *   high-performance (Dovecot service_count=0): processMinAvail processes (default one per CPU core)
 *     serve up to clientLimit connections each; the least-loaded one gets the next connection; when all
 *     are full another is started, up to processLimit.
 *   high-security (service_count=1): each connection gets a process of its own, which exits when the
 *     connection ends; processMinAvail spare processes are kept started so a connection does not wait
 *     for a process to boot. At most processLimit connections.
 * Past the limit a connection gets the protocol's clean refusal and the warning is logged in Dovecot's
 * words (rate-limited). reload() lets the existing processes finish their connections and starts new
 * ones for new connections. A process that dies loses only its own connections; the pool refills.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { availableParallelism } from 'node:os';
import { LIMITS } from '../../core/src/limits.js';
import { LimitWarning, refuse, type LimitProtocol } from '../../netio/src/limit.js';
import type { ParentMessage, ChildMessage } from './messages.js';

export type LoginMode = 'high-security' | 'high-performance';

/**
 * CPU cores, read once: minAvail is consulted on every connection handed over and every message from a
 * login process, and os.cpus() parses /proc/cpuinfo each time (4 % of the proxy's CPU in bench:proxy).
 */
const CORES = availableParallelism();

export interface LoginLimits {
  mode: LoginMode;
  /** Most login processes at a time (high-security: most connections). */
  processLimit: number;
  /** Connections per process in high-performance mode (high-security: always 1). */
  clientLimit: number;
  /** Processes kept started; 0 = one per CPU core. */
  processMinAvail: number;
}

export interface LoginPoolOptions extends LoginLimits {
  /** Dovecot's service name in log lines: imap-login, pop3-login, managesieve-login. */
  service: string;
  protocol: LimitProtocol;
  /** The compiled login process entry and its arguments (changed by reload). */
  script: string | URL;
  args: string[];
  logger: { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
  execArgv?: string[];
}

interface Proc {
  child: ChildProcess;
  generation: number;
  ready: boolean;
  /** Connections handed over and not yet reported closed (including those waiting for `ready`). */
  load: number;
  /** Taken its one connection (high-security) or told to drain (reload): gets no more connections. */
  closedToNew: boolean;
  pending: Array<{ sock: net.Socket; implicitTls: boolean }>;
  startTimer: NodeJS.Timeout | null;
}

export class LoginProcessPool {
  private readonly procs = new Set<Proc>();
  private generation = 0;
  private closing = false;
  private metricsReq = 0;
  /** Login processes that died before they were ready, in a row: refills back off (a broken start must not spin). */
  private failedStarts = 0;
  private refillTimer: NodeJS.Timeout | null = null;
  private readonly warning: LimitWarning;
  private o: LoginPoolOptions;

  constructor(opts: LoginPoolOptions) {
    this.o = opts;
    this.warning = new LimitWarning(opts.service, (msg, dropped) => this.o.logger.warn({ service: this.o.service, dropped }, msg));
  }

  /** Processes kept started: processMinAvail, or one per CPU core, never above processLimit. */
  get minAvail(): number { return Math.min(this.o.processMinAvail || CORES, this.o.processLimit); }
  private get perProcess(): number { return this.o.mode === 'high-security' ? 1 : this.o.clientLimit; }

  /** Starts processMinAvail processes and waits until they are ready. */
  async start(): Promise<void> {
    const started = [];
    for (let i = 0; i < this.minAvail; i++) started.push(this.spawn());
    await Promise.all(started.map((p) => this.whenReady(p)));
  }

  /** A connection accepted by the parent (created with pauseOnConnect). */
  dispatch(sock: net.Socket, implicitTls: boolean): void {
    if (this.closing) { sock.destroy(); return; }
    let target: Proc | null = null;
    for (const p of this.procs) {
      if (p.closedToNew || p.load >= this.perProcess) continue;
      if (!target || p.load < target.load || (p.ready && !target.ready && p.load === target.load)) target = p;
    }
    if (!target) {
      // Each process holds its connections until they end, whatever generation it is from.
      if (this.counted() >= this.o.processLimit) {
        this.warning.hit('process_limit', this.o.processLimit);
        refuse(sock, this.o.protocol, implicitTls);
        return;
      }
      target = this.spawn();
    }
    target.load++;
    if (this.o.mode === 'high-security') target.closedToNew = true;
    if (target.ready) this.send(target, sock, implicitTls);
    else target.pending.push({ sock, implicitTls });
    this.refill();
  }

  /** New limits / login process arguments: existing processes finish their connections, new ones get the new config. */
  reload(next: Partial<LoginLimits> & { args?: string[] }): void {
    this.o = { ...this.o, ...next };
    this.generation++;
    for (const p of this.procs) this.drain(p);
    this.refill();
  }

  stats(): { processes: number; connections: number; ready: number } {
    let connections = 0;
    let ready = 0;
    for (const p of this.procs) { connections += p.load; if (p.ready) ready++; }
    return { processes: this.procs.size, connections, ready };
  }

  /** Pids of the login processes (tests, the admin view). */
  pids(): number[] { return [...this.procs].map((p) => p.child.pid!).filter((x) => x !== undefined); }

  /** The metrics of every ready login process (prom-client JSON); a process that does not answer in time is left out. */
  async collectMetrics(timeoutMs = 1_000): Promise<object[][]> {
    const asks = [...this.procs].filter((p) => p.ready && p.child.connected).map((p) => new Promise<object[] | null>((resolve) => {
      const req = ++this.metricsReq;
      const timer = setTimeout(() => { p.child.off('message', onMsg); resolve(null); }, timeoutMs);
      const onMsg = (m: ChildMessage) => {
        if (m.t !== 'metrics' || m.req !== req) return;
        clearTimeout(timer); p.child.off('message', onMsg); resolve(m.data);
      };
      p.child.on('message', onMsg);
      this.tell(p, { t: 'metrics', req });
    }));
    return (await Promise.all(asks)).filter((x): x is object[] => x !== null);
  }

  /** Kills every login process (their connections end): the node is shutting down. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    const exits = [...this.procs].map((p) => new Promise<void>((r) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) { r(); return; }
      p.child.once('exit', () => r());
      p.child.kill('SIGTERM');
    }));
    await Promise.all(exits);
  }

  private drain(p: Proc): void {
    p.closedToNew = true;
    if (p.ready && p.child.connected) this.tell(p, { t: 'drain' });
  }

  /** Keeps minAvail processes that can take a connection (high-security: unused spares). */
  private refill(): void {
    if (this.closing) return;
    let open = 0;
    for (const p of this.procs) if (!p.closedToNew) open++;
    let counted = this.counted();
    while (open < this.minAvail && counted < this.o.processLimit) { this.spawn(); open++; counted++; }
  }

  /** Processes that count toward process_limit: all but those closed to new connections with none left (they are exiting). */
  private counted(): number {
    let n = 0;
    for (const p of this.procs) if (!p.closedToNew || p.load > 0) n++;
    return n;
  }

  private spawn(): Proc {
    const child = fork(this.o.script, this.o.args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: this.o.execArgv ?? process.execArgv, serialization: 'json' });
    const p: Proc = { child, generation: this.generation, ready: false, load: 0, closedToNew: false, pending: [], startTimer: null };
    this.procs.add(p);
    p.startTimer = setTimeout(() => {
      this.o.logger.error({ service: this.o.service, pid: child.pid }, 'login process did not become ready; killing it');
      child.kill('SIGKILL');
    }, LIMITS.loginProcessStartTimeoutMs);
    child.on('message', (m: ChildMessage) => this.onMessage(p, m));
    child.on('error', (err) => this.o.logger.error({ service: this.o.service, err: err.message }, 'login process error'));
    child.once('exit', (code, signal) => this.onExit(p, code, signal));
    return p;
  }

  private onMessage(p: Proc, m: ChildMessage): void {
    if (m.t === 'ready') {
      p.ready = true;
      this.failedStarts = 0;
      if (p.startTimer) clearTimeout(p.startTimer);
      // Reloaded (or drained) while it was starting: it still serves what was queued for it.
      if (p.generation !== this.generation && p.pending.length === 0) { this.drain(p); this.refill(); return; }
      for (const c of p.pending.splice(0)) this.send(p, c.sock, c.implicitTls);
      if (p.generation !== this.generation) this.drain(p);
    } else if (m.t === 'closed') {
      p.load = Math.max(0, p.load - 1);
      if (p.load < this.perProcess) this.refill();
    }
  }

  private onExit(p: Proc, code: number | null, signal: NodeJS.Signals | null): void {
    if (p.startTimer) clearTimeout(p.startTimer);
    this.procs.delete(p);
    for (const c of p.pending) c.sock.destroy();
    const expected = code === 0 && p.closedToNew;
    if (!expected && !this.closing) {
      this.o.logger.warn({ service: this.o.service, pid: p.child.pid, code, signal, connections: p.load },
        `login process ${p.child.pid} died (${signal ?? `exit ${code}`}); its ${p.load} connection(s) are lost`);
    }
    if (!p.ready && !this.closing) {
      this.failedStarts++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failedStarts, 7));
      if (!this.refillTimer) this.refillTimer = setTimeout(() => { this.refillTimer = null; this.refill(); }, delay);
      return;
    }
    this.refill();
  }

  private send(p: Proc, sock: net.Socket, implicitTls: boolean): void {
    if (!p.child.connected) { sock.destroy(); p.load = Math.max(0, p.load - 1); return; }
    const msg: ParentMessage = { t: 'conn', implicitTls };
    p.child.send(msg, sock, {}, (err) => {
      if (err) { sock.destroy(); p.load = Math.max(0, p.load - 1); this.o.logger.warn({ service: this.o.service, err: err.message }, 'handing a connection to a login process failed'); }
    });
  }

  private tell(p: Proc, m: ParentMessage): void {
    try { p.child.send(m); } catch { /* it is exiting */ }
  }

  private whenReady(p: Proc): Promise<void> {
    if (p.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onMsg = (m: ChildMessage) => { if (m.t === 'ready') { cleanup(); resolve(); } };
      const onExit = (code: number | null, signal: string | null) => { cleanup(); reject(new Error(`login process exited (${signal ?? code}) before it was ready`)); };
      const cleanup = () => { p.child.off('message', onMsg); p.child.off('exit', onExit); };
      p.child.on('message', onMsg);
      p.child.once('exit', onExit);
    });
  }
}
