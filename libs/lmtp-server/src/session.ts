/**
 * One LMTP connection to the backend (session-base.ts runs the connection and the command
 * sequence): recipients are resolved by libs/delivery, and a complete message is delivered and
 * fsynced before each recipient's 250.
 */
import type { Socket } from 'node:net';
import type { MessageSource } from '../../delivery/src/source.js';
import type { Spool } from '../../delivery/src/spool.js';
import type { LmtpServerDeps } from './deps.js';
import type { LmtpMetrics } from './metrics.js';
import { newTransaction, type Transaction } from './transaction.js';
import { deliverMessage } from './commands/data.js';
import { resolveRecipient } from './commands/envelope.js';
import { LmtpSessionBase } from './session-base.js';

export class LmtpSession extends LmtpSessionBase<LmtpServerDeps, Transaction> {
  constructor(socket: Socket, deps: LmtpServerDeps, remote: string, readonly metrics: LmtpMetrics | null = null) {
    super(socket, deps, remote, 'lmtp', 'LMTP ready');
  }

  protected newTransaction(from: string): Transaction { return newTransaction(from); }
  recipientsOf(tx: Transaction): Transaction['recipients'] { return tx.recipients; }
  protected addRecipient(tx: Transaction, rcpt: string): Promise<void> { return resolveRecipient(this, tx, rcpt); }
  deliverBody(tx: Transaction, spool: Spool, src: MessageSource): Promise<void> { return deliverMessage(this, tx, spool, src); }
}
