// Quota enforcement seen from IMAP (RFC 9208 §4.5 / RFC 5530 [OVERQUOTA]) over the real Maildir++ store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, loggedIn, appendRaw, message, type Harness } from '../../imap-server/src/testing.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  h.directory.quota['bob@example.org'] = 10_000;
});
after(async () => { await h.close(); });

const maildirsize = () => join(h.config.mailHome({ user: 'bob@example.org' } as never), 'Maildir', 'maildirsize');

test('APPEND over quota is NO [OVERQUOTA]; COPY too; MOVE inside the account is allowed (Dovecot: same quota root)', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  assert.match((await appendRaw(c, 'INBOX', message('one', 'a'.repeat(6000) + '\r\n'))).at(-1)!, /^A OK/);
  assert.match((await appendRaw(c, 'INBOX', message('two', 'b'.repeat(6000) + '\r\n'))).at(-1)!, /^A NO \[OVERQUOTA\]/);
  assert.match((await c.cmd('c', 'CREATE Archive')).at(-1)!, /^c OK/);
  await c.cmd('s', 'SELECT INBOX');
  assert.match((await c.cmd('d', 'COPY 1 Archive')).at(-1)!, /^d NO \[OVERQUOTA\]/);
  assert.match((await c.cmd('e', 'MOVE 1 Archive')).at(-1)!, /^e OK/);
  const q = await c.cmd('f', 'GETQUOTAROOT Archive');
  assert.match(q[1]!, /^\* QUOTA "" \(STORAGE [6-7] 9\)/);
  c.close();
});

test('maildirsize missing or garbage is recalculated from the Maildir, so the limit still holds', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  await rm(maildirsize(), { force: true });
  assert.match((await appendRaw(c, 'INBOX', message('three', 'c'.repeat(6000) + '\r\n'))).at(-1)!, /^A NO \[OVERQUOTA\]/);
  assert.match(await readFile(maildirsize(), 'utf8'), /^10000S,0C\n6\d{3} 1\n/);
  await writeFile(maildirsize(), 'garbage\nnot a line\n');
  assert.match((await appendRaw(c, 'INBOX', message('four', 'd'.repeat(6000) + '\r\n'))).at(-1)!, /^A NO \[OVERQUOTA\]/);
  // A small message still fits.
  assert.match((await appendRaw(c, 'INBOX', message('five', 'e'.repeat(100) + '\r\n'))).at(-1)!, /^A OK/);
  c.close();
});
