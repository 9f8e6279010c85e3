/**
 * The worker side of a WorkerPool: takes the connections the primary hands over (a SocketSource per
 * listener, given to the protocol server's listen()), tells the primary when each closes (its load
 * count and the node-wide connection limit), answers the primary's requests (rpc), and stops
 * gracefully on SIGTERM / SIGINT, and at once when the primary is gone. SIGHUP is the primary's: it reloads the
 * workers over IPC, so a SIGHUP sent to the whole process group must not kill a worker.
 */
import net from 'node:net';
import type { SocketSource } from '../../netio/src/listeners.js';
import type { FromWorker, ToWorker } from './messages.js';
import { Rpc, type RpcMessage } from './rpc.js';

export interface WorkerSide {
  readonly rpc: Rpc;
  /** The connections of the primary's listener `name`; port = what listen() answers. */
  source(name: string, port?: number): SocketSource;
  /** Tells the primary this worker takes connections. */
  ready(): void;
  /** The graceful stop (close the servers: BYE to the sessions; release registry entries); the process exits after it. */
  onStop(fn: () => Promise<void>, graceMs?: number): void;
}

/** This worker's index (0..count-1, kept by its replacement after a restart); null outside a pool. */
export function workerIndex(): number | null {
  const v = process.env.MAILNODE_WORKER_INDEX;
  return v === undefined || !/^\d+$/.test(v) ? null : Number(v);
}

export function joinPool(): WorkerSide {
  if (!process.send) throw new Error('a worker must be started by its primary (child_process.fork)');
  const send = (m: FromWorker | RpcMessage): boolean => {
    if (!process.connected) return false;
    try { process.send!(m); return true; } catch { return false; }
  };
  const rpc = new Rpc(send);
  const accepts = new Map<string, (sock: net.Socket) => void>();
  let stop: (() => Promise<void>) | null = null;
  let grace = 30_000;
  let stopping = false;

  const exit = (code: number) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(code), grace);
    hard.unref();
    (stop ?? (async () => undefined))().catch(() => undefined).finally(() => process.exit(code));
  };

  process.on('message', (m: ToWorker | RpcMessage, handle?: unknown) => {
    if (rpc.dispatch(m)) return;
    if ((m as ToWorker).t !== 'conn' || !(handle instanceof net.Socket)) return;
    const name = (m as ToWorker).listener;
    const accept = accepts.get(name);
    // The count goes back to the primary whatever becomes of the socket.
    handle.once('close', () => send({ t: 'closed', listener: name }));
    handle.on('error', () => { /* close follows */ });
    if (!accept || stopping) { handle.destroy(); return; }
    accept(handle);
  });
  // The primary is gone (crashed, or SIGKILLed): exit at once. Its successor has a new registry that
  // does not know our sessions, so serving them on would break who/kick and the user+IP limit, and a
  // supervisor restarting the node expects the old processes gone.
  process.on('disconnect', () => { rpc.close(); process.exit(1); });
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.on('SIGHUP', () => undefined);

  return {
    rpc,
    source(name, port = 0): SocketSource {
      return {
        port,
        start(accept) { accepts.set(name, accept); },
        stop() { accepts.delete(name); },
      };
    },
    ready() { send({ t: 'ready' }); },
    onStop(fn, graceMs = 30_000) { stop = fn; grace = graceMs; },
  };
}
