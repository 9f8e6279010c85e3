/**
 * Envelope recipient → who gets a copy. Primary addresses and aliases name a user; group addresses
 * expand to their members, recursively, each distinct user once (a loop or a member listed twice
 * gives no second copy); a `+detail` subaddress (RFC 5233) names the user with a detail Sieve can
 * see; users with mailForwardAddress get their mail relayed, and keep a local copy only with
 * forwardCopyToSelf (UCS mailForwardCopyToSelf). Addresses that are not ours inside a group are
 * relayed like forwards.
 */
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';

/** UCS/Postfix recipient_delimiter and Dovecot's lmtp recipient_delimiter default. */
export const RECIPIENT_DELIMITER = '+';

export interface LocalTarget {
  readonly user: UserRecord;
  /** The address that led to this user (for Delivered-To and Sieve's envelope "to"). */
  readonly address: string;
  /** RFC 5233 detail, or null. */
  readonly detail: string | null;
}

export interface ResolvedRecipient {
  /** The RCPT TO address as given. */
  readonly rcpt: string;
  /** Users who get a copy in their mailbox. */
  readonly local: readonly LocalTarget[];
  /** Addresses the message is relayed to (forwards, outside members of groups). */
  readonly relay: readonly string[];
}

function splitDetail(address: string): { base: string; detail: string | null } {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const plus = local.indexOf(RECIPIENT_DELIMITER);
  if (at < 0 || plus <= 0) return { base: address, detail: null };
  return { base: local.slice(0, plus) + address.slice(at), detail: local.slice(plus + 1) };
}

/**
 * Resolves one RCPT address. Returns null for an unknown address, a disabled user or a group that
 * reaches nobody (550 5.1.1). Throws MailError TEMP
 * when the directory is unreachable. Shared-folder addresses are refused (NOTFOUND) until shared
 * folders take deliveries.
 */
export async function resolveRecipient(directory: Directory, rcpt: string): Promise<ResolvedRecipient | null> {
  const address = rcpt.toLowerCase();
  let hit = await directory.resolve(address);
  let detail: string | null = null;
  if (!hit) {
    const s = splitDetail(address);
    if (s.detail === null) return null;
    hit = await directory.resolve(s.base);
    detail = s.detail;
  }
  if (!hit || hit.kind === 'shared') return null;
  const local: LocalTarget[] = [];
  const relay = new Set<string>();
  const seenUsers = new Set<string>();
  const seenAddresses = new Set<string>([address]);
  const addUser = (user: UserRecord, via: string, det: string | null) => {
    if (user.disabled || seenUsers.has(user.user)) return;
    seenUsers.add(user.user);
    for (const f of user.forwards) relay.add(f.toLowerCase());
    if (user.forwards.length === 0 || user.forwardCopyToSelf) local.push({ user, address: via, detail: det });
  };
  if (hit.kind === 'user') {
    addUser(hit.user, address, detail);
    return local.length || relay.size ? { rcpt, local, relay: [...relay] } : null; // a disabled user takes no mail
  }
  // Breadth-first over the group graph; `seenAddresses` makes cycles harmless.
  let level: string[] = [...hit.group.members];
  for (let depth = 1; level.length; depth++) {
    if (depth > LIMITS.deliveryMaxGroupDepth) throw new MailError('LIMIT', 'Group nesting too deep');
    const next: string[] = [];
    for (const m of level) {
      const a = m.toLowerCase();
      if (seenAddresses.has(a)) continue;
      seenAddresses.add(a);
      if (seenAddresses.size > LIMITS.deliveryMaxExpansion) throw new MailError('LIMIT', 'Group expands to too many addresses');
      const r = await directory.resolve(a);
      if (!r) { if (!(await isLocalDomain(directory, a))) relay.add(a); continue; }
      if (r.kind === 'user') addUser(r.user, r.user.user, null);
      else if (r.kind === 'group') next.push(...r.group.members);
    }
    level = next;
  }
  // A group that reaches nobody would swallow the message: refuse it like an unknown address.
  return local.length || relay.size ? { rcpt, local, relay: [...relay] } : null;
}

/** Unknown members in one of our domains are dropped (they would bounce back to us); others are relayed. */
async function isLocalDomain(directory: Directory, address: string): Promise<boolean> {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return (await directory.domains()).some((d) => d.toLowerCase() === domain);
}
