/**
 * A folder changed only by this process is not re-read (its own changes are already in memory),
 * while another process's change is still seen at once: by the directory stamps, and, for a change
 * the stamps cannot show, by the inotify event of a name this process did not announce.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { msg } from '../../mailstore/src/contract.js';
import { LIMITS } from '../../core/src/limits.js';
import { MaildirStore } from './store.js';
import { FolderState } from './folder.js';
import { tempHome } from './testing.js';

const src = (s: string) => Readable.from([Buffer.from(s)]);

/** inotify events arrive on a later event-loop turn: give them time. */
const settle = () => sleep(80);

/**
 * Another process's flag change (a rename in cur/) whose trace in cur/'s stamp is then wiped by
 * restoring the directory's exact mtime: only the inotify event can tell.
 */
function hiddenFlagChange(maildir: string, base: string, info: string): void {
  const cur = join(maildir, 'cur');
  const before = statSync(cur, { bigint: true });
  const name = readdirSync(cur).find((n) => n.startsWith(base))!;
  renameSync(join(cur, name), join(cur, `${base}:2,${info}`));
  const ns = before.mtimeNs;
  execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, cur]);
  const after = statSync(cur, { bigint: true });
  assert.equal(after.mtimeNs, before.mtimeNs, 'mtime restored');
  assert.equal(after.size, before.size, 'same directory size');
}

describe('own changes and other processes', () => {
  it('APPEND, STORE and EXPUNGE of this process cause no directory read, even in the dirty window', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 5; i++) await acc.append('INBOX', src(msg(i)));
      const mb = await acc.open('INBOX');
      const unwatch = mb.watch(() => undefined);
      const state = await store.acquire(join(h.ref.home, 'Maildir'), 'INBOX');
      await state.sync(true); // a full read under the watch
      const scans = state.fullScans;
      for (let i = 0; i < 10; i++) {
        const a = await acc.append('INBOX', src(msg(100 + i)), { flags: ['\\Seen'] });
        await mb.sync({ maxStaleMs: LIMITS.maildirSyncMaxStaleMs });
        await mb.store([1], 'add', [i % 2 ? '\\Flagged' : '\\Answered']);
        await mb.store([a.uid], 'add', ['\\Deleted']);
        assert.deepEqual(await mb.expunge([a.uid]), [a.uid]);
        await settle();
        // A sync with no staleness allowed (SELECT, the inotify-triggered one) reads nothing either.
        const snap = await mb.sync();
        assert.equal(snap.messages.length, 5);
        assert.ok(!snap.messages.some((m) => m.uid === a.uid));
      }
      assert.equal(state.fullScans, scans, 'no full read for own changes');
      const snap = await mb.sync();
      assert.deepEqual(snap.messages[0]!.flags.slice().sort(), ['\\Answered', '\\Flagged']);
      unwatch();
      await store.release(state);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('APPEND + EXPUNGE rounds past the uidlist compaction still cause no directory read', async () => {
    // Expunged lines stay in dovecot-uidlist until > 100 pile up; the rewrite then must not keep
    // those of our own expunged APPENDs (UIDs above every message left) as others' unseen mail.
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 5; i++) await acc.append('INBOX', src(msg(i)));
      const mb = await acc.open('INBOX');
      const unwatch = mb.watch(() => undefined);
      const state = await store.acquire(join(h.ref.home, 'Maildir'), 'INBOX');
      await state.sync(true);
      const scans = state.fullScans;
      const uidlist = () => readFileSync(join(h.ref.home, 'Maildir', 'dovecot-uidlist'), 'utf8').trim().split('\n').length - 1;
      let compacted = false;
      for (let i = 0; i < 130; i++) {
        const a = await acc.append('INBOX', src(msg(100 + i)), { flags: ['\\Seen'] });
        await mb.store([a.uid], 'add', ['\\Deleted']);
        assert.deepEqual(await mb.expunge([a.uid]), [a.uid]);
        if (uidlist() < 10) compacted = true;
      }
      assert.ok(compacted, 'the uidlist was rewritten without the expunged lines');
      await settle();
      assert.equal(state.fullScans, scans, 'no full read for own changes');
      assert.equal((await mb.sync()).messages.length, 5);
      unwatch();
      await store.release(state);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('another process\'s change the stamps cannot show is seen at once through inotify', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const maildir = join(h.ref.home, 'Maildir');
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 3; i++) await acc.append('INBOX', src(msg(i)));
      const mb = await acc.open('INBOX');
      let notified = 0;
      const unwatch = mb.watch(() => { notified++; });
      const state = await store.acquire(maildir, 'INBOX');
      await state.sync(true);
      await mb.store([2], 'add', ['\\Seen']); // own change: stamps adopted
      await settle();
      const base = state.recOf(3)!.base;
      const scans = state.fullScans;
      hiddenFlagChange(maildir, base, 'F');
      await settle();
      const snap = await mb.sync();
      assert.deepEqual(snap.messages.find((m) => m.uid === 3)!.flags, ['\\Flagged']);
      assert.ok(state.fullScans > scans, 'read the directories');
      assert.ok(notified > 0, 'sessions were told (IDLE)');
      unwatch();
      await store.release(state);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('between sessions the store keeps watching: own changes cause no read, another process\'s change is still seen', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const maildir = join(h.ref.home, 'Maildir');
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 3; i++) await acc.append('INBOX', src(msg(i)));
      const state = await store.acquire(maildir, 'INBOX');
      await state.sync(true);
      const scans = state.fullScans;
      // Short sessions, one after the other (LOGIN, SELECT, a change, LOGOUT), past the verify interval.
      for (let i = 0; i < 3; i++) {
        const mb = await acc.open('INBOX');
        const unwatch = mb.watch(() => undefined);
        await mb.sync();
        const a = await acc.append('INBOX', src(msg(10 + i)));
        await mb.store([a.uid], 'add', ['\\Deleted']);
        await mb.expunge([a.uid]);
        unwatch();
        await mb.close();
        await sleep(LIMITS.maildirOwnChangeVerifyMs / 2 + 50);
      }
      const mb = await acc.open('INBOX');
      assert.equal((await mb.sync()).messages.length, 3);
      assert.equal(state.fullScans, scans, 'no full read for own changes across sessions');
      await mb.close();
      // No session now; another process changes a flag where the stamps cannot show it.
      hiddenFlagChange(maildir, state.recOf(3)!.base, 'F');
      await settle();
      const mb2 = await acc.open('INBOX');
      assert.deepEqual((await mb2.sync()).messages.find((m) => m.uid === 3)!.flags, ['\\Flagged']);
      await mb2.close();
      await store.release(state);
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('without any watch, such a change is found by the verify read within maildirOwnChangeVerifyMs', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const maildir = join(h.ref.home, 'Maildir');
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 3; i++) await acc.append('INBOX', src(msg(i)));
      await store.close();
      // A folder state of its own, outside the store: nothing watches the directories.
      const state = new FolderState(maildir, 'INBOX', { hostname: 'test.host', fsync: false });
      await state.load();
      await state.setFlags([2], 'add', ['\\Seen']); // own change: stamps adopted
      hiddenFlagChange(maildir, state.recOf(3)!.base, 'F');
      await settle();
      // The stamps are the adopted ones: hidden (this is what a watch catches at once).
      await state.sync();
      assert.deepEqual(state.recOf(3)!.flags, []);
      await sleep(LIMITS.maildirOwnChangeVerifyMs + 50);
      await state.sync();
      assert.deepEqual(state.recOf(3)!.flags, ['\\Flagged']);
      await state.flush();
    } finally {
      await h.cleanup();
    }
  });
});
