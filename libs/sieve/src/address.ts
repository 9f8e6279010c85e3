/**
 * Address parts for the address and envelope tests (RFC 5228 §2.7.4) and subaddress (RFC 5233):
 * :all, :localpart, :domain, :user and :detail with "+" as the separator (as Dovecot's
 * recipient_delimiter default in UCS).
 */
import { parseAddressList, MISSING_DOMAIN, MISSING_MAILBOX } from '../../mime/src/index.js';

export const SUBADDRESS_SEPARATOR = '+';

export interface SimpleAddress { local: string; domain: string | null }

/** Mailboxes in an address-list header value; group markers are skipped. */
export function headerAddresses(value: string): SimpleAddress[] {
  const out: SimpleAddress[] = [];
  for (const a of parseAddressList(value) ?? []) {
    if (a.host === null || a.mailbox === null) continue; // group start/end (RFC 3501 §7.4.2 markers)
    if (a.mailbox === MISSING_MAILBOX) continue;
    out.push({ local: a.mailbox, domain: a.host === MISSING_DOMAIN ? null : a.host });
  }
  return out;
}

/** An envelope path (no brackets); the null path "" has no parts. */
export function envelopeAddress(path: string): SimpleAddress | null {
  const p = path.replace(/^<|>$/g, '');
  if (p === '') return null;
  const at = p.lastIndexOf('@');
  if (at < 0) return { local: p, domain: null };
  return { local: p.slice(0, at), domain: p.slice(at + 1) };
}

/** The requested part, or null when it does not exist (RFC 5233 §4: no separator, no :detail). */
export function addressPart(a: SimpleAddress, part: string): string | null {
  // RFC 5228 §2.7.4: an address that is not valid (here: no domain) matches only with :all, as written.
  if (a.domain === null && part !== 'all') return null;
  switch (part) {
    case 'localpart': return a.local;
    case 'domain': return a.domain;
    case 'user': {
      const k = a.local.indexOf(SUBADDRESS_SEPARATOR);
      return k < 0 ? a.local : a.local.slice(0, k);
    }
    case 'detail': {
      const k = a.local.indexOf(SUBADDRESS_SEPARATOR);
      return k < 0 ? null : a.local.slice(k + 1);
    }
    default: return a.domain === null ? a.local : `${a.local}@${a.domain}`;
  }
}

/** Case-insensitive comparison key for "is this one of my addresses". */
export function addressKey(a: string): string {
  return a.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** An addr-spec we can hand to the SMTP relay (RFC 5321 §4.1.2 Mailbox, no source routes or display names). */
export function validRedirectAddress(a: string): boolean {
  return /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\]+$/.test(a) || /^"[^"\\\r\n]*"@[^\s@<>]+$/.test(a);
}
