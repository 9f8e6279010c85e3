/**
 * Cold open of a bare Maildir: sizes come from the names' ,S= / ,W= (Dovecot maildir-filename.c),
 * the internal date (mtime) is read only when asked, and stays right across flag changes,
 * renames by another process and a restart from mailstore.index.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MaildirStore } from './store.js';
import { tempHome } from './testing.js';

const newStore = () => new MaildirStore({ hostname: 'test.host', fsync: false });
const BODY = 'Subject: s\r\n\r\nbody\r\n';
const T1 = Date.UTC(2020, 0, 2, 3, 4, 5);
const T2 = Date.UTC(2021, 5, 6, 7, 8, 9);

/** A bare Maildir (no uidlist, no index): one file with ,S=/,W= in cur/, one without in new/. */
async function bare(md: string): Promise<{ named: string; plain: string }> {
  for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
  const named = `1600000000.M1P1Q1.host,S=${BODY.length},W=${BODY.length}:2,S`;
  const plain = '1600000001.M2P2Q2.host';
  await writeFile(join(md, 'cur', named), BODY);
  await writeFile(join(md, 'new', plain), 'Subject: s\n\nbody\n');
  await utimes(join(md, 'cur', named), T1 / 1000, T1 / 1000);
  await utimes(join(md, 'new', plain), T2 / 1000, T2 / 1000);
  return { named, plain };
}

describe('lazy internal date (cold SELECT without stat)', () => {
  it('sizes from ,S=/,W= and INTERNALDATE = mtime, before and after a flag change', async () => {
    const h = await tempHome();
    const store = newStore();
    try {
      const md = join(h.ref.home, 'Maildir');
      await bare(md);
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const s = await mb.sync();
      assert.equal(s.messages.length, 2);
      const [a, b] = s.messages;
      assert.equal(a!.size, BODY.length);
      assert.equal(b!.size, 'Subject: s\r\n\r\nbody\r\n'.length); // no ,W=: counted with CRLF
      // The flag change renames the file; the date was not read before and must still be mtime.
      await mb.store([a!.uid], 'add', ['\\Flagged']);
      const s2 = await mb.sync();
      assert.equal(s2.messages[0]!.internalDate, T1);
      assert.equal(s2.messages[1]!.internalDate, T2);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('a file renamed by another process before the date is asked still gives its mtime', async () => {
    const h = await tempHome();
    const store = newStore();
    try {
      const md = join(h.ref.home, 'Maildir');
      const { named } = await bare(md);
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX', { readOnly: true });
      const s = await mb.sync();
      const rec = s.messages[0]!;
      // Another process moves it to new/ under the same name (stale record in this snapshot).
      await rename(join(md, 'cur', named), join(md, 'new', named));
      assert.equal(rec.internalDate, T1);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('a restart from mailstore.index keeps unread dates lazy and read ones exact', async () => {
    const h = await tempHome();
    try {
      const md = join(h.ref.home, 'Maildir');
      await bare(md);
      let store = newStore();
      let acc = await store.openAccount(h.ref);
      let mb = await acc.open('INBOX');
      let s = await mb.sync();
      assert.equal(s.messages[1]!.internalDate, T2); // read once: stored in the index
      await mb.close();
      await store.close(); // flushes mailstore.index
      const idx = await readFile(join(md, 'mailstore.index'), 'utf8');
      const lines = idx.split('\n');
      assert.equal(lines[1]!.split(' ')[2], '-1', 'date of the first message not read: stored as -1');
      assert.equal(lines[2]!.split(' ')[2], String(T2));
      store = newStore();
      acc = await store.openAccount(h.ref);
      mb = await acc.open('INBOX');
      s = await mb.sync();
      assert.deepEqual(s.messages.map((m) => m.internalDate), [T1, T2]);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('rescans with the same listing are skipped, yet a rename by another process is seen at once', async () => {
    const h = await tempHome();
    const store = newStore();
    try {
      const md = join(h.ref.home, 'Maildir');
      const { named } = await bare(md);
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const s1 = await mb.sync();
      const again = await mb.sync(); // same names, same uidlist: nothing changed
      assert.deepEqual(again.messages.map((m) => [m.uid, m.flags, m.modseq]), s1.messages.map((m) => [m.uid, m.flags, m.modseq]));
      const base = named.slice(0, named.indexOf(':'));
      await rename(join(md, 'cur', named), join(md, 'cur', `${base}:2,FS`));
      const s2 = await mb.sync();
      assert.deepEqual(s2.messages[0]!.flags, ['\\Flagged', '\\Seen']);
      await rename(join(md, 'cur', `${base}:2,FS`), join(md, 'cur', named));
      const s3 = await mb.sync();
      assert.deepEqual(s3.messages[0]!.flags, ['\\Seen']);
      assert.equal(s3.messages[0]!.internalDate, T1);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
});
