/**
 * The IMAP wire form of an ENVELOPE (RFC 3501 §7.4.2), and the string quoting it needs (§4.3).
 *
 * It sits beside the envelope parser, not in the IMAP server, because the storage keeps the
 * finished text in its cache (libs/maildir/src/envelope-cache.ts), as Dovecot's index cache keeps
 * "imap.envelope": a repeated FETCH ENVELOPE then costs a copy, not a parse and a format. The IMAP
 * server formats with the same functions (libs/imap-server/src/encode.ts), so cached and fresh text
 * are byte-identical. Change the output of anything here and bump ENVELOPE_TEXT_VERSION, so caches
 * written by the old code are not served.
 */
import type { Address, Envelope } from './types.js';

/** Version of the text formatEnvelope produces; cached text of another version is ignored. */
export const ENVELOPE_TEXT_VERSION = 1;

/** Quoted strings of this length or more go as literals (keeps lines short, as before). */
const MAX_QUOTED = 1024;

/**
 * RFC 3501 §4.3: quoted when it may be (TEXT-CHAR without CR, LF, NUL and 8-bit), else a literal
 * (NUL removed: CHAR8 excludes it, §9). One pass over the characters instead of two regexes: this
 * runs for every string of every ENVELOPE.
 */
export function imapString(s: string): string {
  const n = s.length;
  if (n < MAX_QUOTED) {
    let escape = false;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0 || c === 0x0a || c === 0x0d || c > 0x7f) break;
      if (c === 0x22 || c === 0x5c) escape = true;
    }
    if (i === n) return escape ? '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"' : '"' + s + '"';
  }
  const body = s.replace(/\0/g, '');
  return `{${Buffer.byteLength(body, 'utf8')}}\r\n${body}`;
}

/** nstring: NIL for a missing value. */
export function nstring(s: string | null | undefined): string {
  return s === null || s === undefined ? 'NIL' : imapString(s);
}

/** "(" 1*address ")" or NIL; addresses are not separated (RFC 3501 §9 env-from etc.). */
function addressList(list: Address[] | null): string {
  if (!list || list.length === 0) return 'NIL';
  let out = '(';
  for (const a of list) out += `(${nstring(a.name)} ${nstring(a.adl)} ${nstring(a.mailbox)} ${nstring(a.host)})`;
  return out + ')';
}

/**
 * RFC 3501 §7.4.2 ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
 * message-id. Sender and Reply-To default to From (the parser already fills them; a structure
 * cached without that still answers correctly).
 */
export function formatEnvelope(e: Envelope): string {
  return '(' + nstring(e.date) + ' ' + nstring(e.subject) + ' ' +
    addressList(e.from) + ' ' + addressList(e.sender ?? e.from) + ' ' + addressList(e.replyTo ?? e.from) + ' ' +
    addressList(e.to) + ' ' + addressList(e.cc) + ' ' + addressList(e.bcc) + ' ' +
    nstring(e.inReplyTo) + ' ' + nstring(e.messageId) + ')';
}
