/**
 * The store's inotify watch of a new folder state starts while its first read lists cur/
 * (FolderState.watchDuringFirstScan): that read counts as covered by the watch only when new/ and
 * cur/ did not change around it. Covered, own changes are trusted for maildirWatchedOwnChangeVerifyMs
 * (no full read); not covered, a full read follows within maildirOwnChangeVerifyMs.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIMITS } from '../../core/src/limits.js';
import { MaildirStore } from './store.js';
import { tempHome } from './testing.js';

const limits = LIMITS as { maildirOwnChangeVerifyMs: number };

for (const [label, dirTime, covered] of [
  ['last changed an hour ago: the read counts as covered', -3600, true],
  ['with directory times not older than a timestamp tick: the read does not count as covered', 1, false],
] as const) {
  it(`first read of a folder ${label}`, async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    const verify = limits.maildirOwnChangeVerifyMs;
    limits.maildirOwnChangeVerifyMs = 100;
    try {
      const md = join(h.ref.home, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
      for (let i = 1; i <= 3; i++) {
        const body = `Subject: m${i}\r\n\r\nbody\r\n`;
        await writeFile(join(md, 'cur', `${1_700_000_000 + i}.M1P1Q${i}.host,S=${body.length},W=${body.length}:2,S`), body);
      }
      const t = Date.now() / 1000 + dirTime;
      for (const d of ['cur', 'new']) await utimes(join(md, d), t, t);
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX'); // the first read, the watch started during it
      const state = await store.acquire(md, 'INBOX');
      const scans = state.fullScans;
      if (covered) {
        await mb.store([1], 'add', ['\\Flagged']); // an own change: a rename in cur/
        await sleep(limits.maildirOwnChangeVerifyMs + 100);
        const snap = await mb.sync();
        assert.deepEqual([...snap.messages[0]!.flags].sort(), ['\\Flagged', '\\Seen']);
        assert.equal(state.fullScans, scans, 'own change trusted: no full read');
      } else {
        // Directory times within the 2-second dirty window: a read the watch covers would vouch
        // for them, one it does not is followed by another (under the watch now).
        assert.equal((await mb.sync()).messages.length, 3);
        assert.equal(state.fullScans, scans + 1, 'not covered: read again');
      }
      await store.release(state);
      await mb.close();
    } finally {
      limits.maildirOwnChangeVerifyMs = verify;
      await store.close();
      await h.cleanup();
    }
  });
}
