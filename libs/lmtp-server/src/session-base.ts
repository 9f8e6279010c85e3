/**
 * One LMTP connection, as the backend's server and the LMTP proxy both run it: bytes go into the
 * pure receiver, events are pulled one at a time (so a pipelined batch is handled in order, and
 * reading pauses while a delivery runs), and replies are corked per batch (RFC 2920: replies to a
 * pipelined group may go out together). The session commands and the checks of MAIL and RCPT are
 * here, DATA/BDAT in body.ts; what a recipient is and where the message goes, the subclass says.
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { endGracefully } from '../../netio/src/close.js';
import { waitDrain } from '../../netio/src/drain.js';
import { LmtpReceiver } from '../../lmtp-codec/src/receiver.js';
import { formatReply, reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { Command, ReceiverEvent } from '../../lmtp-codec/src/types.js';
import { transactionId } from '../../delivery/src/deliverer.js';
import type { MessageSource } from '../../delivery/src/source.js';
import type { Spool } from '../../delivery/src/spool.js';
import { onBodyData, onBodyEnd, startBdat, startData } from './body.js';

export type Mail = Extract<Command, { verb: 'MAIL' }>;

/** The body state of one mail transaction (MAIL … DATA/BDAT LAST), reset by RSET, LHLO and after each message. */
export interface BodyTransaction {
  from: string;
  /** Body being received, once DATA or the first BDAT started. */
  spool: Spool | null;
  /** How the body arrives; they cannot be mixed in one transaction (RFC 3030 §2). */
  mode: 'none' | 'data' | 'bdat';
  /** The body went over the size limit: keep reading, refuse at the end (552 5.3.4). */
  tooBig: boolean;
  /** A spool write failed: keep reading, answer 451 at the end. */
  failed: unknown;
}

/** What every LMTP session reads from its deps (read when used: a reload may swap them). */
export interface LmtpSessionDeps {
  readonly config: { hostname: string; maxMessageSize: number; maxRecipients: number; idleTimeoutMs: number; spoolDir: string };
  readonly logger: { error(obj: object, msg: string): void };
}

export abstract class LmtpSessionBase<D extends LmtpSessionDeps, T extends BodyTransaction> {
  readonly id = transactionId();
  readonly rx = new LmtpReceiver({ maxLineLength: LIMITS.lmtpMaxLineLength });
  heloName: string | null = null;
  tx: T | null = null;
  /** The BDAT chunk being read (RFC 3030 §2): LAST or not, and the reply if the command was refused (sent at the chunk's end). */
  chunk: { last: boolean; refused: Reply | null } | null = null;
  closed = false;
  private badCommands = 0;
  private busy = false;
  private idleWaiters: Array<() => void> = [];

  /** `logName` prefixes log lines ('lmtp', 'lmtp-proxy'); `ready` ends the 220 greeting. */
  constructor(readonly socket: Socket, readonly deps: D, readonly remote: string, readonly logName: string, ready: string) {
    socket.setNoDelay(true);
    socket.setTimeout(deps.config.idleTimeoutMs, () => this.close(reply(421, '4.4.2', `${deps.config.hostname} Disconnected for inactivity`)));
    socket.on('data', (chunk: Buffer) => { if (this.closed) return; this.rx.push(chunk); void this.pump(); });
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closed = true; void this.abortTransaction(); });
    this.send(reply(220, null, `${deps.config.hostname} ${ready}`));
  }

  /** A new transaction for MAIL FROM, its parameters checked. */
  protected abstract newTransaction(from: string, params: Mail['params']): T;
  /** The accepted recipients of `tx`, in RCPT order. */
  abstract recipientsOf(tx: T): readonly { rcpt: string }[];
  /** RCPT TO passed the sequence checks: resolve `rcpt`, add it to `tx` or refuse it, and reply. */
  protected abstract addRecipient(tx: T, rcpt: string): Promise<void>;
  /** The whole body is in `spool` (finished as `src`): one reply per recipient, in RCPT order (RFC 2033 §4.2). */
  abstract deliverBody(tx: T, spool: Spool, src: MessageSource): Promise<void>;
  /** The body starts (DATA, or the first BDAT chunk), and each piece of it as it arrives. */
  bodyStarted(_tx: T): void {}
  bodyChunk(_tx: T, _chunk: Buffer): void {}

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

  /** Resolves when no command or delivery is in progress (graceful shutdown waits for this). */
  whenIdle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  bad(r: Reply): void {
    this.send(r);
    if (++this.badCommands >= LIMITS.lmtpMaxBadCommands) this.close(reply(421, '4.7.0', 'Too many invalid commands'));
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
      this.deps.logger.error({ id: this.id, err: e }, `${this.logName}: session failed`);
      this.close(reply(421, '4.3.0', `${this.deps.config.hostname} Internal error, closing`));
    } finally {
      this.busy = false;
      for (const w of this.idleWaiters.splice(0)) w();
      this.socket.uncork();
      if (!this.closed) this.socket.resume();
    }
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
      // LHLO <domain>: the LMTP greeting; like EHLO it resets any transaction (RFC 5321 §4.1.4).
      case 'LHLO':
        await this.abortTransaction();
        this.heloName = c.domain;
        return this.send(reply(250, null, this.deps.config.hostname, '8BITMIME', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING',
          `SIZE ${this.deps.config.maxMessageSize}`));
      case 'HELO': case 'EHLO': return this.bad(reply(500, '5.5.1', 'This is LMTP (RFC 2033): use LHLO'));
      case 'MAIL': return this.onMail(c);
      case 'RCPT': return this.onRcpt(c.to.address, c.params);
      case 'DATA': return startData(this);
      case 'BDAT': return startBdat(this, c);
      case 'RSET': await this.abortTransaction(); return this.send(reply(250, '2.0.0', 'OK'));
      case 'NOOP': return this.send(reply(250, '2.0.0', 'OK'));
      case 'QUIT': return this.close(reply(221, '2.0.0', 'Bye'));
      // VRFY is not offered (address probing); Dovecot's lib-smtp gives the same answer (RFC 5321 §3.5.3).
      case 'VRFY': return this.send(reply(252, '2.3.3', 'Try RCPT instead'));
    }
  }

  // MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME] (RFC 5321 §4.1.1.2, RFC 1870, RFC 6152).
  private onMail(c: Mail): void {
    // RFC 2033 §4.1: LHLO first.
    if (!this.heloName) return this.bad(reply(503, '5.5.1', 'Send LHLO first'));
    if (this.tx) return this.bad(reply(503, '5.5.1', 'MAIL already given'));
    for (const [k, v] of c.params) {
      if (k === 'SIZE') {
        if (v === true || !/^\d{1,15}$/.test(v)) return this.bad(reply(501, '5.5.4', 'Invalid SIZE parameter'));
        // RFC 1870 §6.2: a declared size above the limit is refused at MAIL.
        if (Number(v) > this.deps.config.maxMessageSize) return this.send(reply(552, '5.3.4', 'Message too big for system'));
      } else if (k === 'BODY') {
        if (v === true || !/^(7BIT|8BITMIME)$/i.test(v)) return this.bad(reply(501, '5.5.4', 'Unsupported BODY parameter'));
      } else {
        // RFC 5321 §4.1.1.11: parameters we did not announce.
        return this.bad(reply(555, '5.5.4', `Unsupported parameter ${k}`));
      }
    }
    this.tx = this.newTransaction(c.from.address, c.params);
    this.send(reply(250, '2.1.0', 'OK'));
  }

  // RCPT TO:<forward-path> (RFC 5321 §4.1.1.3): the sequence checks; the subclass resolves the address.
  private async onRcpt(rcpt: string, params: ReadonlyMap<string, unknown>): Promise<void> {
    const tx = this.tx;
    if (!tx) return this.bad(reply(503, '5.5.1', 'MAIL needed first'));
    if (tx.mode !== 'none') return this.bad(reply(503, '5.5.1', 'RCPT not allowed after DATA/BDAT started'));
    if (params.size) return this.bad(reply(555, '5.5.4', 'Unsupported RCPT parameter'));
    // RFC 5321 §4.5.3.1.10: too many recipients is a temporary 452, the client sends the rest later.
    if (this.recipientsOf(tx).length >= this.deps.config.maxRecipients) return this.send(reply(452, '4.5.3', 'Too many recipients'));
    return this.addRecipient(tx, rcpt);
  }
}
