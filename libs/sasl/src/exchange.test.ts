import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '../../core/src/limits.js';
import { decodeSaslResponse, failureDelay } from './exchange.js';

test('decodeSaslResponse: padded base64 only; "" is an empty response', () => {
  assert.deepEqual(decodeSaslResponse(''), Buffer.alloc(0));
  assert.equal(decodeSaslResponse('AGFsaWNlAHB3')!.toString('latin1'), '\0alice\0pw');
  assert.equal(decodeSaslResponse('YQ==')!.toString(), 'a');
  for (const bad of ['YQ', 'Y Q==', 'YQ=a', '*', 'YQ===', 'Y-_=']) assert.equal(decodeSaslResponse(bad), null, bad);
});

test('failureDelay waits out the rest of LIMITS.authFailureDelayMs, and nothing once it has passed', async () => {
  let t = Date.now();
  await failureDelay(t);
  assert.ok(Date.now() - t >= LIMITS.authFailureDelayMs - 5, 'a fresh start waits the whole delay');
  t = Date.now();
  await failureDelay(t - LIMITS.authFailureDelayMs - 1000);
  assert.ok(Date.now() - t < LIMITS.authFailureDelayMs / 2, 'an old start does not wait');
});
