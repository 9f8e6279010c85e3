// sessionLogger: same log lines as pino's child(), nested children included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { sessionLogger } from './session-log.js';

test('sessionLogger writes exactly what child() writes, for a child of a child and odd characters', () => {
  const lines: string[] = [];
  const dest = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
  const root = pino({ base: { pid: 1 }, timestamp: false }, dest);
  const bindings = { conn: 'c1', remote: '127.0.0.1', note: 'ä \u2028 "q" \ud800' };
  const a = sessionLogger(sessionLogger(root, bindings), { client: '10.0.0.1', session: 'x' });
  const b = root.child(bindings).child({ client: '10.0.0.1', session: 'x' });
  a.info({ k: 1 }, 'hello');
  b.info({ k: 1 }, 'hello');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], lines[1]);
  assert.equal(JSON.parse(lines[0]!).note, bindings.note);
});
