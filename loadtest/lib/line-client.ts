/**
 * A small line-oriented client (POP3, LMTP, ManageSieve): read CRLF lines or counted octets,
 * write commands, upgrade to TLS in place. Lines are latin1 text without the CRLF. A closed
 * connection or a timeout rejects the pending read.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { openSocket, upgradeTls, type Target } from './target.js';

type Waiter = { kind: 'line' } | { kind: 'bytes'; n: number };

export class LineClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { w: Waiter; resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null } | null = null;
  private closedErr: Error | null = null;
  /** Octets received so far (for throughput accounting). */
  bytesIn = 0;

  private constructor(private sock: Socket | TLSSocket, private readonly target: Target, public timeoutMs: number) {
    this.attach(sock);
  }

  static async connect(target: Target, port: number, implicitTls: boolean, localAddress?: string, timeoutMs = 30_000): Promise<LineClient> {
    const s = await openSocket(target, port, implicitTls, localAddress);
    return new LineClient(s, target, timeoutMs);
  }

  private attach(s: Socket | TLSSocket): void {
    s.on('data', (d: Buffer) => { this.bytesIn += d.length; this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d; this.pump(); });
    s.on('error', (e) => this.fail(e));
    s.on('close', () => this.fail(new Error('connection closed by server')));
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    const w = this.waiter; this.waiter = null;
    if (w) { if (w.timer) clearTimeout(w.timer); w.reject(e); }
  }

  get closed(): boolean { return this.closedErr !== null; }

  private pump(): void {
    const w = this.waiter;
    if (!w) return;
    let out: Buffer | null = null;
    if (w.w.kind === 'line') {
      const lf = this.buf.indexOf(10);
      if (lf >= 0) {
        const end = lf > 0 && this.buf[lf - 1] === 13 ? lf - 1 : lf;
        out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(lf + 1);
      }
    } else if (this.buf.length >= w.w.n) {
      out = this.buf.subarray(0, w.w.n);
      this.buf = this.buf.subarray(w.w.n);
    }
    if (out) {
      this.waiter = null;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(Buffer.from(out));
    }
  }

  private read(w: Waiter): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error('concurrent read on a line client'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.timeoutMs > 0 ? setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no reply within ${this.timeoutMs} ms`));
        this.destroy();
      }, this.timeoutMs) : null;
      this.waiter = { w, resolve, reject, timer };
      this.pump();
      if (this.waiter && this.closedErr) { this.waiter = null; if (timer) clearTimeout(timer); reject(this.closedErr); }
    });
  }

  async readLine(): Promise<string> { return (await this.read({ kind: 'line' })).toString('latin1'); }
  readBytes(n: number): Promise<Buffer> { return n === 0 ? Promise.resolve(Buffer.alloc(0)) : this.read({ kind: 'bytes', n }); }

  write(data: string | Buffer): boolean {
    if (this.closedErr) throw this.closedErr;
    return this.sock.write(data);
  }

  /** Waits until the socket's write buffer drained (backpressure for large bodies). */
  async drain(): Promise<void> {
    if (!this.sock.writableNeedDrain) return;
    await new Promise<void>((resolve) => this.sock.once('drain', () => resolve()));
  }

  /** Replaces the socket by a TLS socket over it (after the server's STARTTLS/STLS OK). */
  async startTls(): Promise<void> {
    const plain = this.sock as Socket;
    plain.removeAllListeners('data'); plain.removeAllListeners('close'); plain.removeAllListeners('error');
    this.sock = await upgradeTls(this.target, plain);
    this.attach(this.sock);
  }

  destroy(): void { this.sock.destroy(); }
}

/** Undoes dot-stuffing of a multi-line POP3/SMTP body (RFC 1939 §3, RFC 5321 §4.5.2). */
export function unstuffLine(line: string): string { return line.startsWith('..') ? line.slice(1) : line; }

/** Dot-stuffs a CRLF message for DATA and appends the terminator (RFC 5321 §4.5.2). */
export function dotStuff(msg: Buffer): Buffer {
  const text = msg.toString('latin1');
  const stuffed = (text.startsWith('.') ? '.' : '') + text.replace(/\r\n\./g, '\r\n..');
  return Buffer.from(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1');
}
