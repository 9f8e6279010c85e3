/**
 * Graceful stop of a line-protocol server: stop listening, let sessions finish what they are doing
 * (up to `graceMs`), then say goodbye to each (`bye`) and wait for the listeners to close. LMTP needs
 * the wait most: a reply cut off after the message was stored makes Postfix deliver it again.
 */
import type { Server } from 'node:net';

export async function stopGracefully<S extends { whenIdle(): Promise<void> }>(
  servers: readonly Server[], sessions: ReadonlySet<S>, graceMs: number, bye: (s: S) => void,
): Promise<void> {
  const stopped = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([...sessions].map((s) => s.whenIdle())),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); }),
  ]);
  clearTimeout(timer);
  for (const s of sessions) bye(s);
  await stopped;
}
