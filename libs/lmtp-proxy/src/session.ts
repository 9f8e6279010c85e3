/**
 * One LMTP connection to the proxy (from Postfix): the same pure receiver as the backend's server,
 * events pulled one at a time (pipelined commands in order, reading paused while the backends
 * work), replies corked per batch (RFC 2920). Session-level commands are here; MAIL/RCPT in
 * envelope.ts, DATA/BDAT in data.ts.
 */
import type { Socket } from 'node:net';
import type { Hash } from 'node:crypto';
import { LIMITS } from '../../core/src/limits.js';
import { endGracefully } from '../../netio/src/close.js';
import { waitDrain } from '../../netio/src/drain.js';
import { LmtpReceiver } from '../../lmtp-codec/src/receiver.js';
import { formatReply, reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { Command, ReceiverEvent } from '../../lmtp-codec/src/types.js';
import { transactionId } from '../../delivery/src/deliverer.js';
import type { Spool } from '../../delivery/src/spool.js';
import type { LmtpProxyDeps } from './deps.js';
import type { ProxyMetrics } from './metrics.js';
import type { AcceptedRcpt } from './fanout.js';
import { onBodyData, onBodyEnd, startBdat, startData } from './data.js';
import { onMail, onRcpt } from './envelope.js';

/** One mail transaction (MAIL … end of data), reset by RSET, LHLO and after each message. */
export interface ProxyTransaction {
  from: string;
  mailParams: ReadonlyMap<string, string | true>;
  rcpts: AcceptedRcpt[];
  spool: Spool | null;
  /** SHA-256 of the body as it arrives (the dedup key of split groups). */
  hash: Hash | null;
  mode: 'none' | 'data' | 'bdat';
  tooBig: boolean;
  failed: unknown;
}

export class ProxySession {
  readonly id = transactionId();
  readonly rx = new LmtpReceiver({ maxLineLength: LIMITS.lmtpMaxLineLength });
  heloName: string | null = null;
  tx: ProxyTransaction | null = null;
  chunk: { last: boolean; refused: Reply | null } | null = null;
  closed = false;
  private badCommands = 0;
  private busy = false;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly socket: Socket, readonly deps: LmtpProxyDeps, readonly remote: string, readonly metrics: ProxyMetrics | null) {
    socket.setNoDelay(true);
    socket.setTimeout(deps.config.idleTimeoutMs, () => this.close(reply(421, '4.4.2', `${deps.config.hostname} Disconnected for inactivity`)));
    socket.on('data', (chunk: Buffer) => { if (this.closed) return; this.rx.push(chunk); void this.pump(); });
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closed = true; void this.abortTransaction(); });
    this.send(reply(220, null, `${deps.config.hostname} LMTP proxy ready`));
  }

  send(r: Reply): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(formatReply(r));
  }

  close(r?: Reply): void {
    if (this.closed) return;
    if (r) this.send(r);
    this.closed = true;
    endGracefully(this.socket, LIMITS.outputDrainTimeoutMs);
    void this.abortTransaction();
  }

  async abortTransaction(): Promise<void> {
    const spool = this.tx?.spool;
    this.tx = null;
    await spool?.discard();
  }

  whenIdle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async pump(): Promise<void> {
    if (this.busy) { this.socket.pause(); return; }
    this.busy = true;
    this.socket.pause();
    this.socket.cork();
    try {
      for (let ev = this.rx.next(); ev && !this.closed; ev = this.rx.next()) {
        await this.handle(ev);
        await this.drain();
      }
    } catch (e) {
      this.deps.logger.error({ id: this.id, err: e }, 'lmtp-proxy: session failed');
      this.close(reply(421, '4.3.0', `${this.deps.config.hostname} Internal error, closing`));
    } finally {
      this.busy = false;
      for (const w of this.idleWaiters.splice(0)) w();
      this.socket.uncork();
      if (!this.closed) this.socket.resume();
    }
  }

  private async drain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return;
    this.socket.uncork();
    // A client that stopped reading is cut off (a closed one needs nothing).
    if (!(await waitDrain(this.socket, LIMITS.outputDrainTimeoutMs))) this.socket.destroy();
    this.socket.cork();
  }

  private async handle(ev: ReceiverEvent): Promise<void> {
    switch (ev.type) {
      case 'data': return onBodyData(this, ev.chunk);
      case 'dataEnd': return onBodyEnd(this);
      case 'lineTooLong': return this.bad(reply(500, '5.5.2', 'Line too long'));
      case 'command': break;
    }
    const c = ev.command;
    if (c.verb === 'ERROR') return this.bad(reply(c.code, c.enhanced, c.text));
    this.badCommands = 0;
    return this.dispatch(c);
  }

  private async dispatch(c: Command): Promise<void> {
    switch (c.verb) {
      // LHLO, like EHLO, resets a transaction (RFC 5321 §4.1.4); we announce what the backends offer.
      case 'LHLO':
        await this.abortTransaction();
        this.heloName = c.domain;
        return this.send(reply(250, null, this.deps.config.hostname, '8BITMIME', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING', `SIZE ${this.deps.config.maxMessageSize}`));
      case 'HELO': case 'EHLO': return this.bad(reply(500, '5.5.1', 'This is LMTP (RFC 2033): use LHLO'));
      case 'MAIL': return onMail(this, c);
      case 'RCPT': return onRcpt(this, c);
      case 'DATA': return startData(this);
      case 'BDAT': return startBdat(this, c);
      case 'RSET': await this.abortTransaction(); return this.send(reply(250, '2.0.0', 'OK'));
      case 'NOOP': return this.send(reply(250, '2.0.0', 'OK'));
      case 'QUIT': return this.close(reply(221, '2.0.0', 'Bye'));
      // Address probing is not offered, as on the backends (RFC 5321 §3.5.3).
      case 'VRFY': return this.send(reply(252, '2.3.3', 'Try RCPT instead'));
    }
  }

  bad(r: Reply): void {
    this.send(r);
    if (++this.badCommands >= LIMITS.lmtpMaxBadCommands) this.close(reply(421, '4.7.0', 'Too many invalid commands'));
  }
}
