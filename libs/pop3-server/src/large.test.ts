/**
 * STAT, LIST and UIDL on a large INBOX answer from the index: every message file is emptied
 * (names keep their S=/W= sizes) before the first login, and the sizes reported are still the
 * W= (CRLF) sizes: no message file was read. RETR afterwards shows the file really is empty.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { generateMaildir } from '../../../loadtest/lib/maildir-gen.js';
import { homeOf, loggedIn, startHarness, type Harness } from './testing.js';

const N = 3000;
let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test(`STAT/LIST/UIDL on ${N} messages come from the index, not the message files`, async () => {
  const md = join(homeOf(h.dir, 'alice@example.org'), 'Maildir');
  generateMaildir({ dir: md, messages: N, seed: 3 });
  const names = readdirSync(join(md, 'cur')).sort();
  let total = 0;
  for (const n of names) {
    total += Number(/,W=(\d+)/.exec(n)![1]);
    truncateSync(join(md, 'cur', n), 0);
  }
  const c = await loggedIn(h);
  assert.equal(await c.cmd('STAT'), `+OK ${N} ${total}`);
  const [, list] = await c.multi('LIST');
  assert.equal(list.length, N);
  assert.equal(list.reduce((s, l) => s + Number(l.split(' ')[1]), 0), total);
  const [, uidl] = await c.multi('UIDL');
  assert.equal(uidl.length, N);
  assert.equal(new Set(uidl.map((l) => l.split(' ')[1])).size, N, 'UIDLs are unique');
  c.close();
});
