/**
 * The quota-status decision for one recipient, as Dovecot's quota-status service makes it
 * (src/plugins/quota/quota-status.c): only at RCPT; the recipient's +detail is stripped; an
 * unknown user gets the "nouser" answer; over quota, or over with this message's `size`, gets the
 * "overquota" answer; everything else the "success" answer.
 */
import type { Directory, UserRecord } from '../../directory/src/types.js';
import { userQuota } from './usage.js';

export interface QuotaStatusAnswers {
  /** quota_status_success. Dovecot's built-in default is OK; its documented config (and UCS) use DUNNO, so later restrictions still run. */
  success: string;
  /** quota_status_nouser. Dovecot's built-in default is "REJECT Unknown user"; its documented config (and UCS) use DUNNO. */
  nouser: string;
  /** quota_status_overquota, as UCS sets it. */
  overquota: string;
  /** Answer for malformed or oversized requests and lookup failures: DUNNO fails open, e.g. "DEFER_IF_PERMIT ..." fails closed. */
  fail: string;
}

export const DEFAULT_ANSWERS: QuotaStatusAnswers = {
  success: 'DUNNO',
  nouser: 'DUNNO',
  overquota: '552 5.2.2 Mailbox is full',
  fail: 'DUNNO',
};

export interface StatusDeps {
  directory: Directory;
  mailHome(user: UserRecord): string;
  answers: QuotaStatusAnswers;
  /** Subaddress delimiter (Postfix recipient_delimiter, Dovecot recipient_delimiter): "+". */
  recipientDelimiter: string;
}

export type StatusVerdict = 'success' | 'nouser' | 'overquota' | 'skip';

/** Strips +detail from the local part (RFC 5233 subaddress, as LMTP resolves it). */
export function stripDetail(address: string, delimiter: string): string {
  const at = address.lastIndexOf('@');
  if (!delimiter || at <= 0) return address;
  const local = address.slice(0, at);
  const d = local.indexOf(delimiter);
  return d > 0 ? local.slice(0, d) + address.slice(at) : address;
}

/** Decides one request; throws on directory or storage trouble (the caller answers `fail`). */
export async function quotaStatus(deps: StatusDeps, attrs: Readonly<Record<string, string>>): Promise<{ verdict: StatusVerdict; action: string }> {
  const dunno = { verdict: 'skip' as const, action: 'DUNNO' };
  // Dovecot answers DUNNO outside RCPT (the service is only for recipient restrictions) and without a recipient.
  if (attrs.protocol_state !== undefined && attrs.protocol_state.toUpperCase() !== 'RCPT') return dunno;
  const rcpt = (attrs.recipient ?? '').trim().replace(/^<|>$/g, '');
  if (rcpt === '') return dunno;
  const size = /^[0-9]{1,15}$/.test(attrs.size ?? '') ? Number(attrs.size) : 0;
  const r = await deps.directory.resolve(stripDetail(rcpt.toLowerCase(), deps.recipientDelimiter));
  if (!r) return { verdict: 'nouser', action: deps.answers.nouser };
  // Groups fan out to members and shared folders are not users' mailboxes: LMTP decides those per member.
  if (r.kind !== 'user') return { verdict: 'success', action: deps.answers.success };
  const q = await userQuota(deps.mailHome(r.user), r.user.quotaBytes);
  if (q.limit !== null && q.bytes + size > q.limit) return { verdict: 'overquota', action: deps.answers.overquota };
  return { verdict: 'success', action: deps.answers.success };
}
