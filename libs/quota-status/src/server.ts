/**
 * The quota-status policy server for Postfix `check_policy_service inet:127.0.0.1:12340`
 * (UCS mail/dovecot/quota-status/ip and /port). One request at a time per connection, in order;
 * Postfix reuses connections. Bad requests and lookup failures get the configured fail answer and
 * a log line; the connection stays usable.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { LIMITS } from '../../core/src/limits.js';
import { quotaStatus, type StatusDeps } from '../../quota/src/status.js';
import { PolicyReceiver, encodeAction } from './codec.js';

export interface QuotaStatusServerDeps extends StatusDeps {
  logger: Logger;
}

export class QuotaStatusServer {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();

  constructor(private deps: QuotaStatusServerDeps) {}

  listen(opts: { host: string; port: number }): Promise<number> {
    const srv = net.createServer((sock) => this.accept(sock));
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port, opts.host, () => {
        srv.off('error', reject);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  updateDeps(deps: QuotaStatusServerDeps): void {
    this.deps = deps;
  }

  /** SIGHUP: new answers apply to the next request. */
  updateAnswers(answers: QuotaStatusServerDeps['answers']): void {
    this.deps = { ...this.deps, answers };
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    const log = this.deps.logger.child({ remote: sock.remoteAddress });
    const rx = new PolicyReceiver(LIMITS.quotaStatusMaxRequestBytes);
    let busy = false;
    sock.setTimeout(LIMITS.quotaStatusIdleTimeoutMs, () => sock.destroy());
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => log.debug({ err }, 'socket error'));
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      sock.pause();
      try {
        for (let ev = rx.next(); ev; ev = rx.next()) {
          const deps = this.deps;
          let action: string;
          if (ev.type === 'invalid') {
            log.warn({ reason: ev.reason }, 'quota-status: bad policy request');
            action = deps.answers.fail;
          } else {
            try {
              const r = await quotaStatus(deps, ev.attrs);
              action = r.action;
              log.debug({ recipient: ev.attrs.recipient, size: ev.attrs.size, verdict: r.verdict }, 'quota-status');
            } catch (err) {
              log.warn({ err, recipient: ev.attrs.recipient }, 'quota-status: lookup failed');
              action = deps.answers.fail;
            }
          }
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

  async close(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const s of this.sockets) s.end();
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}
