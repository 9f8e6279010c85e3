/** Resolving sequence sets against the session view (RFC 3501 §9 sequence-set, §6.4.8 UID). */
import type { SeqSet } from '../../imap-codec/src/types.js';
import { MailError } from '../../core/src/errors.js';
import type { MailboxView, ViewEntry } from './view.js';

export interface Target { seq: number; entry: ViewEntry }

/**
 * Message-sequence sets: a number above EXISTS is an error (RFC 3501 §9: "invalid"), '*' is EXISTS.
 * UID sets: '*' is the largest UID in the view; UIDs not present are silently ignored (§6.4.8),
 * and "n:*" always includes the largest UID even when n is larger (§6.4.8 note).
 */
export function resolveSet(view: MailboxView, set: SeqSet, uid: boolean): Target[] {
  if (set.kind === 'saved') throw new MailError('PARSE', 'Saved search results ($) are not supported');
  const n = view.exists;
  const out: Target[] = [];
  if (!uid) {
    const picked = new Uint8Array(n + 1);
    for (const r of set.ranges) {
      let a = r.start === '*' ? n : r.start;
      let b = r.end === '*' ? n : r.end;
      if (a > b) [a, b] = [b, a];
      if (a < 1 || b > n) throw new MailError('PARSE', 'Invalid messageset');
      for (let i = a; i <= b; i++) picked[i] = 1;
    }
    for (let i = 1; i <= n; i++) if (picked[i]) out.push({ seq: i, entry: view.entries[i - 1]! });
    return out;
  }
  const max = view.maxUid();
  if (n === 0) return out;
  const ranges: Array<[number, number]> = [];
  for (const r of set.ranges) {
    let a = r.start === '*' ? max : r.start;
    let b = r.end === '*' ? max : r.end;
    if (a > b) [a, b] = [b, a];
    ranges.push([a, b]);
  }
  for (let i = 0; i < n; i++) {
    const e = view.entries[i]!;
    for (const [a, b] of ranges) {
      if (e.uid >= a && e.uid <= b) { out.push({ seq: i + 1, entry: e }); break; }
    }
  }
  return out;
}

/** Compact UID set for COPYUID/APPENDUID/ESEARCH ("1:3,7"); keeps the given order's pairing. */
export function formatUidList(uids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < uids.length) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(j === i ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function formatSortedSet(nums: readonly number[]): string {
  return formatUidList([...nums].sort((a, b) => a - b));
}
