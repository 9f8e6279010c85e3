/**
 * Messages a delivery generates: vacation replies (RFC 5230 §5, RFC 3834) and rejection notices
 * for Sieve `reject` (RFC 5429 §2.2, sent as a plain notice to the envelope sender like
 * Pigeonhole's fallback when no MDN can be made).
 */
import { randomBytes } from 'node:crypto';
import type { VacationAction } from '../../sieve/src/types.js';
import { rfc5322Date } from './trace-headers.js';

const clean = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** RFC 2047 encoded-word for non-ASCII header text. */
function encodeWord(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function messageId(hostname: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@${hostname}>`;
}

export function vacationReply(a: VacationAction, hostname: string, now = new Date()): string {
  const head = [
    `From: ${clean(a.from)}`,
    `To: ${clean(a.to)}`,
    `Subject: ${encodeWord(clean(a.subject))}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: ${messageId(hostname)}`,
    // RFC 3834 §5: marks the reply so other responders do not answer it.
    'Auto-Submitted: auto-replied (vacation)',
    'Precedence: bulk',
    ...(a.inReplyTo ? [`In-Reply-To: ${clean(a.inReplyTo)}`, `References: ${clean(a.inReplyTo)}`] : []),
    'MIME-Version: 1.0',
  ];
  if (a.mime) return `${head.join('\r\n')}\r\n${a.body.replace(/\r?\n/g, '\r\n')}`;
  return `${head.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${a.body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

export function rejectNotice(o: { to: string; recipient: string; reason: string; subject: string | null; hostname: string; now?: Date }): string {
  return [
    `From: Mail Delivery System <MAILER-DAEMON@${o.hostname}>`,
    `To: <${clean(o.to)}>`,
    `Subject: ${encodeWord(`Rejected: ${clean(o.subject ?? '(no subject)')}`)}`,
    `Date: ${rfc5322Date(o.now ?? new Date())}`,
    `Message-ID: ${messageId(o.hostname)}`,
    'Auto-Submitted: auto-replied (rejected)',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Your message to <${clean(o.recipient)}> was automatically rejected:`,
    '',
    o.reason.replace(/\r?\n/g, '\r\n'),
    '',
  ].join('\r\n');
}
