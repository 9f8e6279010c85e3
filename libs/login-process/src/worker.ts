/**
 * The login process side: takes the sockets the parent hands over, tells the parent when each closes
 * (its load count), and exits once it is drained (reload) or, in high-security mode, once its one
 * connection is over (Dovecot service_count=1), so no process ever serves a second user. A login
 * process whose parent is gone exits too.
 */
import net from 'node:net';
import type { ChildMessage, ParentMessage } from './messages.js';

export interface LoginProcessOptions {
  mode: 'high-security' | 'high-performance';
  onConnection: (sock: net.Socket, implicitTls: boolean) => void;
  /** Release what the process holds (registry entries, directory connections) before it exits. */
  shutdown: () => Promise<void>;
  /** This process's metrics (registry.getMetricsAsJSON()), aggregated by the parent's /metrics. */
  metrics?: () => Promise<object[]>;
}

export function serveLoginProcess(o: LoginProcessOptions): { ready(): void; readonly connections: number } {
  if (!process.send) throw new Error('a login process must be started by its parent (child_process.fork)');
  let load = 0;
  let draining = false;
  let exiting = false;
  const tell = (m: ChildMessage) => { if (process.connected) process.send!(m); };
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    const hard = setTimeout(() => process.exit(code), 5_000);
    hard.unref();
    o.shutdown().catch(() => undefined).finally(() => process.exit(code));
  };
  const maybeExit = () => { if (draining && load === 0) exit(0); };
  // Shared by all connections: a closure per connection would be kept as long as the connection (issue 6).
  const onClose = () => { load--; tell({ t: 'closed' }); maybeExit(); };
  const ignore = (): void => { /* close follows */ };
  process.on('message', (m: ParentMessage, handle?: unknown) => {
    if (m.t === 'drain') { draining = true; maybeExit(); return; }
    if (m.t === 'metrics') {
      (o.metrics ?? (async () => []))().then((data) => tell({ t: 'metrics', req: m.req, data }), () => tell({ t: 'metrics', req: m.req, data: [] }));
      return;
    }
    if (m.t !== 'conn') return;
    if (!(handle instanceof net.Socket)) return;
    if (draining && o.mode === 'high-security' && load > 0) { handle.destroy(); return; }
    load++;
    if (o.mode === 'high-security') draining = true;
    // 'close' comes once per socket: on() rather than once(), which would wrap the listener per socket.
    handle.on('close', onClose);
    handle.on('error', ignore);
    o.onConnection(handle, m.implicitTls);
  });
  // The parent died or closed the channel: nobody counts our connections any more.
  process.on('disconnect', () => exit(load === 0 ? 0 : 1));
  // The node is shutting down: unregister the sessions (registry) rather than leave them to expire.
  process.on('SIGTERM', () => exit(0));
  return {
    ready: () => tell({ t: 'ready' }),
    get connections() { return load; },
  };
}
