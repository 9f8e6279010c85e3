/**
 * RCPT TO -> which backend(s) get what address. Decided at RCPT time, so an unknown address gets
 * 550 5.1.1 at once.
 *
 * - A user (primary address, alias, or +detail subaddress: the detail is stripped for the lookup
 *   only) goes to its home server with the address exactly as Postfix gave it.
 * - A group whose members all live on ONE backend goes there as the group address: that backend
 *   expands it itself (forwards, outside members relayed, Delivered-To), one reply, nothing to merge.
 * - A group whose members live on SEVERAL backends is expanded here, recursively and loop-safe,
 *   each final user once; each backend gets the member addresses of its users ("split"). The
 *   reply to Postfix for the group is merged from the members' (see merge.ts). Outside addresses in
 *   such a group cannot be handed to a backend over LMTP (a backend refuses addresses that are not
 *   ours); they are logged and counted, see docs/lmtp-proxy.md.
 */
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { BackendRoute, BackendSet } from './backends.js';

/** Postfix/UCS recipient_delimiter (as libs/delivery's resolver). */
const DELIMITER = '+';

export interface Target {
  /** Backend name, or null when routing failed (then `failed` is its reply). */
  readonly backend: string | null;
  /** The RCPT address the backend gets. */
  readonly address: string;
  readonly failed?: Reply;
}

export type Plan =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'refuse'; readonly reply: Reply }
  | { readonly kind: 'single'; readonly target: Target }
  | { readonly kind: 'split'; readonly targets: readonly Target[]; readonly outside: readonly string[] };

function stripDetail(address: string): string | null {
  const at = address.lastIndexOf('@');
  const plus = address.slice(0, at).indexOf(DELIMITER);
  return at > 0 && plus > 0 ? address.slice(0, plus) + address.slice(at) : null;
}

function routeReply(r: Extract<BackendRoute, { ok: false }>, rcpt: string): Reply {
  switch (r.why) {
    // RFC 3463 §3.4: X.3.5 "system incorrectly configured": a home server with no backend in proxy.lmtpBackends.
    case 'unknown-home-server': return reply(451, '4.3.5', `<${rcpt}> Home server ${r.backend ?? ''} has no LMTP backend configured`);
    case 'breaker-open': return reply(451, '4.4.1', `<${rcpt}> Backend ${r.backend ?? ''} unavailable, try again later`);
    case 'no-healthy-backend': return reply(451, '4.4.1', `<${rcpt}> No backend available, try again later`);
  }
}

function target(set: BackendSet, key: string, homeServer: string | null, address: string): Target {
  const r = set.route(key, homeServer);
  return r.ok ? { backend: r.backend.name, address } : { backend: null, address, failed: routeReply(r, address) };
}

/** Throws MailError TEMP when the directory is unreachable (the caller answers 451). */
export async function planRecipient(dir: Directory, set: BackendSet, rcpt: string): Promise<Plan> {
  const address = rcpt.toLowerCase();
  let hit = await dir.resolve(address);
  if (!hit) {
    const base = stripDetail(address);
    if (base) hit = await dir.resolve(base);
  }
  if (!hit) return { kind: 'unknown' };
  if (hit.kind === 'user') {
    const t = target(set, hit.user.user, hit.user.homeServer, rcpt);
    return t.failed ? { kind: 'refuse', reply: t.failed } : { kind: 'single', target: t };
  }
  if (hit.kind === 'shared') {
    // The folder's home server decides (its backend answers for the address itself).
    const t = target(set, hit.folder.name, hit.folder.homeServer, rcpt);
    return t.failed ? { kind: 'refuse', reply: t.failed } : { kind: 'single', target: t };
  }
  const { users, outside } = await expandGroup(dir, hit.group.address, hit.group.members);
  const targets = users.map((u) => target(set, u.user, u.homeServer, u.user));
  const backends = new Set(targets.map((t) => t.backend));
  if (targets.length === 0) {
    // Only outside members (or nobody): any backend can relay it; the backend answers 550 if nobody.
    const t = target(set, hit.group.address, null, rcpt);
    return t.failed ? { kind: 'refuse', reply: t.failed } : { kind: 'single', target: t };
  }
  if (targets.every((t) => t.failed)) return { kind: 'refuse', reply: targets[0]!.failed! };
  if (backends.size === 1 && !backends.has(null)) return { kind: 'single', target: { backend: targets[0]!.backend, address: rcpt } };
  return { kind: 'split', targets, outside };
}

/** Breadth-first over the group graph: each enabled user once, cycles harmless, bounded like libs/delivery. */
async function expandGroup(dir: Directory, self: string, members: readonly string[]): Promise<{ users: UserRecord[]; outside: string[] }> {
  const users: UserRecord[] = [];
  const outside: string[] = [];
  const seenUsers = new Set<string>();
  const seen = new Set<string>([self.toLowerCase()]);
  let level = [...members];
  for (let depth = 1; level.length; depth++) {
    if (depth > LIMITS.deliveryMaxGroupDepth) throw new MailError('LIMIT', 'Group nesting too deep');
    const next: string[] = [];
    for (const m of level) {
      const a = m.toLowerCase();
      if (seen.has(a)) continue;
      seen.add(a);
      if (seen.size > LIMITS.deliveryMaxExpansion) throw new MailError('LIMIT', 'Group expands to too many addresses');
      const r = await dir.resolve(a);
      if (!r) outside.push(a);
      else if (r.kind === 'user') {
        if (!r.user.disabled && !seenUsers.has(r.user.user)) { seenUsers.add(r.user.user); users.push(r.user); }
      } else if (r.kind === 'group') next.push(...r.group.members);
    }
    level = next;
  }
  return { users, outside };
}
