/**
 * MailboxView made from a snapshot makes its entries on first use (a first SELECT of 100,000
 * messages needs none): everything it answers before must equal what the entries give.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MailboxView } from './view.js';
import type { MailboxSnapshot, MessageRecord } from '../../mailstore/src/types.js';

function snapshot(uids: number[], seen: boolean[], recent: number[]): MailboxSnapshot {
  return {
    uidValidity: 7, uidNext: (uids[uids.length - 1] ?? 0) + 1, highestModseq: 3, recent: new Set(recent), keywords: [],
    messages: uids.map((uid, i): MessageRecord => ({ uid, flags: seen[i] ? ['\\Seen'] : [], internalDate: 0, size: 1, modseq: 1 })),
  };
}

it('property: a fresh view answers as its materialised entries do', () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 30 }).map((a) => a.sort((x, y) => x - y)),
    fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
    fc.integer({ min: 0, max: 201 }),
    (uids, seen, probe) => {
      const snap = snapshot(uids, seen, uids.filter((_, i) => i % 3 === 0));
      const fresh = new MailboxView(snap);
      const made = new MailboxView(snap);
      assert.equal(made.entries.length, uids.length);
      assert.equal(fresh.pristineRecs(), snap.messages, 'no entries made yet');
      assert.equal(made.pristineRecs(), null);
      for (const v of [fresh, made]) {
        assert.equal(v.exists, uids.length);
        assert.equal(v.maxUid(), uids.length ? uids[uids.length - 1] : 0);
        assert.equal(v.firstUnseen(), seen.slice(0, uids.length).indexOf(false) + 1);
        assert.equal(v.countRecent(), Math.ceil(uids.length / 3));
        assert.equal(v.seqOfFast(probe), uids.indexOf(probe) + 1);
        for (let i = 0; i < uids.length; i++) assert.equal(v.uidAt(i), uids[i]);
      }
      assert.equal(fresh.pristineRecs(), snap.messages, 'answering made no entries');
      // The same snapshot again changes nothing and still makes no entries.
      assert.deepEqual(fresh.apply(snap, true), []);
      assert.equal(fresh.pristineRecs(), snap.messages);
      // First use of the entries: one per record, in order, none expunged.
      assert.deepEqual(fresh.entries.map((e) => [e.uid, e.rec, e.expunged]), snap.messages.map((r) => [r.uid, r, false]));
      assert.equal(fresh.pristineRecs(), null);
    },
  ), { numRuns: 300 });
});

it('a fresh view diffs a changed snapshot like a materialised one (flag change, expunge, new message)', () => {
  const a = snapshot([1, 2, 3, 5], [false, true, false, false], []);
  const changed: MailboxSnapshot = {
    ...a, uidNext: 7, highestModseq: 4,
    messages: [
      { ...a.messages[0]!, flags: ['\\Seen'], modseq: 4 },
      a.messages[1]!,
      a.messages[3]!,
      { uid: 6, flags: [], internalDate: 0, size: 1, modseq: 4 },
    ],
  };
  const fresh = new MailboxView(a);
  const made = new MailboxView(a);
  void made.entries;
  const out = fresh.apply(changed, true);
  assert.deepEqual(out, made.apply(changed, true));
  assert.deepEqual(out, ['* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n', '* 3 EXPUNGE\r\n', '* 4 EXISTS\r\n', '* 0 RECENT\r\n']);
  assert.deepEqual(fresh.entries.map((e) => e.uid), [1, 2, 5, 6]);
});
