/**
 * The one reply Postfix gets for a group recipient that was split over backends, from its
 * members' replies. Pure.
 *
 * - Any member deferred (4xx): 451 for the group, so Postfix keeps the message and retries; the
 *   members that got 250 are remembered (dedup.ts) and skipped on that retry: nothing is lost and
 *   no member gets a second copy (unless the record is lost, e.g. a retry through another proxy
 *   without Redis: then a duplicate, never a loss).
 * - Otherwise, if at least one member got its copy: 250. A member refused permanently (e.g. 552
 *   over quota) is logged; bouncing the whole group to the sender for one member would be wrong
 *   for the members that have it, and Dovecot answers a group the same way (one reply per RCPT).
 * - Every member refused permanently: the first refusal.
 */
import { reply, type Reply } from '../../lmtp-codec/src/reply.js';

export type MemberResult = { readonly member: string; readonly reply: Reply; readonly earlier?: boolean };

export function mergeGroupReplies(rcpt: string, results: readonly MemberResult[], id: string): Reply {
  const temp = results.filter((r) => r.reply.code >= 400 && r.reply.code < 500);
  const ok = results.filter((r) => r.reply.code < 400);
  if (temp.length > 0) {
    const enhanced = temp[0]!.reply.enhanced?.startsWith('4.') ? temp[0]!.reply.enhanced : '4.4.0';
    return reply(451, enhanced, `<${rcpt}> ${temp.length} of ${results.length} members deferred, try again later`);
  }
  if (ok.length > 0) return reply(250, '2.0.0', `<${rcpt}> ${id} Saved for ${ok.length} of ${results.length} members`);
  return results[0]?.reply ?? reply(550, '5.1.1', `<${rcpt}> User doesn't exist`);
}
