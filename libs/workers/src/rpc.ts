/**
 * Requests both ways over one IPC channel between the primary and a worker (JSON messages of the fork
 * channel): call() waits for the other side's answer, notify() does not. The channel also carries the
 * connection hand-over (messages.ts); dispatch() takes only what is an RPC message.
 */
import { LIMITS } from '../../core/src/limits.js';

export type RpcMessage =
  | { t: 'call'; id: number; op: string; arg: unknown }
  | { t: 'notify'; op: string; arg: unknown }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string };

export type Handler = (arg: unknown) => unknown;

export class Rpc {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, Handler>();
  private closed = false;

  /** send: false when the channel is gone (the message was not sent). */
  constructor(private readonly send: (m: RpcMessage) => boolean) {}

  handle(op: string, fn: Handler): void { this.handlers.set(op, fn); }

  call<T = unknown>(op: string, arg: unknown = null, timeoutMs: number = LIMITS.workerCallTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${op}: the other process is gone`));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`${op}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
      timer.unref();
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      if (!this.send({ t: 'call', id, op, arg })) {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(new Error(`${op}: the other process is gone`));
      }
    });
  }

  notify(op: string, arg: unknown = null): void {
    if (!this.closed) this.send({ t: 'notify', op, arg });
  }

  /** Takes an incoming message; false when it is not an RPC message (the caller's own). */
  dispatch(m: unknown): boolean {
    if (typeof m !== 'object' || m === null) return false;
    const msg = m as RpcMessage;
    if (msg.t === 'reply') {
      const w = this.waiting.get(msg.id);
      if (!w) return true; // answered after its timeout
      this.waiting.delete(msg.id);
      clearTimeout(w.timer);
      if (msg.ok) w.resolve(msg.value); else w.reject(new Error(msg.error));
      return true;
    }
    if (msg.t !== 'call' && msg.t !== 'notify') return false;
    const fn = this.handlers.get(msg.op);
    if (msg.t === 'notify') {
      if (fn) void Promise.resolve().then(() => fn(msg.arg)).catch(() => undefined);
      return true;
    }
    const reply = (r: RpcMessage) => { if (!this.closed) this.send(r); };
    if (!fn) { reply({ t: 'reply', id: msg.id, ok: false, error: `unknown request ${msg.op}` }); return true; }
    Promise.resolve().then(() => fn(msg.arg)).then(
      (value) => reply({ t: 'reply', id: msg.id, ok: true, value: value === undefined ? null : value }),
      (e: unknown) => reply({ t: 'reply', id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
    return true;
  }

  /** The channel is gone: every pending call fails now instead of at its timeout. */
  close(): void {
    this.closed = true;
    for (const [id, w] of this.waiting) { clearTimeout(w.timer); w.reject(new Error('the other process is gone')); this.waiting.delete(id); }
  }
}
