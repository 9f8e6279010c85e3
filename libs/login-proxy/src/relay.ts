/**
 * After login: bytes both ways with backpressure (pipe pauses the faster side when the other's write
 * buffer is full) and TCP_NODELAY on both sockets. Either side closing closes the other: a backend
 * that dies mid-session ends the client connection cleanly (FIN after what was already relayed).
 */
import type { Socket } from 'node:net';

export interface Relay {
  /** Closes both sides; `farewell` (e.g. IMAP "* BYE ...") is sent to the client first. */
  close(farewell?: string): void;
  readonly closed: Promise<'client' | 'backend' | 'kick'>;
}

/** How long a closing client may take to read what is left before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

export function relay(client: Socket, backend: Socket, pendingToBackend: Buffer[], pendingToClient: Buffer): Relay {
  client.setNoDelay(true);
  backend.setNoDelay(true);
  let resolveClosed!: (w: 'client' | 'backend' | 'kick') => void;
  const closed = new Promise<'client' | 'backend' | 'kick'>((r) => { resolveClosed = r; });
  let over = false;
  const endClient = (why: 'backend' | 'kick', farewell?: string) => {
    if (over) return;
    over = true;
    backend.unpipe(client);
    client.unpipe(backend);
    backend.destroy();
    if (!client.destroyed) {
      client.end(farewell ?? '');
      setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
    }
    resolveClosed(why);
  };
  client.on('error', () => { /* close follows */ });
  backend.on('error', () => { /* close follows */ });
  client.on('close', () => {
    if (over) return;
    over = true;
    backend.destroy();
    resolveClosed('client');
  });
  backend.on('close', () => endClient('backend'));
  if (client.destroyed) { over = true; backend.destroy(); resolveClosed('client'); return { close: () => undefined, closed }; }
  if (pendingToClient.length) client.write(pendingToClient);
  for (const b of pendingToBackend) backend.write(b);
  backend.pipe(client, { end: false });
  client.pipe(backend, { end: false });
  // A half-close from the client (FIN) ends the backend's input too.
  client.on('end', () => { if (!over) backend.end(); });
  client.resume();
  backend.resume();
  return { close: (farewell) => endClient('kick', farewell), closed };
}
