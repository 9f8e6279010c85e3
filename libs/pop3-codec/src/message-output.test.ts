/** MessageOutput: dot-stuffing (RFC 1939 §3), TOP (§7), outlook-no-nuls and oe-ns-eoh, chunking independence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageOutput, type MessageOutputOptions } from './message-output.js';

function run(msg: string | Buffer, opts: Partial<MessageOutputOptions> = {}, chunk = 0): string {
  const o = new MessageOutput({ stripNuls: false, addMissingEoh: false, ...opts });
  const b = Buffer.isBuffer(msg) ? msg : Buffer.from(msg, 'latin1');
  const parts: Buffer[] = [];
  const step = chunk || b.length || 1;
  for (let i = 0; i < b.length && !o.done; i += step) parts.push(o.push(b.subarray(i, i + step)));
  parts.push(o.end());
  return Buffer.concat(parts).toString('latin1');
}

/** What a POP3 client does with the reply body: undo dot-stuffing, drop the terminator. */
function unstuff(s: string): string {
  assert.ok(s.endsWith('\r\n.\r\n') || s === '.\r\n', `bad terminator: ${JSON.stringify(s.slice(-10))}`);
  const body = s.slice(0, -3);
  return body.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
}

test('RFC 1939 §3: lines starting with "." are dot-stuffed, including the first', () => {
  assert.equal(run('.a\r\nb\r\n..c\r\n'), '..a\r\nb\r\n...c\r\n.\r\n');
});

test('a last line without CRLF gets one before the terminator', () => {
  assert.equal(run('S: x\r\n\r\nbody'), 'S: x\r\n\r\nbody\r\n.\r\n');
});

test('RFC 1939 §7 TOP: header, blank line and n body lines', () => {
  const m = 'A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n';
  assert.equal(run(m, { topLines: 0 }), 'A: 1\r\nB: 2\r\n\r\n.\r\n');
  assert.equal(run(m, { topLines: 2 }), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n');
  assert.equal(run(m, { topLines: 99 }), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n');
  for (let c = 1; c < 6; c++) assert.equal(run(m, { topLines: 2 }, c), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n');
});

test('Dovecot outlook-no-nuls: NUL octets are removed', () => {
  assert.equal(run(Buffer.from('A: 1\r\n\r\nx\0y\0\0\r\n', 'latin1'), { stripNuls: true }), 'A: 1\r\n\r\nxy\r\n.\r\n');
  assert.equal(run(Buffer.from('A: 1\r\n\r\nx\0y\r\n', 'latin1'), { stripNuls: false }), 'A: 1\r\n\r\nx\0y\r\n.\r\n');
});

test('Dovecot oe-ns-eoh: a header without its empty line gets one', () => {
  assert.equal(run('A: 1\r\nB: 2\r\n', { addMissingEoh: true }), 'A: 1\r\nB: 2\r\n\r\n.\r\n');
  assert.equal(run('A: 1\r\nB: 2', { addMissingEoh: true }), 'A: 1\r\nB: 2\r\n\r\n.\r\n');
  assert.equal(run('A: 1\r\n\r\nb\r\n', { addMissingEoh: true }), 'A: 1\r\n\r\nb\r\n.\r\n');
  assert.equal(run('A: 1\r\nB: 2\r\n', { addMissingEoh: false }), 'A: 1\r\nB: 2\r\n.\r\n');
  assert.equal(run('A: 1\r\n', { addMissingEoh: true, topLines: 3 }), 'A: 1\r\n\r\n.\r\n');
});

const CRLF_TEXT = fc.array(fc.constantFrom('.', '..', 'a', ' ', '\0', 'Subject: x', ''), { maxLength: 30 })
  .map((lines) => lines.join('\r\n') + '\r\n');

test('property: client sees the original bytes back; chunk size never matters', () => {
  fc.assert(fc.property(CRLF_TEXT, (m) => {
    assert.equal(unstuff(run(m)), m);
  }));
  fc.assert(fc.property(CRLF_TEXT, fc.integer({ min: 1, max: 17 }), fc.option(fc.nat(5), { nil: undefined }), fc.boolean(), fc.boolean(),
    (m, chunk, top, nuls, eoh) => {
      const opts = { topLines: top, stripNuls: nuls, addMissingEoh: eoh };
      const whole = run(m, opts);
      assert.equal(run(m, opts, chunk), whole);
      assert.equal(run(m, opts, 1), whole);
      if (nuls) assert.ok(!whole.includes('\0'));
    }), { numRuns: 500 });
});
