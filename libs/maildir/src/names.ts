/**
 * Client mailbox names ↔ Maildir++ directory names.
 *
 * Clients see UTF-8 names with '/' as separator. On disk (Maildir++ layout, as Dovecot 2.3 with
 * the default `maildir` layout): INBOX is the Maildir root, `A/B` is `Maildir/.A.B`, each component
 * in modified UTF-7 (RFC 3501 §5.1.3). Since '.' is the on-disk separator, Dovecot refuses '.' in
 * names with this layout; so do we (BADNAME). Every check here exists so that no name can build a
 * path outside the mail home.
 */
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import { mutf7Decode, mutf7Encode } from '../../core/src/mutf7.js';

export const SEP = '/';

function bad(why: string): never {
  throw new MailError('BADNAME', `Invalid mailbox name: ${why}`);
}

/** Validates a client name and returns its canonical form ("INBOX" case-folded, also as a prefix). */
export function canonicalName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) bad('empty');
  if (Buffer.byteLength(name, 'utf8') > LIMITS.mailboxNameMaxLength) bad('too long');
  // Control characters (NUL included), DEL, and lone surrogates that cannot round-trip.
  if (/[\x00-\x1f\x7f]/.test(name)) bad('control characters');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) bad('not valid Unicode');
  if (name.startsWith(SEP) || name.endsWith(SEP)) bad('leading or trailing separator');
  const parts = name.split(SEP);
  if (parts.length > LIMITS.mailboxMaxDepth) bad('too deep');
  for (const p of parts) {
    if (p === '') bad('empty hierarchy level');
    if (p.includes('.')) bad("'.' is not allowed in mailbox names");
    if (p.startsWith('~')) bad("names may not start with '~'");
    if (p.includes('*') || p.includes('%')) bad('wildcards not allowed');
  }
  if (parts[0]!.toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts.join(SEP);
}

/** Directory (relative to Maildir/) for a canonical name: '' for INBOX, '.A.B' otherwise. */
export function dirForName(canonical: string): string {
  if (canonical === 'INBOX') return '';
  return '.' + canonical.split(SEP).map((p) => mutf7Encode(p)).join('.');
}

/**
 * Client name for a Maildir++ directory entry ('.A.B' → 'A/B'), or null when the entry is not a
 * mailbox we can present (bad mUTF-7, empty levels, our own temp dirs).
 */
export function nameForDir(entry: string): string | null {
  if (!entry.startsWith('.') || entry.length < 2) return null;
  const parts = entry.slice(1).split('.');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '') return null;
    let d: string;
    try { d = mutf7Decode(p); } catch { return null; }
    if (d === '' || d.includes(SEP) || /[\x00-\x1f\x7f]/.test(d)) return null;
    out.push(d);
  }
  if (out[0]!.toUpperCase() === 'INBOX' && out.length === 1) return null; // '.INBOX' would shadow INBOX
  if (out[0]!.toUpperCase() === 'INBOX') out[0] = 'INBOX';
  return out.join(SEP);
}

/** Parent names of a canonical name, nearest last: 'A/B/C' → ['A', 'A/B']. */
export function parentsOf(canonical: string): string[] {
  const parts = canonical.split(SEP);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(SEP));
  return out;
}
