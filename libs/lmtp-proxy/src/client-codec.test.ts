// The pure client side: reply reader (RFC 5321 §4.2) and streaming dot-stuffer (§4.5.2), fed in any
// chunking; the stuffer round-trips through the server's own receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DotStuffer, ReplyReader } from './client-codec.js';
import { runReceiver, split } from '../../lmtp-codec/src/testing.js';
import { mergeGroupReplies } from './merge.js';
import { reply } from '../../lmtp-codec/src/reply.js';
import { MemoryDeliveredStore, deliveredKey } from './dedup.js';

test('ReplyReader: multi-line LHLO reply, enhanced codes, byte-by-byte (RFC 5321 §4.2.1)', () => {
  const wire = Buffer.from('220 b LMTP ready\r\n250-b\r\n250-PIPELINING\r\n250 CHUNKING\r\n451 4.4.1 later\r\n');
  const r = new ReplyReader(1000);
  const out = [...wire].flatMap((c) => r.push(Buffer.from([c])));
  assert.deepEqual(out.map((x) => x.code), [220, 250, 451]);
  assert.deepEqual(out[1]!.lines, ['b', 'PIPELINING', 'CHUNKING']);
  assert.equal(out[2]!.enhanced, '4.4.1');
  assert.deepEqual(out[2]!.lines, ['later']);
});

test('ReplyReader: garbage and overlong lines are errors, not replies', () => {
  assert.throws(() => new ReplyReader(100).push(Buffer.from('hello\r\n')), /bad backend reply/);
  assert.throws(() => new ReplyReader(10).push(Buffer.alloc(50, 0x41)), /too long/);
});

test('DotStuffer: any bytes in any chunking come out of the server receiver unchanged (RFC 5321 §4.5.2)', () => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('.', '\r', '\n', 'a', '\r\n', '\r\n.', '..', '.\r\n'), { maxLength: 60 }).map((a) => Buffer.from(a.join(''), 'latin1')),
    fc.array(fc.nat(), { maxLength: 6 }),
    (msg, cuts) => {
      const ds = new DotStuffer();
      const wire = Buffer.concat([...split(msg, cuts).map((c) => Buffer.from(ds.stuff(c))), ds.end()]);
      const t = runReceiver([Buffer.from('DATA\r\n'), wire]);
      assert.deepEqual(t.events, ['DATA', 'END']);
      const expected = msg.length === 0 || msg.subarray(-2).equals(Buffer.from('\r\n')) ? msg : Buffer.concat([msg, Buffer.from('\r\n')]);
      assert.deepEqual(t.bodies[0], expected);
    },
  ), { numRuns: 500 });
});

test('merge: a group is 250 only when no member is deferred; 451 otherwise; all refused -> the refusal', () => {
  const ok = { member: 'a@x', reply: reply(250, '2.0.0', 'ok') };
  const temp = { member: 'b@x', reply: reply(451, '4.4.1', 'down') };
  const perm = { member: 'c@x', reply: reply(552, '5.2.2', 'full') };
  assert.equal(mergeGroupReplies('g@x', [ok, temp], 'id').code, 451);
  assert.equal(mergeGroupReplies('g@x', [ok, temp], 'id').enhanced, '4.4.1');
  assert.equal(mergeGroupReplies('g@x', [ok, perm], 'id').code, 250);
  assert.equal(mergeGroupReplies('g@x', [perm], 'id').code, 552);
});

test('MemoryDeliveredStore: bounded by count and age; keys differ by body, sender, group and member', async () => {
  let now = 0;
  const s = new MemoryDeliveredStore(2, 1000, () => now);
  const k = (m: string) => deliveredKey('h', 's@x', 'g@x', m);
  await s.add([k('a'), k('b'), k('c')]);
  assert.equal(s.size, 2);
  assert.equal(await s.has(k('a')), false);
  assert.equal(await s.has(k('c')), true);
  now = 2000;
  assert.equal(await s.has(k('c')), false);
  assert.notEqual(deliveredKey('h1', 's', 'g', 'm'), deliveredKey('h2', 's', 'g', 'm'));
});
