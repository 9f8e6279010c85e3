/**
 * A protocol server's view of the registry: one registration per authenticated session, taken at
 * login (with the user+IP limit, cluster-wide when the registry is Redis) and dropped when the
 * session ends. Shared by the IMAP, POP3 and ManageSieve servers and the proxies.
 */
import type { RegisterRequest, Registration, SessionRegistry } from './types.js';

export class SessionSlots<S extends object> {
  private readonly held = new Map<S, Registration>();
  private readonly ended = new WeakSet<S>();

  constructor(private registry: SessionRegistry, private readonly onError?: (err: unknown) => void) {}

  /** Swapped on reload when the registry configuration changes; held registrations stay with the old one. */
  setRegistry(r: SessionRegistry): void { this.registry = r; }

  /** false when the user+IP limit is reached. A registry failure never blocks a login (fail open). */
  async claim(session: S, req: RegisterRequest): Promise<boolean> {
    let r;
    try {
      r = await this.registry.register(req);
    } catch (e) {
      this.onError?.(e);
      return true;
    }
    if (!r.ok) return false;
    // The client may have gone while we waited for Redis.
    if (this.ended.has(session)) { void r.registration.unregister(); return true; }
    this.held.set(session, r.registration);
    return true;
  }

  /** `ended` false: the session lives on unauthenticated (ManageSieve UNAUTHENTICATE) and may claim again. */
  release(session: S, ended = true): void {
    if (ended) this.ended.add(session);
    const r = this.held.get(session);
    if (!r) return;
    this.held.delete(session);
    r.unregister().catch((e: unknown) => this.onError?.(e));
  }

  get size(): number { return this.held.size; }
}
