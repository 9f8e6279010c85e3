/** Helpers shared by profiles: client loops that end at the stop signal, interruptible sleeps. */
import type { RunContext } from './types.js';

/** Sleeps `ms` or until the run stops, whichever comes first. */
export async function pause(ctx: RunContext, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([ctx.stopped, new Promise<void>((r) => { t = setTimeout(r, ms); })]);
  if (t) clearTimeout(t);
}

/** Runs `n` copies of `loop` (each gets its index) and waits for all. */
export async function runClients(n: number, loop: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_v, i) => loop(i)));
}

/** Registers a connection as live for the run's hard stop; returns the unregister function. */
export function track(ctx: RunContext, c: { destroy(): void }): () => void {
  ctx.live.add(c);
  ctx.sessions.open++;
  let done = false;
  return () => { if (!done) { done = true; ctx.live.delete(c); ctx.sessions.open--; } };
}

export function errMsg(e: unknown): string { return e instanceof Error ? e.message : String(e); }
