import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mutf7Decode, mutf7Encode } from './mutf7.js';
import { MailError } from './errors.js';

test('RFC 3501 §5.1.3 example and common names', () => {
  assert.equal(mutf7Encode('~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
  assert.equal(mutf7Decode('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e');
  assert.equal(mutf7Encode('Entw\u00fcrfe'), 'Entw&APw-rfe');
  assert.equal(mutf7Encode('a&b'), 'a&-b');
  assert.equal(mutf7Decode('&-&-'), '&&');
  assert.equal(mutf7Encode('\u{1F600}'), '&2D3eAA-');
  assert.equal(mutf7Decode('&2D3eAA-'), '\u{1F600}');
  assert.equal(mutf7Encode(''), '');
  assert.equal(mutf7Encode('\t'), '&AAk-');
});

test('RFC 3501 §5.1.3: strict decoding rejects invalid and non-canonical forms with BADNAME', () => {
  for (const bad of [
    '&', '&U,BTFw', '&AGE-',          // unterminated, unterminated, encoded printable "a"
    '&U,BTFw-&ZeVnLIqe-',            // two adjacent runs must be one
    '&Jj=-', '&Jj/-', '&*-',         // invalid base64 alphabet ("/" is "," here, no padding)
    '&AOkA-',                        // non-zero leftover bits
    '&AOk', '&2D0-', '&3gA-',        // unterminated, lone high surrogate, lone low surrogate
    '\u00e9', 'a\tb', '&A-',         // raw 8-bit, raw control, too few bits
  ]) {
    assert.throws(() => mutf7Decode(bad), (e: unknown) => e instanceof MailError && e.code === 'BADNAME', bad);
  }
});

test('property: decode(encode(s)) === s for well-formed Unicode; encode output is printable ASCII', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
    const e = mutf7Encode(s);
    assert.match(e, /^[\x20-\x7e]*$/);
    assert.equal(mutf7Decode(e), s);
    assert.equal(mutf7Encode(mutf7Decode(e)), e, 'canonical');
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
    assert.equal(mutf7Decode(mutf7Encode(s)), s);
  }), { numRuns: 500 });
});

test('property: decoding arbitrary printable text either throws BADNAME or re-encodes to the same text', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'&-AaZz09+,/=x~'), maxLength: 20 }), (s) => {
    let d: string;
    try { d = mutf7Decode(s); } catch (e) { assert.ok(e instanceof MailError && e.code === 'BADNAME'); return; }
    assert.equal(mutf7Encode(d), s);
  }), { numRuns: 1000 });
});
