/**
 * Mailbox.sleep (IDLE hibernation, sleepers.ts): the folder's state, caches and descriptors are
 * closed while a session sleeps, and it is still woken by a change through this process, by another
 * process's delivery, once per wake, and not after cancel.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { msg } from '../../mailstore/src/contract.js';
import { MaildirStore } from './store.js';
import { sleepingFolders } from './sleepers.js';
import { tempHome } from './testing.js';

const src = (s: string) => Readable.from([Buffer.from(s)]);

/** Descriptors of this process open on anything under `dir`. */
function fdsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const t = readlinkSync(`/proc/self/fd/${fd}`); if (t.startsWith(dir)) out.push(t); } catch { /* closed meanwhile */ }
  }
  return out;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('Mailbox.sleep', () => {
  it('closes the folder state and its descriptors; a change through this process wakes every sleeper once', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const acc = await store.openAccount(h.ref);
      for (let i = 0; i < 3; i++) await acc.append('INBOX', src(msg(i)));
      const a = await acc.open('INBOX');
      const b = await acc.open('INBOX');
      await a.sync();
      await b.sync();
      // FETCH ENVELOPE opens the structure and envelope caches' descriptors.
      await a.envelopes!([1, 2, 3]);
      assert.ok(fdsUnder(h.ref.home).length > 0, 'caches open while selected');
      let woke = { a: 0, b: 0 };
      const onA = () => { woke.a++; };
      const onB = () => { woke.b++; };
      const wa = await a.sleep!(onA);
      const wb = await b.sleep!(onB);
      assert.equal(store.openFolders, 0, 'no folder state kept for sleepers');
      assert.deepEqual(fdsUnder(h.ref.home), [], 'no descriptor open under the mail home');
      assert.equal(sleepingFolders(), 1, 'one shared watch for the two sleepers');
      assert.ok(wa === wb);

      const c = await acc.open('INBOX');
      await c.sync();
      await c.store([2], 'add', ['\\Flagged']);
      await until(() => woke.a === 1 && woke.b === 1);
      await sleep(100);
      assert.deepEqual(woke, { a: 1, b: 1 }, 'once each');
      assert.equal(sleepingFolders(), 0);
      await c.close();

      // Cancelled: no call.
      woke = { a: 0, b: 0 };
      const d = await acc.open('INBOX');
      await d.sync();
      const wd = await d.sleep!(onA);
      wd.cancel(onA);
      assert.equal(sleepingFolders(), 0, 'the last cancel stops the watch');
      await acc.append('INBOX', src(msg(9)));
      await sleep(100);
      assert.equal(woke.a, 0);
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it("another process's delivery wakes a sleeper within a second; a change before sleep() is not lost", async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const acc = await store.openAccount(h.ref);
      await acc.append('INBOX', src(msg(1)));
      const mb = await acc.open('INBOX');
      await mb.sync();
      let woke = 0;
      await mb.sleep!(() => { woke++; });
      const maildir = join(h.ref.home, 'Maildir');
      const name = `${Math.floor(Date.now() / 1000)}.P1Q1.other.host`;
      const t0 = Date.now();
      execFileSync('sh', ['-c', 'printf "Subject: x\\r\\n\\r\\nx\\r\\n" > "$1/tmp/$2" && mv "$1/tmp/$2" "$1/new/$2"', 'sh', maildir, name]);
      await until(() => woke === 1, 1000);
      assert.ok(Date.now() - t0 < 1000);

      // Another handle takes in a change after this one's last sync(): sleep() calls back at once.
      const x = await acc.open('INBOX');
      const y = await acc.open('INBOX');
      await x.sync();
      await y.sync();
      await y.store([1], 'add', ['\\Seen']);
      await y.sync();
      let wokeX = 0;
      await x.sleep!(() => { wokeX++; });
      await until(() => wokeX === 1, 1000);
      await y.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
});
