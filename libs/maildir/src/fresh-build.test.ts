/**
 * The first sync ever of a Maildir with no dovecot-uidlist and no mailstore.index (a first SELECT
 * after a migration or a restore): reconcileFresh in folder.ts, which orders, numbers and records
 * every file in one pass. Checked against what Dovecot does and the general reconcile did.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { msg, readAll } from '../../mailstore/src/contract.js';
import { MaildirStore } from './store.js';
import { compareByDeliveryTime } from './maildir-filename.js';
import { parseUidlist } from './uidlist.js';
import { tempHome } from './testing.js';

const newStore = () => new MaildirStore({ hostname: 'test.host', fsync: false });

/** A message body and its name: with ,S=/,W= (bare LF on disk, so S < W) or without. */
function file(i: number, sizes: boolean): { body: string; crlf: string; base: string } {
  const body = `Subject: m${i}\n\nbody ${i}\n`;
  const crlf = body.replace(/\n/g, '\r\n');
  const secs = 1_700_000_000 + (i % 7); // several messages per second: M and Q decide
  const base = sizes ? `${secs}.M${(i * 7919) % 1000}P1Q${i}.host,S=${body.length},W=${crlf.length}` : `${secs}.M${(i * 7919) % 1000}P2Q${i}.other`;
  return { body, crlf, base };
}

describe('first sync of a bare Maildir (no uidlist, no index)', () => {
  it('UIDs in delivery order, Dovecot uidlist, sizes, flags, dot files and a mid-rename duplicate', async () => {
    const h = await tempHome();
    try {
      const md = join(h.ref.home, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
      const made: Array<{ base: string; crlf: string; flags: string[] }> = [];
      for (let i = 1; i <= 40; i++) {
        const f = file(i, i % 4 !== 0);
        const inNew = i % 5 === 0;
        const info = inNew ? '' : [':2,', ':2,S', ':2,FS', ':2,RS'][i % 4]!;
        const flags = inNew ? [] : [[], ['\\Seen'], ['\\Flagged', '\\Seen'], ['\\Answered', '\\Seen']][i % 4]!;
        await writeFile(join(md, inNew ? 'new' : 'cur', f.base + info), f.body);
        made.push({ base: f.base, crlf: f.crlf, flags });
      }
      // Keyword letters (dovecot-keywords: a = Work, c = $Forwarded, b undefined: dropped), 'P'
      // (passed: no IMAP flag) and unsorted letters.
      await writeFile(join(md, 'dovecot-keywords'), '0 Work\n2 $Forwarded\n');
      for (const [i, info, flags] of [[41, ':2,Sac', ['$Forwarded', 'Work', '\\Seen']], [42, ':2,caPS', ['$Forwarded', 'Work', '\\Seen']], [43, ':2,bT', ['\\Deleted']], [44, ':2,PD', ['\\Draft']]] as const) {
        const f = file(i, true);
        await writeFile(join(md, 'cur', f.base + info), f.body);
        made.push({ base: f.base, crlf: f.crlf, flags: [...flags] });
      }
      // A file not in the Maildir name format, and dot files (not messages).
      await writeFile(join(md, 'cur', 'legacy-name:2,S'), 'Subject: legacy\r\n\r\nx\r\n');
      made.push({ base: 'legacy-name', crlf: 'Subject: legacy\r\n\r\nx\r\n', flags: ['\\Seen'] });
      await writeFile(join(md, 'cur', '.nfs000123'), 'junk');
      await writeFile(join(md, 'new', '.hidden'), 'junk');
      // The same message in new/ and cur/ (another process mid-rename, link then unlink): once, from cur/.
      const dup = file(99, true);
      await writeFile(join(md, 'new', dup.base), dup.body);
      await writeFile(join(md, 'cur', dup.base + ':2,S'), dup.body);
      made.push({ base: dup.base, crlf: dup.crlf, flags: ['\\Seen'] });
      await utimes(join(md, 'cur', dup.base + ':2,S'), 1_600_000_000, 1_600_000_000);

      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const s = await mb.sync();
      const order = made.map((m) => m.base).sort(compareByDeliveryTime);
      assert.equal(s.messages.length, made.length);
      assert.deepEqual(s.messages.map((m) => m.uid), order.map((_, i) => i + 1), 'UIDs 1..n');
      assert.equal(s.uidNext, made.length + 1);
      // dovecot-uidlist: version 3 header, then "<uid> :<base>" in delivery order.
      const text = await readFile(join(md, 'dovecot-uidlist'), 'utf8');
      const ul = parseUidlist(text);
      assert.match(text.split('\n')[0]!, new RegExp(`^3 V${s.uidValidity} N${made.length + 1} G[0-9a-f]{32}$`));
      assert.deepEqual(ul.entries.map((e) => [e.uid, e.base]), order.map((b, i) => [i + 1, b]));
      const byBase = new Map(made.map((m) => [m.base, m]));
      for (let i = 0; i < s.messages.length; i++) {
        const rec = s.messages[i]!;
        const m = byBase.get(order[i]!)!;
        assert.equal(rec.size, m.crlf.length, `size of ${m.base} (from ,W= or measured)`);
        assert.deepEqual([...rec.flags], m.flags, `flags of ${m.base}`);
        assert.equal((await readAll(await mb.open(rec.uid))).toString(), m.crlf);
      }
      const dupRec = s.messages[order.indexOf(dup.base)]!;
      assert.equal(dupRec.internalDate, 1_600_000_000_000, 'the cur/ copy of the duplicate was taken');
      // A file added by hand afterwards gets the next UID (the uidlist map is built on first use).
      const late = file(100, true);
      await writeFile(join(md, 'new', late.base), late.body);
      const s2 = await mb.sync();
      assert.equal(s2.messages.length, made.length + 1);
      // Rebuilt from the listing (directory order) by the general reconcile: still in UID order.
      assert.deepEqual(s2.messages.map((m) => m.uid), [...s.messages.map((m) => m.uid), made.length + 1]);
      const appended = await acc.append('INBOX', Readable.from([Buffer.from(msg(1))]));
      assert.equal(appended.uid, made.length + 2);
      await mb.close();
      await store.close();

      // Another store (a restart, or another process) reads the same UIDs from the uidlist.
      const store2 = newStore();
      const mb2 = await (await store2.openAccount(h.ref)).open('INBOX');
      const s3 = await mb2.sync();
      assert.equal(s3.uidValidity, s.uidValidity);
      assert.deepEqual(s3.messages.slice(0, made.length).map((m) => [m.uid, m.size, [...m.flags]]), s.messages.map((m) => [m.uid, m.size, [...m.flags]]));
      await mb2.close();
      await store2.close();
    } finally {
      await h.cleanup();
    }
  });

  it('an empty Maildir gets a uidlist with no records; the first message is UID 1', async () => {
    const h = await tempHome();
    try {
      const md = join(h.ref.home, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const s = await mb.sync();
      assert.equal(s.messages.length, 0);
      const r = await acc.append('INBOX', Readable.from([Buffer.from(msg(1))]));
      assert.equal(r.uid, 1);
      const ul = parseUidlist(await readFile(join(md, 'dovecot-uidlist'), 'utf8'));
      assert.deepEqual(ul.entries.map((e) => e.uid), [1]);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });
});
