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
  const ranges = indexRanges(view, set, uid);
  const out: Target[] = [];
  if (!ranges.length) return out;
  const entries = view.entries;
  for (let r = 0; r < ranges.length; r += 2) {
    for (let i = ranges[r]!; i < ranges[r + 1]!; i++) out.push({ seq: i + 1, entry: entries[i]! });
  }
  return out;
}

/**
 * The messages of a set as view indexes (sequence number - 1): flat [from, to) pairs, ascending,
 * disjoint, every message once, in sequence order; the rules of resolveSet. A FETCH over every
 * message walks these without a Target per message.
 */
export function indexRanges(view: MailboxView, set: SeqSet, uid: boolean): number[] {
  if (set.kind === 'saved') throw new MailError('PARSE', 'Saved search results ($) are not supported');
  const n = view.exists;
  const ranges: Array<[number, number]> = [];
  if (!uid) {
    for (const r of set.ranges) {
      let a = r.start === '*' ? n : r.start;
      let b = r.end === '*' ? n : r.end;
      if (a > b) [a, b] = [b, a];
      if (a < 1 || b > n) throw new MailError('PARSE', 'Invalid messageset');
      ranges.push([a - 1, b]);
    }
    return merged(ranges, 0);
  }
  if (n === 0) return [];
  const max = view.maxUid();
  for (const r of set.ranges) {
    let a = r.start === '*' ? max : r.start;
    let b = r.end === '*' ? max : r.end;
    if (a > b) [a, b] = [b, a];
    ranges.push([a, b]);
  }
  // Entries ascend by UID: each range is a slice found by binary search (a UID FETCH 1:* of
  // 100,000 messages tests no range per message); overlapping ranges are merged first so every
  // message is picked once, in sequence order.
  const out: number[] = [];
  let done = 0; // entries below this index are already decided
  const m = merged(ranges, 1);
  for (let r = 0; r < m.length; r += 2) {
    const from = firstIndex(view, m[r]!, done, n, false);
    const to = firstIndex(view, m[r + 1]!, from, n, true);
    if (from < to) out.push(from, to);
    done = to;
  }
  return out;
}

/** Binary search in [lo, hi): the first index whose UID is >= uid (> uid when `after`). */
function firstIndex(view: MailboxView, uid: number, lo: number, hi: number, after: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const u = view.uidAt(mid);
    if (u < uid || (after && u === uid)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Sorted and merged [a, b] ranges as flat pairs; `gap` 1 joins ranges that touch (closed ranges), 0 half-open ones. */
function merged(ranges: Array<[number, number]>, gap: number): number[] {
  ranges.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (let r = 0; r < ranges.length; r++) {
    const a = ranges[r]![0];
    let b = ranges[r]![1];
    while (r + 1 < ranges.length && ranges[r + 1]![0] <= b + gap) b = Math.max(b, ranges[++r]![1]);
    out.push(a, b);
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
