/**
 * Reads CRLF lines from a backend socket during the proxy's handshake (greeting, ID, master login),
 * bounded in length; stop() hands back the bytes after the last line read so nothing the backend
 * sent early is lost when relaying starts.
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (c: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    this.wake();
  };
  private readonly onEnd = () => { this.ended = true; this.wake(); };

  constructor(private readonly sock: Socket) {
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onEnd);
  }

  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }

  /** The next line without CRLF; throws when the connection ends or the line is too long. */
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) {
        const text = this.buf.subarray(0, i).toString('utf8').replace(/\r$/, '');
        this.buf = this.buf.subarray(i + 1);
        return text;
      }
      if (this.buf.length > LIMITS.proxyMaxBackendLine) throw new Error('backend line too long');
      if (this.ended) throw new Error('backend closed the connection');
      await new Promise<void>((r) => { this.waiter = r; });
    }
  }

  /** Stops reading (socket paused) and returns what is buffered beyond the lines read. */
  stop(): Buffer {
    this.sock.pause();
    this.sock.removeListener('data', this.onData);
    this.sock.removeListener('end', this.onEnd);
    this.sock.removeListener('close', this.onEnd);
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}
