/** RCPT TO at the backend, once session-base.ts has checked its place in the transaction (RFC 5321 §4.1.1.3). */
import { isMailError, toMailError } from '../../../core/src/errors.js';
import { reply } from '../../../lmtp-codec/src/reply.js';
import { replyForError } from '../errors.js';
import type { LmtpSession } from '../session.js';
import type { Transaction } from '../transaction.js';

// RCPT TO:<forward-path>: resolved now, so an unknown user is refused here (550 5.1.1).
export async function resolveRecipient(s: LmtpSession, tx: Transaction, rcpt: string): Promise<void> {
  try {
    const r = await s.deps.delivery.resolve(rcpt);
    if (!r) return s.send(reply(550, '5.1.1', `<${rcpt}> User doesn't exist`));
    tx.recipients.push(r);
    s.send(reply(250, '2.1.5', 'OK'));
  } catch (e) {
    const err = toMailError(e);
    if (!isMailError(e)) s.deps.logger.error({ id: s.id, rcpt, err: e }, 'lmtp: recipient lookup failed');
    s.send(replyForError(err, rcpt));
  }
}
