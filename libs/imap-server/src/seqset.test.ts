import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { indexRanges, resolveSet } from './seqset.js';
import { MailboxView } from './view.js';
import type { SeqRange } from '../../imap-codec/src/types.js';

/** The earlier per-message test of every range (RFC 3501 §6.4.8 UID sets): the reference. */
function refUids(uids: number[], ranges: SeqRange[]): number[] {
  const max = uids.length ? uids[uids.length - 1]! : 0;
  if (!uids.length) return [];
  const rs = ranges.map((r) => {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    return a <= b ? [a, b] : [b, a];
  });
  return uids.filter((u) => rs.some(([a, b]) => u >= a! && u <= b!));
}

it('property: UID sets pick each message once, in sequence order, as testing every range per message did', () => {
  const bound = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant('*' as const));
  fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }),
    fc.array(fc.record({ start: bound, end: bound }), { minLength: 1, maxLength: 6 }),
    (raw, ranges) => {
      const uids = [...raw].sort((a, b) => a - b);
      const view = new MailboxView({
        uidValidity: 1, uidNext: 100, highestModseq: 1, recent: new Set(), keywords: [],
        messages: uids.map((uid) => ({ uid, flags: [], internalDate: 0, size: 1, modseq: 1 })),
      });
      const got = resolveSet(view, { kind: 'set', ranges }, true);
      assert.deepEqual(got.map((t) => t.entry.uid), refUids(uids, ranges));
      for (const t of got) assert.equal(view.entries[t.seq - 1]!.uid, t.entry.uid);
    },
  ), { numRuns: 1000 });
});

it('property: sequence sets and index ranges pick what a per-number test picks, on fresh and on materialised views', () => {
  const bound = fc.oneof(fc.integer({ min: 1, max: 45 }), fc.constant('*' as const));
  fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }),
    fc.array(fc.record({ start: bound, end: bound }), { minLength: 1, maxLength: 6 }),
    fc.boolean(),
    fc.boolean(),
    (raw, ranges, uid, materialise) => {
      const uids = [...raw].sort((a, b) => a - b);
      const view = new MailboxView({
        uidValidity: 1, uidNext: 100, highestModseq: 1, recent: new Set(), keywords: [],
        messages: uids.map((u) => ({ uid: u, flags: [], internalDate: 0, size: 1, modseq: 1 })),
      });
      if (materialise) assert.equal(view.entries.length, uids.length);
      assert.equal(view.pristineRecs() === null, materialise, 'a fresh view makes no entries until asked');
      const n = uids.length;
      // Reference: sequence numbers tested one by one (RFC 3501 §9: a number above EXISTS is invalid).
      let want: number[] | 'invalid';
      if (uid) want = refUids(uids, ranges).map((u) => uids.indexOf(u));
      else {
        const rs = ranges.map((r) => [r.start === '*' ? n : r.start, r.end === '*' ? n : r.end].sort((a, b) => a - b) as [number, number]);
        want = rs.some(([a, b]) => a < 1 || b > n) ? 'invalid' : [...Array(n).keys()].filter((i) => rs.some(([a, b]) => i + 1 >= a && i + 1 <= b));
      }
      if (want === 'invalid') {
        assert.throws(() => indexRanges(view, { kind: 'set', ranges }, false), /Invalid messageset/);
        assert.throws(() => resolveSet(view, { kind: 'set', ranges }, false), /Invalid messageset/);
        return;
      }
      const pairs = indexRanges(view, { kind: 'set', ranges }, uid);
      const got: number[] = [];
      for (let r = 0; r < pairs.length; r += 2) {
        assert.ok(pairs[r]! < pairs[r + 1]!, 'no empty range');
        if (r > 0) assert.ok(pairs[r]! >= pairs[r - 1]!, 'ascending, disjoint');
        for (let i = pairs[r]!; i < pairs[r + 1]!; i++) got.push(i);
      }
      assert.deepEqual(got, want);
      assert.deepEqual(resolveSet(view, { kind: 'set', ranges }, uid).map((t) => t.seq - 1), want);
    },
  ), { numRuns: 1000 });
});
