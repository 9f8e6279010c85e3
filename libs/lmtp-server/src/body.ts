/**
 * DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2), as the server and the proxy both read them: the
 * body goes into the spool as it arrives; over the size limit or after a failed write the rest is
 * read and dropped, and the end answers every accepted recipient at once (RFC 2033 §4.2). A
 * complete body goes to the session's deliverBody.
 */
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { Command } from '../../lmtp-codec/src/types.js';
import { Spool } from '../../delivery/src/spool.js';
import type { BodyTransaction, LmtpSessionBase, LmtpSessionDeps } from './session-base.js';

type Bdat = Extract<Command, { verb: 'BDAT' }>;
type Session = LmtpSessionBase<LmtpSessionDeps, BodyTransaction>;

function sequenceError(s: Session): Reply | null {
  if (!s.tx) return reply(503, '5.5.1', 'MAIL needed first');
  if (s.recipientsOf(s.tx).length === 0) return reply(503, '5.5.1', 'No valid recipients');
  return null;
}

export function startData(s: Session): void {
  const e = sequenceError(s) ?? (s.tx!.mode !== 'none' ? reply(503, '5.5.1', 'DATA not allowed after BDAT') : null);
  if (e) return s.bad(e);
  const tx = s.tx!;
  tx.mode = 'data';
  tx.spool = new Spool(s.deps.config.spoolDir);
  s.bodyStarted(tx);
  s.send(reply(354, null, 'OK'));
  s.rx.startData();
}

export function startBdat(s: Session, c: Bdat): void {
  // The chunk follows the command whatever we answer, so the receiver reads it either way.
  const e = sequenceError(s) ?? (s.tx!.mode === 'data' ? reply(503, '5.5.1', 'BDAT not allowed after DATA') : null);
  if (e) { s.chunk = { last: c.last, refused: e }; return; }
  const tx = s.tx!;
  tx.mode = 'bdat';
  tx.spool ??= new Spool(s.deps.config.spoolDir);
  s.bodyStarted(tx);
  s.chunk = { last: c.last, refused: null };
}

export async function onBodyData(s: Session, chunk: Buffer): Promise<void> {
  const tx = s.tx;
  if (s.chunk?.refused || !tx || !tx.spool || tx.tooBig || tx.failed) return;
  if (tx.spool.size + chunk.length > s.deps.config.maxMessageSize) {
    tx.tooBig = true;
    await tx.spool.discard();
    return;
  }
  try {
    s.bodyChunk(tx, chunk);
    await tx.spool.write(chunk);
  } catch (e) {
    tx.failed = e;
    await tx.spool.discard();
  }
}

export async function onBodyEnd(s: Session): Promise<void> {
  const chunk = s.chunk;
  s.chunk = null;
  if (chunk?.refused) { s.bad(chunk.refused); return; }
  const tx = s.tx;
  if (!tx || !tx.spool) return;
  if (tx.mode === 'bdat' && !chunk?.last) {
    if (tx.tooBig) { await s.abortTransaction(); return s.send(reply(552, '5.3.4', 'Message too big for system')); }
    return s.send(reply(250, '2.0.0', `${tx.spool.size} octets received`));
  }
  const spool = tx.spool;
  const rcpts = s.recipientsOf(tx);
  s.tx = null;
  try {
    if (tx.tooBig) { for (const _ of rcpts) s.send(reply(552, '5.3.4', 'Message too big for system')); return; }
    if (tx.failed) {
      s.deps.logger.error({ id: s.id, err: tx.failed }, `${s.logName}: spool write failed`);
      for (const r of rcpts) s.send(reply(451, '4.3.0', `<${r.rcpt}> Temporary internal error`));
      return;
    }
    await s.deliverBody(tx, spool, await spool.finish());
  } finally {
    await spool.discard();
  }
}
