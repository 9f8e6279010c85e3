/**
 * A logged-in proxied session from the relay's start to its end: metrics, the kick hook, the log line
 * and the registry entry. Built from plain values so that nothing of the pre-login session (its
 * parser, input buffers, async frames) stays reachable while the session idles: a proxy node holds
 * tens of thousands of these (issue 6).
 */
import type { Socket } from 'node:net';
import type { Registration, ServiceName } from '../../registry/src/types.js';
import { proxyMetrics } from './metrics.js';
import { relay } from './relay.js';
import type { ProxyDeps } from './types.js';

/**
 * The registry's kick callback exists before the relay does (it is given at registration): a kick
 * that arrives in between is remembered and carried out when the relay is armed.
 */
export class KickSlot {
  private fn: (() => void) | null = null;
  private early = false;
  readonly fire = (): void => { if (this.fn) this.fn(); else this.early = true; };
  arm(fn: () => void): void {
    this.fn = fn;
    if (this.early) fn();
  }
}

export interface RelayedSession {
  deps: ProxyDeps;
  protocol: ServiceName;
  client: Socket;
  backend: Socket;
  /** Client bytes pipelined behind the login, for the backend. */
  pendingToBackend: Buffer[];
  /** Backend bytes read with its login replies, for the client. */
  pendingToClient: Buffer;
  kick: KickSlot;
  /** What the client is told when an administrator kicks the session. */
  kickFarewell: string;
  user: string;
  backendName: string;
  registration: Registration;
}

/** Starts relaying and returns at once; the bookkeeping at the end runs when either side closes. */
export function startRelayedSession(s: RelayedSession): void {
  const { deps, protocol, user, backendName, registration } = s;
  const m = proxyMetrics(deps.metrics);
  const r = relay(s.client, s.backend, s.pendingToBackend, s.pendingToClient);
  const farewell = s.kickFarewell;
  s.kick.arm(() => r.close(farewell));
  m.sessions.inc({ protocol });
  void r.closed.then((why) => {
    m.sessions.dec({ protocol });
    deps.logger.info({ user, backend: backendName, closedBy: why, session: registration.info.id }, 'proxy session closed');
    return registration.unregister();
  }).catch(() => undefined);
}
