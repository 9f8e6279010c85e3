/**
 * One LMTP connection: reads bytes into the pure receiver, pulls events one at a time (so a
 * pipelined batch is handled in order, and reading pauses while a delivery runs), and writes
 * replies corked per batch (RFC 2920: replies to a pipelined group may go out together).
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { endGracefully } from '../../netio/src/close.js';
import { waitDrain } from '../../netio/src/drain.js';
import { LmtpReceiver } from '../../lmtp-codec/src/receiver.js';
import { formatReply, reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { Command, ReceiverEvent } from '../../lmtp-codec/src/types.js';
import { transactionId } from '../../delivery/src/deliverer.js';
import type { LmtpServerDeps } from './deps.js';
import type { LmtpMetrics } from './metrics.js';
import type { Transaction } from './transaction.js';
import { onBodyData, onBodyEnd, startBdat, startData } from './commands/data.js';
import { onMail, onRcpt } from './commands/envelope.js';
import { onLhlo, onNoop, onQuit, onRset, onVrfy } from './commands/session.js';

export class LmtpSession {
  readonly id = transactionId();
  readonly rx = new LmtpReceiver({ maxLineLength: LIMITS.lmtpMaxLineLength });
  heloName: string | null = null;
  tx: Transaction | null = null;
  /** The BDAT chunk being read (RFC 3030 §2): LAST or not, and the reply if the command was refused (sent at the chunk's end). */
  chunk: { last: boolean; refused: Reply | null } | null = null;
  closed = false;
  private badCommands = 0;
  private busy = false;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly socket: Socket, readonly deps: LmtpServerDeps, readonly remote: string, readonly metrics: LmtpMetrics | null = null) {
    socket.setNoDelay(true);
    socket.setTimeout(deps.config.idleTimeoutMs, () => this.close(reply(421, '4.4.2', `${deps.config.hostname} Disconnected for inactivity`)));
    socket.on('data', (chunk: Buffer) => { if (this.closed) return; this.rx.push(chunk); void this.pump(); });
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closed = true; void this.abortTransaction(); });
    this.send(reply(220, null, `${deps.config.hostname} LMTP ready`));
  }

  send(r: Reply): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(formatReply(r));
  }

  /** Sends a last reply and closes (421 for timeouts and shutdown, 221 for QUIT). */
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

  /** Processes everything buffered; input is not read meanwhile (backpressure). */
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
      this.deps.logger.error({ id: this.id, err: e }, 'lmtp: session failed');
      this.close(reply(421, '4.3.0', `${this.deps.config.hostname} Internal error, closing`));
    } finally {
      this.busy = false;
      for (const w of this.idleWaiters.splice(0)) w();
      this.socket.uncork();
      if (!this.closed) this.socket.resume();
    }
  }

  /** Resolves when no command or delivery is in progress (graceful shutdown waits for this). */
  whenIdle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  /** Waits while the client is not reading our replies. */
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
    if (c.verb === 'ERROR') {
      // A refused BDAT line still announced a chunk we cannot size: nothing to skip but the line.
      return this.bad(reply(c.code, c.enhanced, c.text));
    }
    this.badCommands = 0;
    return this.dispatch(c);
  }

  private async dispatch(c: Command): Promise<void> {
    switch (c.verb) {
      case 'LHLO': return onLhlo(this, c.domain);
      case 'HELO': case 'EHLO': return this.bad(reply(500, '5.5.1', 'This is LMTP (RFC 2033): use LHLO'));
      case 'MAIL': return onMail(this, c);
      case 'RCPT': return onRcpt(this, c);
      case 'DATA': return startData(this);
      case 'BDAT': return startBdat(this, c);
      case 'RSET': return onRset(this);
      case 'NOOP': return onNoop(this);
      case 'QUIT': return onQuit(this);
      case 'VRFY': return onVrfy(this);
    }
  }

  bad(r: Reply): void {
    this.send(r);
    if (++this.badCommands >= LIMITS.lmtpMaxBadCommands) this.close(reply(421, '4.7.0', 'Too many invalid commands'));
  }
}
