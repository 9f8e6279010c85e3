/**
 * Client input before login: socket data is pushed into a pull-model protocol receiver; reading
 * pauses while the receiver holds more than a bound (the kernel buffer is then the backpressure).
 */
import type { Socket } from 'node:net';

export interface PullReceiver<E> { push(chunk: Buffer): void; next(): E | null; readonly buffered: number }

const MAX_BUFFERED = 64 * 1024;

export class ClientInput<E> {
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (c: Buffer) => {
    this.receiver.push(c);
    if (this.receiver.buffered > MAX_BUFFERED) this.sock.pause();
    this.wake();
  };
  private readonly onEnd = () => { this.ended = true; this.wake(); };

  constructor(readonly sock: Socket, public receiver: PullReceiver<E>) {
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onEnd);
  }

  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }

  /** The next event, or null at end of input. */
  async next(timeoutMs: number): Promise<E | null> {
    for (;;) {
      const ev = this.receiver.next();
      if (ev) return ev;
      if (this.ended) return null;
      this.sock.resume();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((r) => {
        this.waiter = () => r(false);
        timer = setTimeout(() => r(true), timeoutMs);
      });
      clearTimeout(timer);
      if (timedOut) return null;
    }
  }

  /** Stops reading from this socket (before STARTTLS or relaying). */
  detach(): void {
    this.sock.pause();
    this.sock.removeListener('data', this.onData);
    this.sock.removeListener('end', this.onEnd);
    this.sock.removeListener('close', this.onEnd);
  }
}
