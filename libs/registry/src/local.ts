/** The sessions of this node: shared by both registry implementations. */
import { randomBytes } from 'node:crypto';
import { compileFilter } from './match.js';
import type { KickHandler, RegisterRequest, Registration, SessionFilter, SessionInfo } from './types.js';

/** Runs a session's kick handler. */
export function callKick(h: KickHandler, reason: string): void {
  if (typeof h === 'function') h(reason);
  else h.kick(reason);
}

/** What removes a local session: the registry that holds it (Memory: the map; Redis: also its keys). */
export interface LocalOwner { release(s: LocalSession): Promise<void> }

/**
 * One session of this node, which is also its Registration: one object per session, unregister() a
 * method rather than a closure (a proxy node holds tens of thousands of these, issue 6).
 */
export class LocalSession implements Registration {
  constructor(readonly info: SessionInfo, readonly onKick: KickHandler, private readonly owner: LocalOwner) {}
  /** Idempotent: the owner releases a session only while it holds it. */
  unregister(): Promise<void> { return this.owner.release(this); }
}

export class LocalSessions {
  readonly byId = new Map<string, LocalSession>();
  private seq = 0;
  private readonly salt = randomBytes(4).toString('hex');

  constructor(readonly node: string) {}

  /** Cluster-unique: node name, a per-process salt (restarts) and a counter. */
  newInfo(req: RegisterRequest): SessionInfo {
    const id = `${this.node}-${this.salt}-${(++this.seq).toString(36)}`;
    return {
      id, node: this.node, service: req.service, user: req.user.toLowerCase(), ip: req.ip,
      start: Date.now(), ...(req.port !== undefined ? { port: req.port } : {}), ...(req.proxy ? { proxy: true } : {}),
      ...(req.pid !== undefined ? { pid: req.pid } : {}),
    };
  }

  /** Calls onKick of every matching local session (they unregister themselves when they close). */
  kick(filter: SessionFilter, reason: string): number {
    const match = compileFilter(filter);
    let n = 0;
    for (const s of [...this.byId.values()]) {
      if (!match(s.info)) continue;
      n++;
      try { callKick(s.onKick, reason); } catch { /* a session's close handler must not stop the kick of others */ }
    }
    return n;
  }
}
