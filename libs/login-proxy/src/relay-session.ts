/**
 * A logged-in proxied session from the relay's start to its end: metrics, the kick hook, the log line
 * and the registry entry. One object per session, made at login from plain values, so that nothing of
 * the pre-login session (its parser, input buffers, async frames) stays reachable while the session
 * idles: a proxy node holds tens of thousands of these (issue 6).
 */
import type { Socket } from 'node:net';
import type { Registration, ServiceName } from '../../registry/src/types.js';
import { proxyMetrics } from './metrics.js';
import { RelayBase, type RelayEnd } from './relay.js';
import type { ProxyDeps } from './types.js';

/** What the login gives the relay (from proxyLogin's result). */
export interface RelayStart {
  backend: Socket;
  /** Client bytes pipelined behind the login, for the backend. */
  pendingToBackend: Buffer[];
  /** Backend bytes read with its login replies, for the client. */
  pendingToClient: Buffer;
  user: string;
  backendName: string;
  registration: Registration;
}

/** Made before the login, because it is the registry's kick handler from registration on (KickHandler). */
export class RelayedSession extends RelayBase {
  private kickedEarly = false;
  private started = false;
  private user = '';
  private backendName = '';
  private registration: Registration | null = null;

  /** `farewell`: what the client is told when an administrator kicks the session. */
  constructor(private readonly deps: ProxyDeps, private readonly protocol: ServiceName, client: Socket, private readonly farewell: string) {
    super(client);
  }

  /** The registry's kick: a kick that arrives between registration and the relay's start is carried out at the start. */
  kick(): void {
    if (this.started) this.close(this.farewell);
    else this.kickedEarly = true;
  }

  /** Starts relaying and returns at once; the bookkeeping at the end runs when either side closes. */
  start(s: RelayStart): void {
    this.started = true;
    this.user = s.user;
    this.backendName = s.backendName;
    this.registration = s.registration;
    // Before the relay: it may end at once (client already gone), and the gauge must go up before down.
    proxyMetrics(this.deps.metrics).sessions.inc({ protocol: this.protocol });
    this.startRelay(s.backend, s.pendingToBackend, s.pendingToClient);
    if (this.kickedEarly) this.close(this.farewell);
  }

  protected override closed(why: RelayEnd): void {
    proxyMetrics(this.deps.metrics).sessions.dec({ protocol: this.protocol });
    const reg = this.registration!;
    this.deps.logger.info({ user: this.user, backend: this.backendName, closedBy: why, session: reg.info.id }, 'proxy session closed');
    reg.unregister().catch(() => undefined);
  }
}
