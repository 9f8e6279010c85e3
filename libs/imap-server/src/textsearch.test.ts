/**
 * SEARCH matching fast paths (textsearch.ts) agree with the plain definition: the text,
 * lower-cased, contains the lower-cased needle (RFC 3501 §6.4.4: case-insensitive substring).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { includesFolded } from './textsearch.js';

// Characters that stress the fast path: ASCII letters/specials, and non-ASCII characters whose
// lower case is or contains ASCII (U+0130, U+212A KELVIN SIGN) or differs in length.
const CHARS = ['a', 'K', 'k', 'i', 'I', 'z', 'Z', '.', '*', '(', '[', '\\', '$', ' ', '\n', '\r', '\u0130', '\u212a',
  '\u00df', '\u00c4', '\u00e4', '\u03a3', '\u017f', '\u0131', 'ǅ'];
const str = (max: number) => fc.array(fc.constantFrom(...CHARS), { maxLength: max }).map((a) => a.join(''));

test('includesFolded equals toLowerCase().includes for any text and needle', () => {
  fc.assert(fc.property(str(40), str(4), (text, rawNeedle) => {
    const needle = rawNeedle.toLowerCase();
    assert.equal(includesFolded(text, needle), text.toLowerCase().includes(needle), JSON.stringify({ text, needle }));
  }), { numRuns: 20000 });
});

test('includesFolded: regex metacharacters in the needle are literal', () => {
  assert.equal(includesFolded('price: $5.00 (net)', '$5.00 (net)'), true);
  assert.equal(includesFolded('price: $5x00', '$5.00'), false);
  assert.equal(includesFolded('a[b]c\\d', '[b]c\\d'), true);
});

test('includesFolded: Kelvin sign and dotted capital I match as toLowerCase says', () => {
  assert.equal(includesFolded('\u212aelvin', 'kelvin'), true);
  assert.equal(includesFolded('\u0130stanbul', 'i'), true);
  assert.equal(includesFolded('ZANZIBAR', 'zanzibar'), true);
  assert.equal(includesFolded('zanzi bar', 'zanzibar'), false);
});
