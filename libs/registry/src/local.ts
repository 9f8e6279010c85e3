/** The sessions of this node: shared by both registry implementations. */
import { randomBytes } from 'node:crypto';
import { compileFilter } from './match.js';
import type { RegisterRequest, SessionFilter, SessionInfo } from './types.js';

export interface LocalSession { info: SessionInfo; onKick: (reason: string) => void; }

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
      try { s.onKick(reason); } catch { /* a session's close handler must not stop the kick of others */ }
    }
    return n;
  }
}
