import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, loggedIn, appendRaw, message, type Harness } from './testing.js';

let h: Harness;
before(async () => {
  h = await startHarness({
    autoMailboxes: { Drafts: 'subscribe', 'Gesendete Objekte': 'subscribe', Trash: 'create', Spam: 'no' },
    specialUse: { 'Gesendete Objekte': ['\\Sent'], Trash: ['\\Trash'], Drafts: ['\\Drafts'] },
  });
  h.directory.quota['bob@example.org'] = 1024 * 1024;
});
after(async () => { await h.close(); });

test('auto mailboxes are created (and subscribed) at login with their special-use (UCS mailboxes.auto/special)', async () => {
  const c = await loggedIn(h);
  const r = await c.cmd('a', 'LIST "" "*"');
  assert.deepEqual(r.slice(0, -1).sort(), [
    '* LIST (\\HasNoChildren) "/" INBOX',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
    '* LIST (\\HasNoChildren \\Sent) "/" "Gesendete Objekte"',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash',
  ].sort());
  const l = await c.cmd('b', 'LSUB "" "*"');
  assert.deepEqual(l.slice(0, -1).sort(), ['* LSUB () "/" "Gesendete Objekte"', '* LSUB () "/" Drafts'].sort());
  // Second login: nothing changes (cheap path).
  const d = await loggedIn(h);
  const r2 = await d.cmd('a', 'LIST "" "*"');
  assert.equal(r2.length, 5);
  c.close(); d.close();
});

test('CREATE / RENAME / DELETE with hierarchy; CHILDREN attributes (RFC 3501 §6.3.3-5, RFC 3348)', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  assert.match((await c.cmd('a', 'CREATE Projects/2026/')).at(-1)!, /^a OK/);
  assert.match((await c.cmd('b', 'CREATE Projects/2026')).at(-1)!, /^b NO \[ALREADYEXISTS\]/);
  const r = await c.cmd('c', 'LIST "" "Projects*"');
  assert.equal(r.length, 3, r.join('|'));
  assert.ok(r.some((l) => /^\* LIST \((\\Noselect |\\NonExistent )?\\HasChildren\) "\/" Projects$/.test(l)), r.join('|'));
  assert.ok(r.includes('* LIST (\\HasNoChildren) "/" Projects/2026'));
  // % does not cross the separator (RFC 3501 §6.3.8).
  const p = await c.cmd('d', 'LIST "" "%"');
  assert.ok(p.some((l) => l.endsWith(' Projects')));
  assert.ok(!p.some((l) => l.endsWith('Projects/2026')));
  // Reference name is prefixed.
  const ref = await c.cmd('e', 'LIST "Projects/" "%"');
  assert.deepEqual(ref, ['* LIST (\\HasNoChildren) "/" Projects/2026', 'e OK LIST completed']);
  assert.match((await c.cmd('f', 'RENAME Projects/2026 Projects/2027')).at(-1)!, /^f OK/);
  const r2 = await c.cmd('g', 'LIST "" "Projects/*"');
  assert.deepEqual(r2, ['* LIST (\\HasNoChildren) "/" Projects/2027', 'g OK LIST completed']);
  assert.match((await c.cmd('h', 'DELETE Projects/2027')).at(-1)!, /^h OK/);
  assert.match((await c.cmd('i', 'DELETE INBOX')).at(-1)!, /^i NO/);
  assert.match((await c.cmd('j', 'DELETE Nope')).at(-1)!, /^j NO \[NONEXISTENT\]/);
  assert.match((await c.cmd('k', 'SELECT Nope')).at(-1)!, /^k NO \[NONEXISTENT\]/);
  c.close();
});

test('LIST "" "" returns the delimiter (RFC 3501 §6.3.8); INBOX matches case-insensitively', async () => {
  const c = await loggedIn(h);
  assert.deepEqual(await c.cmd('a', 'LIST "" ""'), ['* LIST (\\Noselect) "/" ""', 'a OK LIST completed']);
  const r = await c.cmd('b', 'LIST "" inbox');
  assert.deepEqual(r, ['* LIST (\\HasNoChildren) "/" INBOX', 'b OK LIST completed']);
  c.close();
});

test('non-ASCII names travel as modified UTF-7 (RFC 3501 §5.1.3)', async () => {
  const c = await loggedIn(h);
  assert.match((await c.cmd('a', 'CREATE "Entw&APw-rfe"')).at(-1)!, /^a OK/);
  const r = await c.cmd('b', 'LIST "" "Entw*"');
  assert.deepEqual(r, ['* LIST (\\HasNoChildren) "/" Entw&APw-rfe', 'b OK LIST completed']);
  const st = await c.cmd('c', 'STATUS "Entw&APw-rfe" (MESSAGES)');
  assert.deepEqual(st, ['* STATUS Entw&APw-rfe (MESSAGES 0)', 'c OK STATUS completed']);
  c.close();
});

test('LIST-EXTENDED: SUBSCRIBED selection, RETURN (SPECIAL-USE STATUS), SPECIAL-USE selection (RFC 5258, 5819, 6154)', async () => {
  const c = await loggedIn(h);
  const r = await c.cmd('a', 'LIST (SUBSCRIBED) "" "*"');
  assert.deepEqual(r.slice(0, -1).sort(), [
    '* LIST (\\HasNoChildren \\Subscribed \\Drafts) "/" Drafts',
    '* LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "Gesendete Objekte"',
  ].sort());
  const s = await c.cmd('b', 'LIST "" "Trash" RETURN (STATUS (MESSAGES UIDNEXT))');
  assert.deepEqual(s, ['* LIST (\\HasNoChildren \\Trash) "/" Trash', '* STATUS Trash (MESSAGES 0 UIDNEXT 1)', 'b OK LIST completed']);
  const su = await c.cmd('c', 'LIST (SPECIAL-USE) "" "*"');
  assert.equal(su.length, 4);
  c.close();
});

test('CREATE-SPECIAL-USE (RFC 6154 §3) and USEATTR for unknown attributes', async () => {
  const c = await loggedIn(h);
  assert.match((await c.cmd('a', 'CREATE Old (USE (\\Archive))')).at(-1)!, /^a OK/);
  const r = await c.cmd('b', 'LIST "" Old');
  assert.deepEqual(r, ['* LIST (\\HasNoChildren \\Archive) "/" Old', 'b OK LIST completed']);
  assert.match((await c.cmd('c', 'CREATE Odd (USE (\\Bogus))')).at(-1)!, /^c NO \[USEATTR\]/);
  c.close();
});

test('SUBSCRIBE / UNSUBSCRIBE / LSUB with % shows unsubscribed parent \\Noselect (RFC 3501 §6.3.9)', async () => {
  const c = await loggedIn(h);
  await c.cmd('a', 'CREATE Lists/ietf');
  await c.cmd('b', 'SUBSCRIBE Lists/ietf');
  const r = await c.cmd('c', 'LSUB "" "Lists/*"');
  assert.deepEqual(r, ['* LSUB () "/" Lists/ietf', 'c OK LSUB completed']);
  const p = await c.cmd('d', 'LSUB "" "L%"');
  assert.deepEqual(p, ['* LSUB (\\Noselect) "/" Lists', 'd OK LSUB completed']);
  await c.cmd('e', 'UNSUBSCRIBE Lists/ietf');
  assert.deepEqual(await c.cmd('f', 'LSUB "" "Lists/*"'), ['f OK LSUB completed']);
  c.close();
});

test('STATUS items incl. SIZE (RFC 8438) and DELETED', async () => {
  const c = await loggedIn(h);
  await c.cmd('a', 'CREATE Stat');
  const msg = message('stat');
  await appendRaw(c, 'Stat', msg, '\\Deleted');
  const r = await c.cmd('b', 'STATUS Stat (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED HIGHESTMODSEQ)');
  assert.match(r[0]!, new RegExp(`^\\* STATUS Stat \\(MESSAGES 1 RECENT \\d UIDNEXT 2 UIDVALIDITY \\d+ UNSEEN 1 SIZE ${Buffer.byteLength(msg)} DELETED 1 HIGHESTMODSEQ \\d+\\)$`));
  assert.match((await c.cmd('c', 'STATUS Missing (MESSAGES)')).at(-1)!, /^c NO \[NONEXISTENT\]/);
  c.close();
});

test('QUOTA: GETQUOTAROOT / GETQUOTA with STORAGE in KiB and SETQUOTA refused (RFC 9208)', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  await appendRaw(c, 'INBOX', message('q', 'x'.repeat(3000) + '\r\n'));
  const r = await c.cmd('a', 'GETQUOTAROOT INBOX');
  assert.equal(r[0], '* QUOTAROOT INBOX ""');
  assert.match(r[1]!, /^\* QUOTA "" \(STORAGE [1-9]\d* 1024\)$/);
  assert.match((await c.cmd('b', 'GETQUOTA ""')).at(0)!, /^\* QUOTA "" \(STORAGE/);
  assert.match((await c.cmd('c', 'SETQUOTA "" (STORAGE 10)')).at(-1)!, /^c NO/);
  // Unlimited user: no quota root.
  const d = await loggedIn(h);
  assert.deepEqual(await d.cmd('a', 'GETQUOTAROOT INBOX'), ['* QUOTAROOT INBOX', 'a OK GETQUOTAROOT completed']);
  c.close(); d.close();
});

test('over quota APPEND is refused with [OVERQUOTA]', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  const r = await appendRaw(c, 'INBOX', message('big', 'y'.repeat(1100 * 1024) + '\r\n'));
  assert.match(r.at(-1)!, /^A NO \[OVERQUOTA\]/);
  c.close();
});

test('NAMESPACE (RFC 2342), ID (RFC 2971), ENABLE (RFC 5161)', async () => {
  const c = await loggedIn(h);
  assert.deepEqual(await c.cmd('a', 'NAMESPACE'), ['* NAMESPACE (("" "/")) NIL NIL', 'a OK NAMESPACE completed']);
  const id = await c.cmd('b', 'ID ("name" "test")');
  assert.match(id[0]!, /^\* ID \("name" "ucs-mail"/);
  assert.deepEqual(await c.cmd('c', 'ENABLE CONDSTORE X-UNKNOWN'), ['* ENABLED CONDSTORE', 'c OK ENABLE completed']);
  assert.deepEqual(await c.cmd('d', 'ENABLE CONDSTORE'), ['* ENABLED', 'd OK ENABLE completed']);
  c.close();
});
