// The table: scripts × messages → expected actions, for RFC 5228 and every supported extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript, summarize } from './testing.js';
import { CASES } from './cases.js';

for (const [name, script, expected, o] of CASES) {
  test(name, async () => {
    const r = await runScript(script, o);
    assert.deepEqual(summarize(r), expected, JSON.stringify(r.errors));
  });
}

test('5293 header edits are reported for the caller', async () => {
  const r = await runScript('require "editheader"; addheader "X-A" "1"; addheader "X-B" "2"; addheader :last "X-Z" "Grüße"; deleteheader :index 2 "received"; deleteheader :index 1 "cc"; addheader "X-C" "3"; deleteheader "x-b";');
  assert.deepEqual(r.headerEdits, {
    prepend: [{ name: 'X-C', value: '3' }, { name: 'X-A', value: '1' }],
    append: [{ name: 'X-Z', value: '=?UTF-8?B?R3LDvMOfZQ==?=' }],
    deleted: [{ name: 'cc', index: 0 }],
  });
});

test('5230 vacation action carries handle, period and In-Reply-To', async () => {
  const r = await runScript('require "vacation"; vacation :days 2 :handle "h1" :mime "Content-Type: text/plain\r\n\r\nAway";');
  const v = r.actions[0];
  assert.ok(v && v.type === 'vacation');
  assert.equal(v.handle, 'h1');
  assert.equal(v.periodSeconds, 2 * 86400);
  assert.equal(v.mime, true);
  assert.equal(v.inReplyTo, '<m1@example.com>');
  const r2 = await runScript('require "vacation"; vacation "a";');
  const r3 = await runScript('require "vacation"; vacation "b";');
  assert.ok(r2.actions[0]?.type === 'vacation' && r3.actions[0]?.type === 'vacation');
  assert.notEqual((r2.actions[0] as { handle: string }).handle, (r3.actions[0] as { handle: string }).handle, 'default handle depends on the reason');
});
