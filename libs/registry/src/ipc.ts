/**
 * The registry of a node that runs worker processes (libs/workers): the primary holds the node's one
 * registry (in-process MemoryRegistry, or Redis) and the workers reach it over the IPC channel, so
 * `who`, `kick` and the per-user-and-IP limit (mail_max_userip_connections) see every worker's
 * sessions as one node's, whichever registry the node runs.
 *   worker: IpcRegistry (register / unregister / list / kick are requests to the primary; a kick comes
 *           back as a `registry.kicked` notice naming the session)
 *   primary: serveRegistry() per worker; dropAll() when the worker is gone, so its sessions leave the
 *           registry and free their user+IP slots at once.
 */
import { callKick } from './local.js';
import type { KickHandler, KickResult, RegisterRequest, RegisterResult, Registration, SessionFilter, SessionInfo, SessionRegistry } from './types.js';

/** The requests channel (libs/workers Rpc has this shape). */
export interface RegistryLink {
  call<T = unknown>(op: string, arg?: unknown): Promise<T>;
  notify(op: string, arg?: unknown): void;
  handle(op: string, fn: (arg: unknown) => unknown): void;
}

type WireRequest = Omit<RegisterRequest, 'onKick'>;
type WireResult = { ok: true; info: SessionInfo } | { ok: false; reason: 'userip-limit'; current: number };

export class IpcRegistry implements SessionRegistry {
  private readonly kicks = new Map<string, KickHandler>();

  constructor(readonly node: string, private readonly link: RegistryLink, private readonly pid: number = process.pid) {
    link.handle('registry.kicked', (arg) => {
      const a = arg as { id?: unknown; reason?: unknown };
      const onKick = typeof a?.id === 'string' ? this.kicks.get(a.id) : undefined;
      try { if (onKick) callKick(onKick, typeof a.reason === 'string' ? a.reason : 'Kicked by admin'); } catch { /* one session's close must not stop others */ }
    });
  }

  async register(req: RegisterRequest): Promise<RegisterResult> {
    const { onKick, ...wire } = req;
    const r = await this.link.call<WireResult>('registry.register', { ...wire, pid: this.pid } satisfies WireRequest);
    if (!r.ok) return r;
    const id = r.info.id;
    this.kicks.set(id, onKick);
    let done = false;
    const registration: Registration = {
      info: r.info,
      unregister: async () => {
        if (done) return;
        done = true;
        this.kicks.delete(id);
        await this.link.call('registry.unregister', id);
      },
    };
    return { ok: true, registration };
  }

  list(filter?: SessionFilter): Promise<SessionInfo[]> { return this.link.call<SessionInfo[]>('registry.list', filter ?? {}); }

  kick(filter: SessionFilter, reason = 'Kicked by admin'): Promise<KickResult> {
    return this.link.call<KickResult>('registry.kick', { filter, reason });
  }

  localCount(): number { return this.kicks.size; }

  /** The primary drops this worker's sessions when the worker is gone; here we only forget them. */
  async close(): Promise<void> {
    const ids = [...this.kicks.keys()];
    this.kicks.clear();
    await Promise.allSettled(ids.map((id) => this.link.call('registry.unregister', id)));
  }
}

const SERVICES = new Set(['imap', 'pop3', 'sieve', 'lmtp', 'submission']);

function wireRequest(arg: unknown): WireRequest | null {
  const a = arg as Partial<WireRequest> | null;
  if (!a || typeof a.user !== 'string' || typeof a.ip !== 'string' || !SERVICES.has(a.service as string)) return null;
  if (typeof a.maxUserIp !== 'number') return null;
  return {
    service: a.service!, user: a.user, ip: a.ip, maxUserIp: a.maxUserIp,
    ...(typeof a.port === 'number' ? { port: a.port } : {}), ...(a.proxy === true ? { proxy: true } : {}),
    ...(typeof a.pid === 'number' ? { pid: a.pid } : {}),
  };
}

/** The primary's side for one worker: its requests go to `registry`; dropAll() when the worker is gone. */
export function serveRegistry(registry: SessionRegistry, link: RegistryLink): { dropAll(): Promise<void>; readonly size: number } {
  const held = new Map<string, Registration>();
  link.handle('registry.register', async (arg): Promise<WireResult> => {
    const req = wireRequest(arg);
    if (!req) throw new Error('bad registry.register request');
    let id = '';
    const r = await registry.register({ ...req, onKick: (reason) => link.notify('registry.kicked', { id, reason }) });
    if (!r.ok) return r;
    id = r.registration.info.id;
    held.set(id, r.registration);
    return { ok: true, info: r.registration.info };
  });
  link.handle('registry.unregister', async (arg) => {
    if (typeof arg !== 'string') return;
    const reg = held.get(arg);
    held.delete(arg);
    await reg?.unregister();
  });
  link.handle('registry.list', (arg) => registry.list((arg ?? {}) as SessionFilter));
  link.handle('registry.kick', (arg) => {
    const a = (arg ?? {}) as { filter?: SessionFilter; reason?: string };
    return registry.kick(a.filter ?? {}, typeof a.reason === 'string' ? a.reason : undefined);
  });
  return {
    async dropAll() {
      const regs = [...held.values()];
      held.clear();
      await Promise.allSettled(regs.map((r) => r.unregister()));
    },
    get size() { return held.size; },
  };
}
