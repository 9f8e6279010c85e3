import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyReceiver, encodeAction, type PolicyEvent } from './codec.js';
import { feedInPieces } from '../../testing/src/chunks.js';

function feed(input: string, splits: number[] = [], max = 1024): PolicyEvent[] {
  return feedInPieces<PolicyEvent>(new PolicyReceiver(max), Buffer.from(input), splits);
}

const REQ = 'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nrecipient=alice@example.org\nsize=1234\n\n';

test('a Postfix policy request (SMTPD_POLICY_README "Protocol description") and a second one on the same connection', () => {
  const ev = feed(REQ + REQ.replace('alice', 'bob'));
  assert.equal(ev.length, 2);
  assert.deepEqual({ ...(ev[0] as { attrs: Record<string, string> }).attrs }, {
    request: 'smtpd_access_policy', protocol_state: 'RCPT', protocol_name: 'ESMTP', recipient: 'alice@example.org', size: '1234',
  });
  assert.equal((ev[1] as { attrs: Record<string, string> }).attrs.recipient, 'bob@example.org');
  assert.equal(encodeAction('552 5.2.2 Mailbox is full'), 'action=552 5.2.2 Mailbox is full\n\n');
});

test('malformed lines and oversized requests are reported once, and the next request still parses', () => {
  assert.deepEqual(feed('garbage\nrecipient=a\n\n' + REQ).map((e) => e.type), ['invalid', 'request']);
  assert.deepEqual(feed(`x=${'y'.repeat(5000)}\n\n` + REQ, [10, 1500, 4000]).map((e) => e.type), ['invalid', 'request']);
  assert.deepEqual(feed(`${'a=b\n'.repeat(400)}\n` + REQ).map((e) => e.type), ['invalid', 'request']);
  // "__proto__" as a name must not pollute anything.
  const ev = feed('__proto__=x\nrecipient=a@b\n\n');
  assert.equal((ev[0] as { attrs: Record<string, string> }).attrs.recipient, 'a@b');
});

test('property: any split gives the same events; random bytes never throw', () => {
  fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 8 }), (splits) => {
    assert.deepEqual(feed(REQ + REQ, splits), feed(REQ + REQ));
  }), { numRuns: 200 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, splits) => {
    const r = new PolicyReceiver(512);
    let prev = 0;
    for (const c of [...splits.map((s) => s % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
      r.push(Buffer.from(bytes.subarray(prev, Math.max(prev, c))));
      prev = Math.max(prev, c);
      while (r.next());
    }
  }), { numRuns: 300 });
});
