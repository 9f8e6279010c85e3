/**
 * The socket side of the raw line clients of transcript tests (not a test): bytes buffered as they
 * arrive, a reader woken by new data or the close, STARTTLS in place. The protocol's reading
 * (lines, literals, final responses) stays in each client.
 */
import net from 'node:net';
import tls from 'node:tls';

/** Connects to 127.0.0.1:port, in TLS from the first byte if asked (the certificate is not checked). */
export async function connectLoopback(port: number, implicitTls = false): Promise<net.Socket> {
  const sock = implicitTls
    ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false })
    : net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    sock.once(implicitTls ? 'secureConnect' : 'connect', () => resolve());
    sock.once('error', reject);
  });
  return sock;
}

export class BufferedClient {
  protected buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public sock: net.Socket) { this.attach(sock); }

  private attach(sock: net.Socket): void {
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  /** Waits up to `ms` for more data or the close: false if the time ran out first. */
  protected more(ms: number): Promise<boolean> {
    return new Promise<boolean>((r) => { const t = setTimeout(() => r(false), ms); this.waiters.push(() => { clearTimeout(t); r(true); }); });
  }

  /** Puts TLS on this connection (the server has agreed to STARTTLS); `dropBuffered` forgets what came in clear. */
  protected async upgradeTls(options: tls.ConnectionOptions, dropBuffered: boolean): Promise<void> {
    this.sock.removeAllListeners('data');
    const s = tls.connect({ ...options, socket: this.sock });
    await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject); });
    this.sock = s;
    if (dropBuffered) this.buf = Buffer.alloc(0);
    this.attach(s);
  }

  send(data: string | Buffer): void { this.sock.write(data); }

  close(): void { this.sock.destroy(); }
}
