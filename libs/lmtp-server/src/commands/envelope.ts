/** MAIL FROM and RCPT TO (RFC 5321 §4.1.1.2-3, RFC 1870 SIZE, RFC 6152 8BITMIME). */
import { isMailError, toMailError } from '../../../core/src/errors.js';
import { reply } from '../../../lmtp-codec/src/reply.js';
import type { Command } from '../../../lmtp-codec/src/types.js';
import { replyForError } from '../errors.js';
import type { LmtpSession } from '../session.js';
import { newTransaction } from '../transaction.js';

type Mail = Extract<Command, { verb: 'MAIL' }>;
type Rcpt = Extract<Command, { verb: 'RCPT' }>;

// MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]
export function onMail(s: LmtpSession, c: Mail): void {
  // RFC 2033 §4.1: LHLO first.
  if (!s.heloName) return s.bad(reply(503, '5.5.1', 'Send LHLO first'));
  if (s.tx) return s.bad(reply(503, '5.5.1', 'MAIL already given'));
  for (const [k, v] of c.params) {
    if (k === 'SIZE') {
      if (v === true || !/^\d{1,15}$/.test(v)) return s.bad(reply(501, '5.5.4', 'Invalid SIZE parameter'));
      // RFC 1870 §6.2: a declared size above the limit is refused at MAIL.
      if (Number(v) > s.deps.config.maxMessageSize) return s.send(reply(552, '5.3.4', 'Message too big for system'));
    } else if (k === 'BODY') {
      if (v === true || !/^(7BIT|8BITMIME)$/i.test(v)) return s.bad(reply(501, '5.5.4', 'Unsupported BODY parameter'));
    } else {
      // RFC 5321 §4.1.1.11: parameters we did not announce.
      return s.bad(reply(555, '5.5.4', `Unsupported parameter ${k}`));
    }
  }
  s.tx = newTransaction(c.from.address);
  s.send(reply(250, '2.1.0', 'OK'));
}

// RCPT TO:<forward-path>: resolved now, so an unknown user is refused here (550 5.1.1).
export async function onRcpt(s: LmtpSession, c: Rcpt): Promise<void> {
  const tx = s.tx;
  if (!tx) return s.bad(reply(503, '5.5.1', 'MAIL needed first'));
  if (tx.mode !== 'none') return s.bad(reply(503, '5.5.1', 'RCPT not allowed after DATA/BDAT started'));
  if (c.params.size) return s.bad(reply(555, '5.5.4', 'Unsupported RCPT parameter'));
  // RFC 5321 §4.5.3.1.10: too many recipients is a temporary 452, the client sends the rest later.
  if (tx.recipients.length >= s.deps.config.maxRecipients) return s.send(reply(452, '4.5.3', 'Too many recipients'));
  try {
    const r = await s.deps.delivery.resolve(c.to.address);
    if (!r) return s.send(reply(550, '5.1.1', `<${c.to.address}> User doesn't exist`));
    tx.recipients.push(r);
    s.send(reply(250, '2.1.5', 'OK'));
  } catch (e) {
    const err = toMailError(e);
    if (!isMailError(e)) s.deps.logger.error({ id: s.id, rcpt: c.to.address, err: e }, 'lmtp: recipient lookup failed');
    s.send(replyForError(err, c.to.address));
  }
}
