// LineQueue (pre-login framing of POP3/ManageSieve) fed in arbitrary pieces, and the ManageSieve tokenizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineQueue } from './line-queue.js';
import { tokenize } from './sieve-proxy.js';

function drain(q: LineQueue): string[] {
  const out: string[] = [];
  for (let ev = q.next(); ev; ev = q.next()) out.push(ev.type === 'line' ? ev.text : '<overflow>');
  return out;
}

test('lines come out the same however the input is split; takeUnread returns the rest byte for byte', () => {
  fc.assert(fc.property(
    fc.array(fc.stringMatching(/^[ -~]{0,40}$/), { maxLength: 8 }), fc.stringMatching(/^[ -~]{0,20}$/), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
    (lines, tail, cuts) => {
      const input = Buffer.from(lines.map((l) => `${l}\r\n`).join('') + tail);
      const q = new LineQueue(100);
      const got: string[] = [];
      let at = 0;
      for (let i = 0; at < input.length; i++) {
        const n = cuts[i % cuts.length]!;
        q.push(input.subarray(at, at + n));
        at += n;
        got.push(...drain(q));
      }
      assert.deepEqual(got, lines);
      assert.equal(Buffer.concat(q.takeUnread()).toString(), tail);
    }));
});

test('an over-long line gives one overflow and the queue resynchronises at the next line', () => {
  const q = new LineQueue(10);
  q.push(Buffer.from('x'.repeat(25)));
  q.push(Buffer.from('y'.repeat(25)));
  q.push(Buffer.from('\r\nNOOP\r\n'));
  assert.deepEqual(drain(q), ['<overflow>', 'NOOP']);
});

test('tokenize: atoms and quoted strings with escapes (RFC 5804 §4); literals and broken quotes are refused', () => {
  assert.deepEqual(tokenize('AUTHENTICATE "PLAIN" "AGFsaWNlAHB3"'), ['AUTHENTICATE', 'PLAIN', 'AGFsaWNlAHB3']);
  assert.deepEqual(tokenize('NOOP "a\\"b\\\\c"'), ['NOOP', 'a"b\\c']);
  assert.equal(tokenize('AUTHENTICATE "PLAIN" {12+}'), null);
  assert.equal(tokenize('AUTHENTICATE "PLAIN'), null);
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => { tokenize(s); }));
});
