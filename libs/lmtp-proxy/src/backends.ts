/**
 * The LMTP backends: home server name -> address, one circuit breaker each (libs/routing), and
 * routing (the home server; without one, rendezvous placement over the backends whose breaker is
 * not open, so one user always lands on the same backend while the set is unchanged). Only the
 * proxy's own connect failures and backend timeouts count against a breaker, never a client's input.
 */
import { CircuitBreaker, placeUser, type BreakerState } from '../../routing/src/index.js';
import { splitHostPort } from '../../config/src/schema.js';

export interface LmtpBackend {
  readonly name: string;
  /** TCP host:port, or a UNIX socket path when the configured address starts with "/". */
  readonly target: { host: string; port: number } | { path: string };
}

export type BackendRoute =
  | { ok: true; backend: LmtpBackend }
  | { ok: false; why: 'unknown-home-server' | 'no-healthy-backend' | 'breaker-open'; backend?: string };

export interface BackendSetOptions {
  backends: Readonly<Record<string, string>>;
  failureThreshold: number;
  coolDownMs: number;
  onBreaker?: (backend: string, state: BreakerState) => void;
}

export class BackendSet {
  readonly backends: ReadonlyMap<string, LmtpBackend>;
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(opts: BackendSetOptions) {
    const m = new Map<string, LmtpBackend>();
    for (const [name, addr] of Object.entries(opts.backends)) {
      const key = name.toLowerCase();
      m.set(key, { name: key, target: addr.startsWith('/') ? { path: addr } : splitHostPort(addr) });
      this.breakers.set(key, new CircuitBreaker({ failureThreshold: opts.failureThreshold, coolDownMs: opts.coolDownMs, onChange: (s) => opts.onBreaker?.(key, s) }));
    }
    this.backends = m;
  }

  breaker(name: string): CircuitBreaker { return this.breakers.get(name)!; }

  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([k, b]) => [k, b.state]));
  }

  /** `user` is the canonical address (placement key); a home server with an open breaker is reported as such. */
  route(user: string, homeServer: string | null): BackendRoute {
    if (homeServer) {
      const b = this.backends.get(homeServer.toLowerCase());
      if (!b) return { ok: false, why: 'unknown-home-server', backend: homeServer };
      return this.breakers.get(b.name)!.state === 'open' ? { ok: false, why: 'breaker-open', backend: b.name } : { ok: true, backend: b };
    }
    const healthy = [...this.backends.keys()].filter((k) => this.breakers.get(k)!.state !== 'open');
    const name = placeUser(user, healthy);
    return name ? { ok: true, backend: this.backends.get(name)! } : { ok: false, why: 'no-healthy-backend' };
  }
}
