/**
 * A user's quota usage from the Maildir++ `maildirsize` file in `<home>/Maildir` (recalculated by
 * MaildirQuota when missing or wrong), with the limit from the directory (UCS univentionMailUserQuota).
 */
import { join } from 'node:path';
import { MaildirQuota } from '../../maildir/src/quota.js';

export interface UserQuota {
  bytes: number;
  messages: number;
  /** Storage limit in octets; null = unlimited. */
  limit: number | null;
  /** Usage in percent of the limit (integer, floor); null when unlimited. */
  percent: number | null;
}

export async function userQuota(home: string, quotaBytes: number | null, fsync = false): Promise<UserQuota> {
  const limit = quotaBytes && quotaBytes > 0 ? quotaBytes : null;
  const q = new MaildirQuota(join(home, 'Maildir'), { bytes: limit, messages: null }, fsync);
  const u = await q.usage();
  return { bytes: u.bytes, messages: u.messages, limit, percent: limit ? Math.floor((u.bytes * 100) / limit) : null };
}
