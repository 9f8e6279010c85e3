/** SEARCH keys (RFC 3501 §6.4.4 and extensions), each fed whole, byte by byte and in random chunks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './testing.js';
import type { SearchKey } from './types.js';

function criteria(keys: string, opts = {}): SearchKey {
  const input = `s SEARCH ${keys}\r\n`;
  const whole = run(input, 'whole', opts);
  assert.deepEqual(run(input, 'bytes', opts), whole);
  assert.deepEqual(run(input, 'random', opts, undefined, 3), whole);
  const evs = whole.filter((e) => e.type !== 'literal-request');
  assert.equal(evs.length, 1);
  const ev = evs[0]!;
  assert.equal(ev.type, 'command', JSON.stringify(ev));
  if (ev.type !== 'command' || ev.command.name !== 'SEARCH') throw new Error('not SEARCH');
  return ev.command.criteria;
}

const set = (...r: Array<[number | '*', number | '*']>) => ({ kind: 'set' as const, ranges: r.map(([start, end]) => ({ start, end })) });

const table: Array<[string, SearchKey]> = [
  ['ALL', { kind: 'all' }],
  ['ANSWERED', { kind: 'flag', flag: '\\Answered', set: true }],
  ['UNANSWERED', { kind: 'flag', flag: '\\Answered', set: false }],
  ['DELETED', { kind: 'flag', flag: '\\Deleted', set: true }],
  ['UNDELETED', { kind: 'flag', flag: '\\Deleted', set: false }],
  ['DRAFT', { kind: 'flag', flag: '\\Draft', set: true }],
  ['UNDRAFT', { kind: 'flag', flag: '\\Draft', set: false }],
  ['FLAGGED', { kind: 'flag', flag: '\\Flagged', set: true }],
  ['UNFLAGGED', { kind: 'flag', flag: '\\Flagged', set: false }],
  ['seen', { kind: 'flag', flag: '\\Seen', set: true }],
  ['UNSEEN', { kind: 'flag', flag: '\\Seen', set: false }],
  ['KEYWORD $Forwarded', { kind: 'flag', flag: '$Forwarded', set: true }],
  ['UNKEYWORD Junk', { kind: 'flag', flag: 'Junk', set: false }],
  ['NEW', { kind: 'new' }],
  ['OLD', { kind: 'old' }],
  ['RECENT', { kind: 'recent' }],
  ['BCC joe', { kind: 'header', field: 'BCC', value: 'joe' }],
  ['CC "a b"', { kind: 'header', field: 'CC', value: 'a b' }],
  ['FROM {3}\r\nSmi', { kind: 'header', field: 'FROM', value: 'Smi' }],
  ['SUBJECT "\u00e4rger"', { kind: 'header', field: 'SUBJECT', value: '\u00e4rger' }],
  ['TO x@y', { kind: 'header', field: 'TO', value: 'x@y' }],
  ['HEADER X-Spam-Flag YES', { kind: 'header', field: 'X-SPAM-FLAG', value: 'YES' }],
  ['HEADER Message-ID ""', { kind: 'header', field: 'MESSAGE-ID', value: '' }],
  ['BODY hello', { kind: 'body', value: 'hello' }],
  ['TEXT "x y"', { kind: 'text', value: 'x y' }],
  ['BEFORE 1-Feb-1994', { kind: 'date', which: 'internal', op: 'before', date: '1994-02-01' }],
  ['ON "29-feb-2024"', { kind: 'date', which: 'internal', op: 'on', date: '2024-02-29' }],
  ['SINCE 31-Dec-1999', { kind: 'date', which: 'internal', op: 'since', date: '1999-12-31' }],
  ['SENTBEFORE 01-Jan-2000', { kind: 'date', which: 'sent', op: 'before', date: '2000-01-01' }],
  ['SENTON 2-Mar-2001', { kind: 'date', which: 'sent', op: 'on', date: '2001-03-02' }],
  ['SENTSINCE 3-Apr-2002', { kind: 'date', which: 'sent', op: 'since', date: '2002-04-03' }],
  ['LARGER 1000', { kind: 'size', op: 'larger', value: 1000 }],
  ['SMALLER 0', { kind: 'size', op: 'smaller', value: 0 }],
  ['1:3,5', { kind: 'seqset', set: set([1, 3], [5, 5]) }],
  ['*', { kind: 'seqset', set: set(['*', '*']) }],
  ['$', { kind: 'seqset', set: { kind: 'saved' } }],
  ['UID 10:*', { kind: 'uid', set: set([10, '*']) }],
  ['UID $', { kind: 'uid', set: { kind: 'saved' } }],
  ['NOT SEEN', { kind: 'not', key: { kind: 'flag', flag: '\\Seen', set: true } }],
  ['OR SEEN FLAGGED', { kind: 'or', a: { kind: 'flag', flag: '\\Seen', set: true }, b: { kind: 'flag', flag: '\\Flagged', set: true } }],
  ['OR (SEEN DRAFT) NOT 1', { kind: 'or', a: { kind: 'and', keys: [{ kind: 'flag', flag: '\\Seen', set: true }, { kind: 'flag', flag: '\\Draft', set: true }] }, b: { kind: 'not', key: { kind: 'seqset', set: set([1, 1]) } } }],
  ['(ALL)', { kind: 'all' }],
  ['DELETED FROM "SMITH" SINCE 1-Feb-1994', { kind: 'and', keys: [{ kind: 'flag', flag: '\\Deleted', set: true }, { kind: 'header', field: 'FROM', value: 'SMITH' }, { kind: 'date', which: 'internal', op: 'since', date: '1994-02-01' }] }],
  ['MODSEQ 620162338', { kind: 'modseq', value: 620162338 }],
  ['MODSEQ "/flags/\\\\draft" all 620162338', { kind: 'modseq', value: 620162338 }],
  ['OLDER 3600', { kind: 'older', seconds: 3600 }],
  ['YOUNGER 60', { kind: 'younger', seconds: 60 }],
];

for (const [keys, expected] of table) {
  test(`RFC 3501 §6.4.4 search key: ${keys.replace(/\r\n/g, '\\r\\n')}`, () => {
    assert.deepEqual(criteria(keys), expected);
  });
}

test('RFC 3501 §6.4.4: CHARSET is returned upper-cased; plain SEARCH has returnOpts null', () => {
  const evs = run('a SEARCH CHARSET us-ascii TEXT x\r\n');
  assert.deepEqual(evs, [{ type: 'command', command: { tag: 'a', uid: false, name: 'SEARCH', charset: 'US-ASCII', criteria: { kind: 'text', value: 'x' }, returnOpts: null } }]);
});

test('RFC 4731 / RFC 5182: SEARCH RETURN (SAVE ALL MAX)', () => {
  const evs = run('a SEARCH RETURN (SAVE ALL MAX) DELETED\r\n');
  assert.equal(evs[0]!.type === 'command' && evs[0]!.command.name === 'SEARCH' && evs[0]!.command.returnOpts?.join(','), 'SAVE,ALL,MAX');
});

test('RFC 3501 §9: invalid dates and keys are BAD', () => {
  for (const k of ['BEFORE 30-Feb-2020', 'ON 1-Feb-94', 'SINCE Feb-1-1994', 'LARGER x', 'OLDER 0', 'UID', 'UID abc', 'MODSEQ "x" bogus 5', 'NOT', 'KEYWORD \\Seen']) {
    const evs = run(`a SEARCH ${k}\r\n`);
    assert.equal(evs[0]!.type, 'bad', k);
  }
});
