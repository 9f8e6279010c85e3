/** Response formatting: RFC 2449 §8 codes, single-line texts, dot-stuffed listings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { err, multiline, ok } from './responses.js';

test('RFC 2449 §8: -ERR with a response code; texts are single-line', () => {
  assert.equal(err('locked', 'IN-USE'), '-ERR [IN-USE] locked\r\n');
  assert.equal(ok('a\r\nb'), '+OK a b\r\n');
  assert.equal(ok(), '+OK\r\n');
});

test('multi-line listing is dot-stuffed and terminated', () => {
  assert.equal(multiline('x', ['A', '.B']), '+OK x\r\nA\r\n..B\r\n.\r\n');
});
