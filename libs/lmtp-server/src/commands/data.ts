/**
 * The end of DATA/BDAT at the backend (body.ts reads the body): each accepted recipient gets its
 * own reply, in RCPT order (RFC 2033 §4.2), and a 250 only once its copy is stored and fsynced.
 */
import { toMailError } from '../../../core/src/errors.js';
import { reply } from '../../../lmtp-codec/src/reply.js';
import type { MessageSource } from '../../../delivery/src/source.js';
import type { Spool } from '../../../delivery/src/spool.js';
import { replyForError } from '../errors.js';
import type { LmtpSession } from '../session.js';
import type { Transaction } from '../transaction.js';

export async function deliverMessage(s: LmtpSession, tx: Transaction, spool: Spool, src: MessageSource): Promise<void> {
  const rcpts = tx.recipients;
  const env = { from: tx.from, heloName: s.heloName ?? 'unknown', remote: s.remote, id: s.id };
  let outcomes;
  const endTimer = s.metrics?.deliverySeconds.startTimer();
  try {
    outcomes = await s.deps.delivery.deliver(env, rcpts, src);
  } catch (e) {
    const err = toMailError(e);
    s.deps.logger.error({ id: s.id, err: e }, 'lmtp: delivery failed');
    outcomes = rcpts.map(() => ({ ok: false as const, error: err }));
  }
  endTimer?.();
  rcpts.forEach((r, i) => {
    const o = outcomes[i];
    const answer = o?.ok ? reply(250, '2.0.0', `<${r.rcpt}> ${s.id} Saved`) : replyForError(o ? o.error : toMailError(new Error('no outcome')), r.rcpt);
    s.metrics?.recipients.inc({ result: answer.code < 400 ? 'saved' : answer.code < 500 ? 'temp' : 'perm' });
    if (o?.ok) s.deps.logger.info({ id: s.id, from: tx.from, rcpt: r.rcpt, size: spool.size }, 'lmtp: saved');
    s.send(answer);
  });
}
