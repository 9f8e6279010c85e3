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
  // Entries ascend by UID: each range is a slice found by binary search (a UID FETCH 1:* of
  // 100,000 messages tests no range per message); overlapping ranges are merged first so every
  // message is picked once, in sequence order.
  ranges.sort((x, y) => x[0] - y[0]);
  const entries = view.entries;
  let done = 0; // entries below this index are already decided
  for (let r = 0; r < ranges.length; r++) {
    const a = ranges[r]![0];
    let b = ranges[r]![1];
    while (r + 1 < ranges.length && ranges[r + 1]![0] <= b + 1) b = Math.max(b, ranges[++r]![1]);
    let lo = done, hi = n;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (entries[mid]!.uid < a) lo = mid + 1; else hi = mid; }
    let i = lo;
    for (; i < n && entries[i]!.uid <= b; i++) out.push({ seq: i + 1, entry: entries[i]! });
    done = i;
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
