/** Self-healing: files and control files changed by hand or lost, restarts. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rename, unlink, utimes, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { msg, readAll } from '../../mailstore/src/contract.js';
import type { AccountRef, MailAccount } from '../../mailstore/src/types.js';
import { MaildirStore } from './store.js';
import { parseFilename } from './maildir-filename.js';
import { tempHome } from './testing.js';

const src = (s: string) => Readable.from([Buffer.from(s)]);
const newStore = () => new MaildirStore({ hostname: 'test.host', fsync: false });

async function snapshot(acc: MailAccount, name = 'INBOX') {
  const mb = await acc.open(name);
  const s = await mb.sync();
  await mb.close();
  return s;
}

/** Fills INBOX with 3 messages (one flagged) through a store that is then closed. */
async function seed(ref: AccountRef) {
  const store = newStore();
  const acc = await store.openAccount(ref);
  const a = await acc.append('INBOX', src(msg(1)), { flags: ['\\Seen'] });
  const b = await acc.append('INBOX', src(msg(2)), { flags: ['\\Flagged', 'Kw'] });
  const c = await acc.append('INBOX', src(msg(3)));
  const s = await snapshot(acc);
  await store.close();
  return { uids: [a.uid, b.uid, c.uid], uidValidity: a.uidValidity, snap: s };
}

describe('self-healing', () => {
  it('a restart keeps UIDs, UIDVALIDITY, flags and modseqs', async () => {
    const h = await tempHome();
    try {
      const before = await seed(h.ref);
      const store = newStore();
      const s = await snapshot(await store.openAccount(h.ref));
      assert.equal(s.uidValidity, before.uidValidity);
      assert.deepEqual(s.messages.map((m) => [m.uid, m.flags, m.modseq]), before.snap.messages.map((m) => [m.uid, m.flags, m.modseq]));
      assert.equal(s.highestModseq, before.snap.highestModseq);
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('files added by hand get new UIDs at the end; removed by hand are expunged; renamed keep their UID', async () => {
    const h = await tempHome();
    try {
      const { uids } = await seed(h.ref);
      const md = join(h.ref.home, 'Maildir');
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const s0 = await mb.sync();
      // By hand: one new file in new/ (no sizes), one in cur/ with flags, remove one, re-flag one.
      await writeFile(join(md, 'new', '1800000000.handmade1.host'), 'Subject: hand\n\nmade\n');
      await writeFile(join(md, 'cur', '1800000001.handmade2.host:2,S'), 'Subject: hand2\r\n\r\nx\r\n');
      const byBody = async (n: number) => {
        for (const f of await readdir(join(md, 'cur'))) if ((await readFile(join(md, 'cur', f), 'utf8')) === msg(n)) return f;
        throw new Error('not found');
      };
      await unlink(join(md, 'cur', await byBody(1)));
      const f3 = await byBody(3);
      await rename(join(md, 'cur', f3), join(md, 'cur', parseFilename(f3).base + ':2,RS'));
      const s = await mb.sync();
      const u = s.messages.map((m) => m.uid);
      assert.deepEqual(u.slice(0, 2), [uids[1]!, uids[2]!], 'removed file expunged, others keep UIDs');
      assert.equal(u.length, 4);
      assert.ok(u[2]! > uids[2]! && u[3]! > u[2]!, 'new files get new UIDs at the end');
      const m3 = s.messages.find((m) => m.uid === uids[2])!;
      assert.deepEqual([...m3.flags].sort(), ['\\Answered', '\\Seen']);
      assert.ok(m3.modseq > s0.messages.find((m) => m.uid === uids[2])!.modseq, 'flag change by hand bumps modseq');
      const hand = s.messages[2]!;
      assert.equal(hand.size, 'Subject: hand\r\n\r\nmade\r\n'.length, 'bare-LF hand file measured in CRLF');
      assert.equal((await readAll(await mb.open(hand.uid))).toString(), 'Subject: hand\r\n\r\nmade\r\n');
      assert.deepEqual(s.messages[3]!.flags, ['\\Seen']);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  for (const damage of ['deleted', 'corrupted', 'truncated'] as const) {
    it(`a ${damage} dovecot-uidlist is rebuilt keeping UIDs and flags (from our index)`, async () => {
      const h = await tempHome();
      try {
        const before = await seed(h.ref);
        const p = join(h.ref.home, 'Maildir', 'dovecot-uidlist');
        if (damage === 'deleted') await unlink(p);
        else if (damage === 'corrupted') await writeFile(p, 'garbage \x00\x01 here\n2 1\n');
        else await writeFile(p, (await readFile(p, 'utf8')).slice(0, 40));
        const store = newStore();
        const acc = await store.openAccount(h.ref);
        const s = await snapshot(acc);
        assert.equal(s.uidValidity, before.uidValidity);
        assert.deepEqual(s.messages.map((m) => [m.uid, m.flags]), before.snap.messages.map((m) => [m.uid, m.flags]));
        const r = await acc.append('INBOX', src(msg(9)));
        assert.ok(r.uid > before.uids[2]!, 'no UID reused');
        await store.close();
      } finally {
        await h.cleanup();
      }
    });
  }

  it('uidlist deleted while the store is running: UIDs kept from memory', async () => {
    const h = await tempHome();
    try {
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const a = await acc.append('INBOX', src(msg(1)));
      const mb = await acc.open('INBOX');
      await mb.sync();
      await unlink(join(h.ref.home, 'Maildir', 'dovecot-uidlist'));
      const b = await acc.append('INBOX', src(msg(2)));
      const s = await mb.sync();
      assert.deepEqual(s.messages.map((m) => m.uid), [a.uid, b.uid]);
      assert.equal(s.uidValidity, a.uidValidity);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('uidlist and index both lost: messages survive with a new UIDVALIDITY (UIDs could not be kept)', async () => {
    const h = await tempHome();
    try {
      const before = await seed(h.ref);
      const md = join(h.ref.home, 'Maildir');
      await unlink(join(md, 'dovecot-uidlist'));
      await unlink(join(md, 'mailstore.index'));
      await new Promise((r) => setTimeout(r, 1100)); // time-based UIDVALIDITY moves on
      const store = newStore();
      const s = await snapshot(await store.openAccount(h.ref));
      assert.equal(s.messages.length, 3);
      assert.notEqual(s.uidValidity, before.uidValidity);
      assert.deepEqual(s.messages.map((m) => m.flags), before.snap.messages.map((m) => m.flags));
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('a damaged mailstore.index is ignored and rebuilt', async () => {
    const h = await tempHome();
    try {
      const before = await seed(h.ref);
      const p = join(h.ref.home, 'Maildir', 'mailstore.index');
      const text = await readFile(p, 'utf8');
      await writeFile(p, text.replace(/\n1 /, '\n7 '));
      const store = newStore();
      const s = await snapshot(await store.openAccount(h.ref));
      assert.deepEqual(s.messages.map((m) => [m.uid, m.flags]), before.snap.messages.map((m) => [m.uid, m.flags]));
      await store.close();
      const again = await readFile(p, 'utf8');
      assert.match(again, /^MSIDX1 /);
    } finally {
      await h.cleanup();
    }
  });

  it('tmp/ leftovers older than 36 hours are removed, younger ones kept (as Dovecot)', async () => {
    const h = await tempHome();
    try {
      const store0 = newStore();
      await store0.openAccount(h.ref);
      await store0.close();
      const tmp = join(h.ref.home, 'Maildir', 'tmp');
      await writeFile(join(tmp, 'old'), 'x');
      await writeFile(join(tmp, 'young'), 'y');
      const old = (Date.now() - 37 * 3600 * 1000) / 1000;
      await utimes(join(tmp, 'old'), old, old);
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      await snapshot(acc);
      await new Promise((r) => setTimeout(r, 50));
      const left = await readdir(tmp);
      assert.ok(!left.includes('old'));
      assert.ok(left.includes('young'));
      await store.close();
      void stat;
    } finally {
      await h.cleanup();
    }
  });
});
