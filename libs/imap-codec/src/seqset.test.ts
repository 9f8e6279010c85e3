import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compressUids, formatSeqSet, parseSeqSet, resolveSeqSet, seqSetHas, seqSetMax, seqSetToList } from './seqset.js';

const p = (s: string) => { const r = parseSeqSet(s); assert.ok(r, s); return r; };

test('RFC 3501 §9 sequence-set parsing', () => {
  assert.deepEqual(parseSeqSet('1:3,5,7:*'), { kind: 'set', ranges: [{ start: 1, end: 3 }, { start: 5, end: 5 }, { start: 7, end: '*' }] });
  assert.deepEqual(parseSeqSet('$'), { kind: 'saved' });
  assert.deepEqual(parseSeqSet('*:4'), { kind: 'set', ranges: [{ start: '*', end: 4 }] });
  for (const bad of ['', '0', '1:', ':1', '1,', ',1', '1::2', 'a', '1:0', '4294967296', '01', '1,$', '$$', '1 2']) assert.equal(parseSeqSet(bad), null, bad);
  assert.ok(parseSeqSet('4294967295'));
});

test('RFC 3501 §9: reversed ranges are equal to forward ones; * is the max', () => {
  assert.deepEqual(resolveSeqSet(p('4:2'), 10), [[2, 4]]);
  assert.deepEqual(resolveSeqSet(p('*:8,1,3:2,9'), 10), [[1, 3], [8, 10]]);
  assert.deepEqual(resolveSeqSet(p('5:*'), 3), [[3, 3]], 'n:* includes * even when n > max (RFC 3501 §6.4.8)');
  assert.deepEqual(resolveSeqSet(p('20:30'), 10), []);
  assert.deepEqual(resolveSeqSet(p('1:*'), 0), []);
  assert.deepEqual(seqSetToList(p('3,1,2,2'), 5), [1, 2, 3]);
  assert.equal(seqSetMax(p('1,7:*'), 5), 7);
});

test('seqSetHas', () => {
  const s = p('1:3,10:*');
  assert.equal(seqSetHas(s, 2, 20), true);
  assert.equal(seqSetHas(s, 5, 20), false);
  assert.equal(seqSetHas(s, 20, 20), true);
  assert.equal(seqSetHas({ kind: 'saved' }, 1, 1), false);
});

test('compressUids keeps order (RFC 4315 COPYUID pairing) and collapses runs', () => {
  assert.equal(compressUids([1, 2, 3, 7]), '1:3,7');
  assert.equal(compressUids([5, 4, 3]), '5,4,3');
  assert.equal(compressUids([]), '');
  assert.equal(compressUids([9]), '9');
});

test('property: format → parse round-trips; resolve agrees with seqSetHas', () => {
  const num = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constant('*' as const));
  const range = fc.record({ start: num, end: num });
  fc.assert(fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 60 }), (rs, max) => {
    const set = { kind: 'set' as const, ranges: rs.map((r) => ({ start: r.start, end: r.end })) };
    assert.deepEqual(parseSeqSet(formatSeqSet(set)), set);
    const list = new Set(seqSetToList(set, max));
    for (let n = 1; n <= max; n++) assert.equal(list.has(n), seqSetHas(set, n, max), `n=${n}`);
    const sorted = [...list].sort((a, b) => a - b);
    if (sorted.length > 0) assert.deepEqual(seqSetToList(p(compressUids(sorted)), max), sorted);
  }), { numRuns: 300 });
});
