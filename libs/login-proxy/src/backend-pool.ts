/**
 * The backends of one protocol: home server name -> address, a circuit breaker per backend, routing
 * (home server, else rendezvous placement over backends whose breaker is not open) and connecting with
 * one retry. Only connect failures and handshake timeouts count against a breaker (libs/routing), never
 * a refused login, so one misbehaving client cannot trip it.
 */
import net from 'node:net';
import { CircuitBreaker, placeUser, type BreakerState } from '../../routing/src/index.js';
import { splitHostPort } from '../../config/src/schema.js';

export interface Backend { readonly name: string; readonly host: string; readonly port: number }

export interface PoolOptions {
  /** Home server name (FQDN) -> "host:port". */
  backends: Readonly<Record<string, string>>;
  failureThreshold: number;
  coolDownMs: number;
  connectTimeoutMs: number;
  /**
   * Local addresses the connections to the backends are made from, taken in turn (Dovecot
   * login_source_ips). One source address reaches one backend address:port from ~28,000 ephemeral
   * ports (and a bound source address takes its port before connect, so all backends share them):
   * a proxy with more sessions than that spreads them over several addresses. Empty = the kernel picks.
   */
  sourceAddresses?: readonly string[];
  onBreaker?: (backend: string, state: BreakerState) => void;
  onFailure?: (backend: string, err: Error) => void;
}

export type Route =
  | { ok: true; backend: Backend }
  | { ok: false; why: 'unknown-home-server' | 'no-healthy-backend'; homeServer?: string };

/** The protocol's part of connecting: read the greeting, pass the client, log in as master user. */
export type Handshake<T> = (sock: net.Socket, signal: AbortSignal) => Promise<T>;

/** A login the backend refused (master user not accepted): the backend works, so no breaker failure. */
export class BackendRefused extends Error {}

export type OpenResult<T> =
  | { ok: true; socket: net.Socket; value: T }
  | { ok: false; why: 'breaker-open' | 'failed' | 'refused'; error?: Error };

const ignoreError = (): void => undefined;

/** A failure to bind the local address (not the backend's fault): try the next source address. */
const LOCAL_BIND_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL']);

export class BackendPool {
  readonly backends: ReadonlyMap<string, Backend>;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private nextSource = 0;

  constructor(private readonly opts: PoolOptions) {
    const m = new Map<string, Backend>();
    for (const [name, addr] of Object.entries(opts.backends)) {
      const key = name.toLowerCase();
      m.set(key, { name: key, ...splitHostPort(addr) });
      this.breakers.set(key, new CircuitBreaker({
        failureThreshold: opts.failureThreshold, coolDownMs: opts.coolDownMs,
        onChange: (s) => opts.onBreaker?.(key, s),
      }));
    }
    this.backends = m;
  }

  breakerState(name: string): BreakerState | null { return this.breakers.get(name)?.state ?? null; }

  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([k, b]) => [k, b.state]));
  }

  /** Home server when set (an unknown one is a configuration error: the caller logs it); else placement. */
  route(user: string, homeServer: string | null): Route {
    if (homeServer) {
      const b = this.backends.get(homeServer.toLowerCase());
      return b ? { ok: true, backend: b } : { ok: false, why: 'unknown-home-server', homeServer };
    }
    const healthy = [...this.backends.keys()].filter((k) => this.breakers.get(k)!.state !== 'open');
    const name = placeUser(user, healthy);
    return name ? { ok: true, backend: this.backends.get(name)! } : { ok: false, why: 'no-healthy-backend' };
  }

  /** Connects and runs the handshake; a connect failure or timeout is retried once (issue 6). */
  async open<T>(backend: Backend, handshake: Handshake<T>): Promise<OpenResult<T>> {
    const breaker = this.breakers.get(backend.name)!;
    let last: Error | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!breaker.allow()) return { ok: false, why: 'breaker-open', ...(last ? { error: last } : {}) };
      const r = await this.attemptFromSources(backend, handshake);
      if (r.ok) { breaker.success(); return r; }
      if (r.why === 'refused') { breaker.success(); return r; }
      last = r.error;
      breaker.failure();
      this.opts.onFailure?.(backend.name, r.error ?? new Error('backend failed'));
    }
    return { ok: false, why: 'failed', ...(last ? { error: last } : {}) };
  }

  /** Source addresses of the backend's family, the next in turn first; [undefined] = let the kernel pick. */
  private sourcesFor(backend: Backend): Array<string | undefined> {
    const all = this.opts.sourceAddresses ?? [];
    const family = net.isIP(backend.host);
    const usable = family === 0 ? all : all.filter((a) => net.isIP(a) === family);
    if (usable.length === 0) return [undefined];
    const start = this.nextSource++ % usable.length;
    return [...usable.slice(start), ...usable.slice(0, start)];
  }

  /** One attempt; a source address that cannot be bound (its ports used up) passes to the next one. */
  private async attemptFromSources<T>(backend: Backend, handshake: Handshake<T>): Promise<OpenResult<T>> {
    let r: OpenResult<T> = { ok: false, why: 'failed' };
    for (const source of this.sourcesFor(backend)) {
      r = await this.attempt(backend, handshake, source);
      const code = !r.ok ? (r.error as NodeJS.ErrnoException | undefined)?.code : undefined;
      if (r.ok || source === undefined || !code || !LOCAL_BIND_ERRORS.has(code)) return r;
      this.opts.onFailure?.(backend.name, new Error(`source address ${source}: ${code}`));
    }
    return r;
  }

  private attempt<T>(backend: Backend, handshake: Handshake<T>, localAddress?: string): Promise<OpenResult<T>> {
    return new Promise((resolve) => {
      const ac = new AbortController();
      const sock = net.connect({ host: backend.host, port: backend.port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
      let done = false;
      const finish = (r: OpenResult<T>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        // Until the relay takes over, a late error must not become an uncaught exception. A module-level
        // function: a closure made here would keep this attempt's scope alive as long as the session.
        sock.on('error', ignoreError);
        sock.removeListener('error', onError);
        sock.removeListener('close', onClose);
        if (!r.ok) { ac.abort(); sock.destroy(); }
        resolve(r);
      };
      const onError = (e: Error) => finish({ ok: false, why: 'failed', error: e });
      const onClose = () => finish({ ok: false, why: 'failed', error: new Error('backend closed the connection during login') });
      const timer = setTimeout(() => finish({ ok: false, why: 'failed', error: new Error(`backend timeout after ${this.opts.connectTimeoutMs} ms`) }), this.opts.connectTimeoutMs);
      sock.on('error', onError);
      sock.on('close', onClose);
      sock.once('connect', () => {
        handshake(sock, ac.signal).then(
          (value) => finish({ ok: true, socket: sock, value }),
          (e: unknown) => {
            const err = e instanceof Error ? e : new Error(String(e));
            finish({ ok: false, why: e instanceof BackendRefused ? 'refused' : 'failed', error: err });
          },
        );
      });
    });
  }
}
