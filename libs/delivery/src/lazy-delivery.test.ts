// Deliveries as Dovecot's LMTP makes them into Maildir (AppendOptions.lazyUid): file fsynced,
// renamed into new/, new/ fsynced, no dovecot-uidlist lock and no UID; the next reader assigns
// UIDs. Sessions of this process see the message at their next sync even when they accept
// staleness (changes through this process are seen at once), with UIDs ascending and unique.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MaildirStore } from '../../maildir/src/index.js';

const root = mkdtempSync(join(tmpdir(), 'lazy-delivery-'));
const store = new MaildirStore({ hostname: 'lazy.test', fsync: true });
after(async () => { await store.close(); rmSync(root, { recursive: true, force: true }); });
const msg = (n: number) => Readable.from([Buffer.from(`Subject: m${n}\n\nbody ${n}\n`)]);

test('lazy delivery: in new/ with S=/W= sizes, CRLF, no uidlist entry until a reader syncs', async () => {
  const home = join(root, 'u1');
  const acc = await store.openAccount({ user: 'u1', home });
  const r = await acc.append('INBOX', msg(1), { delivery: true, lazyUid: true });
  assert.equal(r.uid, 0, 'no UID assigned at delivery');
  const files = readdirSync(join(home, 'Maildir', 'new'));
  assert.equal(files.length, 1);
  assert.match(files[0]!, new RegExp(`,S=${r.size},W=${r.size}$`));
  assert.equal(readFileSync(join(home, 'Maildir', 'new', files[0]!), 'utf8'), 'Subject: m1\r\n\r\nbody 1\r\n');
  assert.deepEqual(readdirSync(join(home, 'Maildir', 'tmp')), [], 'tmp/ is empty');
  assert.equal(existsSync(join(home, 'Maildir', 'dovecot-uidlist.lock')), false);
  const mb = await acc.open('INBOX');
  const snap = await mb.sync();
  assert.equal(snap.messages.length, 1);
  assert.ok(snap.messages[0]!.uid >= 1);
  assert.ok((await mb.sync()).recent.has(snap.messages[0]!.uid), 'a delivery is \\Recent');
  await mb.close();
  await acc.close();
});

test('lazy deliveries while a session of this process is open: seen at its next (stale-tolerant) sync, UIDs ascending', async () => {
  const home = join(root, 'u2');
  const acc = await store.openAccount({ user: 'u2', home });
  await acc.append('INBOX', msg(0), { delivery: true });
  const mb = await acc.open('INBOX');
  const first = await mb.sync();
  assert.equal(first.messages.length, 1);
  let lastMax = first.messages[0]!.uid;
  for (let round = 0; round < 5; round++) {
    await Promise.all(Array.from({ length: 6 }, (_, i) => acc.append('INBOX', msg(round * 10 + i), { delivery: true, lazyUid: true })));
    // An IMAP APPEND (UID at once) in between, as a client saving a draft would.
    const a = await acc.append('INBOX', msg(999), {});
    assert.ok(a.uid > lastMax);
    const snap = await mb.sync({ maxStaleMs: 60_000 });
    assert.equal(snap.messages.length, 1 + (round + 1) * 7, `round ${round}: every message visible`);
    const uids = snap.messages.map((m) => m.uid);
    assert.deepEqual(uids, [...uids].sort((x, y) => x - y));
    assert.equal(new Set(uids).size, uids.length, 'unique UIDs');
    assert.ok(Math.min(...uids.filter((u) => u > lastMax)) > lastMax);
    lastMax = Math.max(...uids);
  }
  await mb.close();
  await acc.close();
});

test('lazy delivery into a missing folder is NOTFOUND and leaves nothing in tmp/; quota is checked and counted', async () => {
  const home = join(root, 'u3');
  const acc = await store.openAccount({ user: 'u3', home, quotaBytes: 60 });
  await assert.rejects(acc.append('Nope', msg(1), { delivery: true, lazyUid: true }), (e: { code?: string }) => e.code === 'NOTFOUND');
  await acc.append('INBOX', msg(1), { delivery: true, lazyUid: true });
  assert.equal((await acc.quota()).messagesUsed, 1);
  await acc.append('INBOX', msg(2), { delivery: true, lazyUid: true });
  await assert.rejects(acc.append('INBOX', Readable.from([Buffer.alloc(100, 0x61)]), { delivery: true, lazyUid: true }),
    (e: { code?: string }) => e.code === 'OVERQUOTA');
  assert.deepEqual(readdirSync(join(home, 'Maildir', 'tmp')), []);
  assert.equal(readdirSync(join(home, 'Maildir', 'new')).length, 2);
  await acc.close();
});
