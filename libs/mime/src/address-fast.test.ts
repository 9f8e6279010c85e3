/**
 * The fast paths of the ENVELOPE code give exactly what the general definitions give: the simple
 * address-list parser versus parseAddressList (RFC 5322 §3.4), the one-pass IMAP string quoting
 * versus its regex definition (RFC 3501 §4.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddressListFast } from './address-fast.js';
import { parseAddressList } from './envelope.js';
import { imapString } from './envelope-imap.js';

const PIECES = [
  'a', 'Bob', 'x.y', 'J.', 'o\'neil', 'ü', '=?utf-8?q?J=C3=B6rg?=', '1', '+tag', '-', '_',
  '@', '.', ' ', '  ', '\t', ',', ', ', ';', ':', '<', '>', '"', '\\', '(', ')', '[', ']', '\r\n', '\0',
  'a@b.c', '<a@b.c>', '"Last, First"', '""', '(comment)', '@r1,@r2:', 'group:', ';',
];

test('simple address lists parse as parseAddressList parses them, any input', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), (parts) => {
    const v = parts.join('');
    const fast = parseAddressListFast(v);
    if (fast !== undefined) assert.deepEqual(fast, parseAddressList(v), JSON.stringify(v));
  }), { numRuns: 50000 });
});

test('near-misses of the usual forms (one character changed or added) agree too', () => {
  const names = ['', 'Alice', 'Alice Kowalski', 'J. R.', '"Kowalski, Alice"', '""', '"a b"', 'ü.x'];
  const specs = ['a@b', 'alice.k@univention.example', 'x+y@z', '.a@b.', 'ü@ö'];
  const seps = [',', ', ', ',  ', ' ,'];
  const item = fc.tuple(fc.constantFrom(...names), fc.constantFrom(...specs), fc.boolean())
    .map(([n, a, angle]) => (angle || n ? `${n}${n ? ' ' : ''}<${a}>` : a));
  const noise = ['', ' ', '  ', '"', '<', '>', '@', ',', '.', '\\', '(', ')', ':', ';', '[', '\t', '\0', 'é', 'x'];
  let fastHits = 0;
  fc.assert(fc.property(
    fc.array(item, { minLength: 1, maxLength: 4 }), fc.constantFrom(...seps),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...noise), fc.boolean()), { maxLength: 2 }),
    (items, sep, edits) => {
      let v = items.join(sep);
      for (const [at, ch, replace] of edits) {
        const p = at % (v.length + 1);
        v = v.slice(0, p) + ch + v.slice(replace ? p + 1 : p);
      }
      const fast = parseAddressListFast(v);
      if (fast !== undefined) { fastHits++; assert.deepEqual(fast, parseAddressList(v), JSON.stringify(v)); }
    }), { numRuns: 30000 });
  assert.ok(fastHits > 5000, `fast path taken ${fastHits} times`);
});

test('the usual forms take the fast path', () => {
  const usual = [
    'alice@example.org',
    'Alice Kowalski <alice.kowalski@univention.example>',
    '"Kowalski, Alice" <alice@example.org>',
    '<bob@example.org>',
    'J. R. Smith <jrs@x.example>, bob@y.example, "Q" <q@z.example>',
    '=?utf-8?q?J=C3=B6rg?= <j@example.de>',
    'Jörg Müller <jm@example.de>',
  ];
  for (const v of usual) {
    const fast = parseAddressListFast(v);
    assert.notEqual(fast, undefined, v);
    assert.deepEqual(fast, parseAddressList(v), v);
  }
  for (const v of ['', 'undisclosed-recipients:;', 'a@b (Bob)', '<@r:a@b>', 'a@[1.2.3.4]', '"a\\"b" <a@b>', 'Bob  <a@b>', 'a@b,']) {
    assert.equal(parseAddressListFast(v), undefined, v);
  }
});

test('imapString equals its definition: quoted when TEXT-CHAR without CR/LF/NUL/8-bit and short, else literal', () => {
  const ref = (s: string): string => {
    if (s.length < 1024 && /^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(s)) return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
    const body = s.replace(/\0/g, '');
    return `{${Buffer.byteLength(body, 'utf8')}}\r\n${body}`;
  };
  const chars = ['a', ' ', '"', '\\', '\0', '\r', '\n', '\x7f', '\x80', 'é', '😀', '\x01', '{'];
  fc.assert(fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 20 }), (a) => {
    const s = a.join('');
    assert.equal(imapString(s), ref(s));
  }), { numRuns: 20000 });
  for (const n of [1023, 1024, 1025]) assert.equal(imapString('x'.repeat(n)), ref('x'.repeat(n)));
});
