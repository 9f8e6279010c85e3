/**
 * Vacation decisions (RFC 5230): whether a reply may be sent at all. The caller sends it and
 * records it; the engine only answers mail that is addressed to the user personally.
 */
import { headerAddresses, addressKey, envelopeAddress } from './address.js';
import type { HeaderView } from './header-view.js';

const LIST_HEADERS = ['list-id', 'list-help', 'list-subscribe', 'list-unsubscribe', 'list-post', 'list-owner', 'list-archive'];
const RECIPIENT_HEADERS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];

/** RFC 5230 §4.6 / RFC 3834 §2: senders that are lists, daemons or robots get no reply. */
export function isRobotSender(sender: string): boolean {
  const a = envelopeAddress(sender);
  if (!a) return true;
  const l = a.local.toLowerCase();
  return l.startsWith('owner-') || l.endsWith('-request') || l === 'mailer-daemon' || l === 'listserv' ||
    l === 'majordomo' || l.startsWith('noreply') || l.startsWith('no-reply') || l === 'postmaster';
}

/** Why no reply goes out for this message, or null when one may (before the history check). */
export function vacationBlocked(headers: HeaderView, sender: string, mine: Set<string>): string | null {
  if (sender === '' ) return 'null sender';
  if (mine.has(addressKey(sender))) return 'sender is the user';
  if (isRobotSender(sender)) return 'sender is a list or robot';
  for (const v of headers.values('auto-submitted')) if (!/^\s*no\s*(;|$)/i.test(v)) return 'auto-submitted';
  for (const v of headers.values('precedence')) if (/^\s*(bulk|list|junk)\s*$/i.test(v)) return 'bulk precedence';
  for (const h of LIST_HEADERS) if (headers.values(h).length > 0) return 'mailing list';
  if (headers.values('x-auto-response-suppress').some((v) => /\b(all|oof|autoreply)\b/i.test(v))) return 'auto-response suppressed';
  return null;
}

/** RFC 5230 §4.5: the user's address (or one of :addresses) must be in a recipient field; returns that address. */
export function addressedToMe(headers: HeaderView, mine: Set<string>): string | null {
  for (const h of RECIPIENT_HEADERS) {
    for (const v of headers.values(h)) {
      for (const a of headerAddresses(v)) {
        const full = a.domain === null ? a.local : `${a.local}@${a.domain}`;
        if (mine.has(addressKey(full))) return full;
      }
    }
  }
  return null;
}

/** FNV-1a 64-bit hex: a stable default :handle without pulling crypto into a pure lib. */
export function stableHash(s: string): string {
  let h = 0xcbf29ce484222325n;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) { h ^= BigInt(b); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
  return h.toString(16).padStart(16, '0');
}
