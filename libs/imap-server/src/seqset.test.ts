import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resolveSet } from './seqset.js';
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
