/** In-process registry (embedded default): who / kick / user+IP limits on this one node. */
import { compileFilter } from './match.js';
import { LocalSession, LocalSessions, type LocalOwner } from './local.js';
import type { KickResult, RegisterRequest, RegisterResult, SessionFilter, SessionInfo, SessionRegistry } from './types.js';

export class MemoryRegistry implements SessionRegistry, LocalOwner {
  private readonly local: LocalSessions;

  constructor(readonly node: string) { this.local = new LocalSessions(node); }

  async register(req: RegisterRequest): Promise<RegisterResult> {
    if (req.maxUserIp > 0) {
      const user = req.user.toLowerCase();
      let current = 0;
      for (const s of this.local.byId.values()) {
        if (s.info.service === req.service && s.info.user === user && s.info.ip === req.ip && !s.info.proxy === !req.proxy) current++;
      }
      if (current >= req.maxUserIp) return { ok: false, reason: 'userip-limit', current };
    }
    const s = new LocalSession(this.local.newInfo(req), req.onKick, this);
    this.local.byId.set(s.info.id, s);
    return { ok: true, registration: s };
  }

  async release(s: LocalSession): Promise<void> { this.local.byId.delete(s.info.id); }

  async list(filter?: SessionFilter): Promise<SessionInfo[]> {
    const match = compileFilter(filter);
    return [...this.local.byId.values()].map((s) => s.info).filter(match);
  }

  async kick(filter: SessionFilter, reason = 'Kicked by admin'): Promise<KickResult> {
    return { kicked: this.local.kick(filter, reason), nodesAnswered: 1, nodesAsked: 1 };
  }

  localCount(): number { return this.local.byId.size; }

  async close(): Promise<void> { this.local.byId.clear(); }
}
