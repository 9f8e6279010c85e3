/**
 * Ends a connection after a last reply without leaving it half-open: after end() the socket keeps
 * reading (and dropping) until the client's FIN, because a socket left paused never sees it and would
 * hold the listener's close() forever; a client that never closes is cut off after `graceMs`.
 */
import type { Socket } from 'node:net';

export function endGracefully(socket: Socket, graceMs: number): void {
  socket.end();
  socket.resume();
  setTimeout(() => socket.destroy(), graceMs).unref();
}
