/**
 * One LMTP connection to the proxy (from Postfix), run like the backend's (libs/lmtp-server's
 * session-base.ts: pipelined commands in order, reading paused while the backends work, replies
 * corked per batch). Recipients are routed in envelope.ts; a complete body is fanned out in data.ts.
 */
import type { Socket } from 'node:net';
import { createHash, type Hash } from 'node:crypto';
import type { MessageSource } from '../../delivery/src/source.js';
import type { Spool } from '../../delivery/src/spool.js';
import { LmtpSessionBase, type BodyTransaction, type Mail } from '../../lmtp-server/src/session-base.js';
import type { LmtpProxyDeps } from './deps.js';
import type { ProxyMetrics } from './metrics.js';
import type { AcceptedRcpt } from './fanout.js';
import { relayMessage } from './data.js';
import { routeRecipient } from './envelope.js';

/** One mail transaction (MAIL … end of data), reset by RSET, LHLO and after each message. */
export interface ProxyTransaction extends BodyTransaction {
  /** MAIL FROM's parameters, passed on unchanged to every backend. */
  mailParams: Mail['params'];
  rcpts: AcceptedRcpt[];
  /** SHA-256 of the body as it arrives (the dedup key of split groups). */
  hash: Hash | null;
}

export class ProxySession extends LmtpSessionBase<LmtpProxyDeps, ProxyTransaction> {
  constructor(socket: Socket, deps: LmtpProxyDeps, remote: string, readonly metrics: ProxyMetrics | null) {
    super(socket, deps, remote, 'lmtp-proxy', 'LMTP proxy ready');
  }

  protected newTransaction(from: string, mailParams: Mail['params']): ProxyTransaction {
    return { from, mailParams, rcpts: [], spool: null, hash: null, mode: 'none', tooBig: false, failed: null };
  }

  recipientsOf(tx: ProxyTransaction): AcceptedRcpt[] { return tx.rcpts; }
  protected addRecipient(tx: ProxyTransaction, rcpt: string): Promise<void> { return routeRecipient(this, tx, rcpt); }
  override bodyStarted(tx: ProxyTransaction): void { tx.hash ??= createHash('sha256'); }
  override bodyChunk(tx: ProxyTransaction, chunk: Buffer): void { tx.hash!.update(chunk); }
  deliverBody(tx: ProxyTransaction, spool: Spool, src: MessageSource): Promise<void> { return relayMessage(this, tx, spool, src); }
}
