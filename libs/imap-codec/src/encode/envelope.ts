/** ENVELOPE response (RFC 3501 §7.4.2). */
import type { Address, Envelope } from '../../../mime/src/types.js';
import { nstring } from './strings.js';

/**
 * address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")".
 * Groups (RFC 3501 §7.4.2): start is (NIL NIL "name" NIL), end is (NIL NIL NIL NIL) — both have
 * host NIL; the Address type already encodes them that way.
 */
export function formatAddress(a: Address, utf8 = false): string {
  return `(${nstring(a.name, utf8)} ${nstring(a.adl, utf8)} ${nstring(a.mailbox, utf8)} ${nstring(a.host, utf8)})`;
}

/** env-from etc.: "(" 1*address ")" / nil; an empty list is NIL. Addresses are not space-separated. */
export function formatAddressList(list: readonly Address[] | null, utf8 = false): string {
  if (!list || list.length === 0) return 'NIL';
  let out = '(';
  for (const a of list) out += formatAddress(a, utf8);
  return out + ')';
}

/**
 * envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP
 * env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")".
 * Sender and Reply-To default to From when absent (RFC 3501 §7.4.2); the MIME parser already does
 * this, but we apply it again so a cached structure without it still answers correctly.
 */
export function formatEnvelope(env: Envelope, utf8 = false): string {
  const from = env.from && env.from.length > 0 ? env.from : null;
  const sender = env.sender && env.sender.length > 0 ? env.sender : from;
  const replyTo = env.replyTo && env.replyTo.length > 0 ? env.replyTo : from;
  return '(' + [
    nstring(env.date, utf8),
    nstring(env.subject, utf8),
    formatAddressList(from, utf8),
    formatAddressList(sender, utf8),
    formatAddressList(replyTo, utf8),
    formatAddressList(env.to, utf8),
    formatAddressList(env.cc, utf8),
    formatAddressList(env.bcc, utf8),
    nstring(env.inReplyTo, utf8),
    nstring(env.messageId, utf8),
  ].join(' ') + ')';
}
