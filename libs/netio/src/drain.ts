/**
 * Waits for a socket's 'drain' after a write returned false: true when it drained, false when it
 * closed or `timeoutMs` passed first (a client that stopped reading). Listeners are removed either way,
 * so a long session that waits often does not pile them up.
 */
import type { Socket } from 'node:net';

export function waitDrain(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => { cleanup(); resolve(false); }, timeoutMs);
    const onDrain = () => { cleanup(); resolve(true); };
    const onClose = () => { cleanup(); resolve(false); };
    const cleanup = () => { clearTimeout(t); socket.off('drain', onDrain); socket.off('close', onClose); };
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}
