/**
 * MailError → LMTP reply, in one place. Permanent codes are 5xx so Postfix bounces; anything
 * unknown is 4xx so Postfix retries (a retry is better than a lost message).
 */
import type { MailError } from '../../core/src/errors.js';
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';

export function replyForError(e: MailError, rcpt: string): Reply {
  switch (e.code) {
    case 'NOTFOUND': return reply(550, '5.1.1', `<${rcpt}> User doesn't exist`);
    // RFC 3463 §3.3: 5.2.2 mailbox full (Dovecot's quota_exceeded_message default).
    case 'OVERQUOTA': return reply(552, '5.2.2', `<${rcpt}> Mailbox full`);
    case 'TOOBIG': return reply(552, '5.3.4', 'Message too big for system');
    // Sieve ereject (RFC 5429 §2.1): the script's reason goes back to the sender.
    case 'PERM': return reply(550, '5.7.1', e.message);
    case 'LIMIT': return reply(554, '5.4.6', `<${rcpt}> Routing loop or too many group members`);
    case 'BADNAME': case 'PARSE': return reply(554, '5.6.0', 'Message not accepted');
    default: return reply(451, '4.3.0', `<${rcpt}> Temporary internal error`);
  }
}
