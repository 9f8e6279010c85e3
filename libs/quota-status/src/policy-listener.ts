/**
 * A Postfix policy service listener (codec.ts speaks the protocol), as the backend's quota-status
 * server and the proxy's relay both run it: one request at a time per connection and answers in
 * order (Postfix reuses connections), reading paused meanwhile, idle connections dropped.
 */
import net from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { PolicyReceiver, encodeAction, type PolicyEvent } from './codec.js';

/** What one connection does with its requests: the action for each, and what a socket error means. */
export interface PolicyConnection {
  answer(ev: PolicyEvent): Promise<string>;
  socketError(err: Error): void;
}

export class PolicyListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly connection: (sock: net.Socket) => PolicyConnection) {}

  /** Returns the bound port (0 = ephemeral). */
  listen(host: string, port: number): Promise<number> {
    const srv = net.createServer((sock) => this.accept(sock));
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    const conn = this.connection(sock);
    const rx = new PolicyReceiver(LIMITS.quotaStatusMaxRequestBytes);
    let busy = false;
    sock.setTimeout(LIMITS.quotaStatusIdleTimeoutMs, () => sock.destroy());
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => conn.socketError(err));
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      sock.pause();
      try {
        for (let ev = rx.next(); ev; ev = rx.next()) {
          const action = await conn.answer(ev);
          if (sock.destroyed) return;
          sock.write(encodeAction(action));
        }
      } finally {
        busy = false;
        if (!sock.destroyed) sock.resume();
      }
    };
    sock.on('data', (chunk: Buffer) => { rx.push(chunk); void pump(); });
  }

  connections(): number {
    return this.sockets.size;
  }

  /** Stops listening; open connections are ended (Postfix reconnects when it needs to). */
  async close(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const s of this.sockets) s.end();
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}
