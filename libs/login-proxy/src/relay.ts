/**
 * After login: bytes both ways with backpressure (a side whose peer's write buffer is full is paused
 * until the peer drains) and TCP_NODELAY on both sockets. Either side closing closes the other: a backend
 * that dies mid-session ends the client connection cleanly (FIN after what was already relayed).
 *
 * Idle sessions are what a proxy node holds most of (issue 6: 100,000 in IDLE), so a relay keeps little:
 * one 'data' listener per direction and the close bookkeeping, instead of stream.pipe()'s eight
 * listeners and state per direction.
 */
import type { Socket } from 'node:net';

export interface Relay {
  /** Closes both sides; `farewell` (e.g. IMAP "* BYE ...") is sent to the client first. */
  close(farewell?: string): void;
  readonly closed: Promise<'client' | 'backend' | 'kick'>;
}

/** How long a closing client may take to read what is left before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

const ignore = (): void => undefined;

/** Copies from -> to; while `to` is above its high-water mark, `from` is paused (the kernel buffers push back). */
function forward(from: Socket, to: Socket): void {
  const resume = () => from.resume();
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk) && !to.destroyed && !from.isPaused()) {
      from.pause();
      to.once('drain', resume);
    }
  });
}

export function relay(client: Socket, backend: Socket, pendingToBackend: Buffer[], pendingToClient: Buffer): Relay {
  client.setNoDelay(true);
  backend.setNoDelay(true);
  let resolveClosed!: (w: 'client' | 'backend' | 'kick') => void;
  const closed = new Promise<'client' | 'backend' | 'kick'>((r) => { resolveClosed = r; });
  let over = false;
  const endClient = (why: 'backend' | 'kick', farewell?: string) => {
    if (over) return;
    over = true;
    backend.destroy();
    if (!client.destroyed) {
      client.end(farewell ?? '');
      setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
    }
    resolveClosed(why);
  };
  // Errors are followed by 'close', which is where the session ends.
  client.on('error', ignore);
  backend.on('error', ignore);
  client.on('close', () => {
    if (over) return;
    over = true;
    backend.destroy();
    resolveClosed('client');
  });
  backend.on('close', () => endClient('backend'));
  if (client.destroyed) { over = true; backend.destroy(); resolveClosed('client'); return { close: ignore, closed }; }
  if (pendingToClient.length) client.write(pendingToClient);
  for (const b of pendingToBackend) backend.write(b);
  forward(backend, client);
  forward(client, backend);
  // A half-close from the client (FIN) ends the backend's input too.
  client.on('end', () => { if (!over) backend.end(); });
  client.resume();
  backend.resume();
  return { close: (farewell) => endClient('kick', farewell), closed };
}
