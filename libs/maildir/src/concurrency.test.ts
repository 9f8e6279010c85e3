/** Several processes on one folder at once, and a delivery killed with SIGKILL. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAll } from '../../mailstore/src/contract.js';
import type { AccountRef } from '../../mailstore/src/types.js';
import { MaildirStore } from './store.js';
import { tempHome } from './testing.js';

// Runs from dist/ (compiled .js) in CI; the child is the compiled sibling.
const CHILD = fileURLToPath(new URL('./testing-child.js', import.meta.url));

function spawnChild(args: string[]): { proc: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const proc = fork(CHILD, args, { execArgv: [], silent: true });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => { if (code) process.stderr.write(err); res(code); }));
  return { proc, lines, exited };
}

/** tag → uid for every message in INBOX, read through a fresh store. */
async function contents(ref: AccountRef): Promise<{ byTag: Map<string, number[]>; uids: number[]; bodies: string[]; flags: Map<number, readonly string[]> }> {
  const store = new MaildirStore({ hostname: 'parent', fsync: false });
  const acc = await store.openAccount(ref);
  const mb = await acc.open('INBOX', { readOnly: true });
  const s = await mb.sync();
  const byTag = new Map<string, number[]>();
  const bodies: string[] = [];
  const flags = new Map<number, readonly string[]>();
  for (const m of s.messages) {
    const text = (await readAll(await mb.open(m.uid))).toString();
    bodies.push(text);
    flags.set(m.uid, m.flags);
    const tag = /X-Tag: (\S+)/.exec(text)?.[1] ?? '?';
    byTag.set(tag, [...(byTag.get(tag) ?? []), m.uid]);
  }
  await mb.close();
  await store.close();
  return { byTag, uids: s.messages.map((m) => m.uid), bodies, flags };
}

describe('multi-process safety', () => {
  it('4 processes append, flag and expunge in one folder: UIDs unique, nothing lost or duplicated, rebuild agrees', { timeout: 120_000 }, async () => {
    const h = await tempHome();
    try {
      const live = new MaildirStore({ hostname: 'live', fsync: false });
      const liveAcc = await live.openAccount(h.ref);
      const liveMb = await liveAcc.open('INBOX');
      await liveMb.sync();
      const N = 24;
      const kids = ['1', '2', '3', '4'].map((id) => spawnChild(['worker', h.ref.home, id, String(N)]));
      // The live handle keeps syncing while the children work (its view must stay consistent).
      let stop = false;
      const poller = (async () => {
        let last = 0;
        while (!stop) {
          const s = await liveMb.sync();
          for (let i = 1; i < s.messages.length; i++) assert.ok(s.messages[i]!.uid > s.messages[i - 1]!.uid);
          last = s.messages.length;
          await new Promise((r) => setTimeout(r, 20));
        }
        return last;
      })();
      const codes = await Promise.all(kids.map((k) => k.exited));
      stop = true;
      await poller;
      assert.deepEqual(codes, [0, 0, 0, 0]);
      const acked = new Map<string, number>();
      const expunged = new Set<string>();
      for (const k of kids) {
        for (const l of k.lines) {
          const [kind, tag, uid] = l.split(' ');
          if (kind === 'ACK') acked.set(tag!, Number(uid));
          if (kind === 'EXP') expunged.add(tag!);
        }
        assert.equal(k.lines[k.lines.length - 1], 'DONE');
      }
      assert.equal(acked.size, 4 * N);
      const ackedUids = [...acked.values()];
      assert.equal(new Set(ackedUids).size, ackedUids.length, 'no UID given twice');

      const liveSnap = await liveMb.sync();
      const c = await contents(h.ref);
      for (const [tag, uid] of acked) {
        const found = c.byTag.get(tag) ?? [];
        if (expunged.has(tag)) assert.equal(found.length, 0, `${tag} expunged`);
        else {
          assert.equal(found.length, 1, `${tag} present exactly once`);
          assert.equal(found[0], uid, `${tag} kept the UID it was acknowledged with`);
        }
      }
      assert.equal(c.uids.length, 4 * N - expunged.size);
      assert.deepEqual(liveSnap.messages.map((m) => m.uid), c.uids, 'live view agrees with a fresh reader');
      for (const m of liveSnap.messages) assert.deepEqual(m.flags, c.flags.get(m.uid));

      // Rebuild from the Maildir alone (our index removed): same UIDs and flags.
      await liveMb.close();
      await live.close();
      await unlink(join(h.ref.home, 'Maildir', 'mailstore.index')).catch(() => undefined);
      const rebuilt = await contents(h.ref);
      assert.deepEqual(rebuilt.uids, c.uids);
      for (const uid of rebuilt.uids) assert.deepEqual(rebuilt.flags.get(uid), c.flags.get(uid));
    } finally {
      await h.cleanup();
    }
  });

  it('delivery killed with SIGKILL mid-stream: every acknowledged message there once, no half message visible', { timeout: 120_000 }, async () => {
    const h = await tempHome();
    try {
      const k = spawnChild(['deliver', h.ref.home, '7', '1000']);
      await new Promise<void>((res) => {
        const t = setInterval(() => { if (k.lines.filter((l) => l.startsWith('ACK')).length >= 12) { clearInterval(t); res(); } }, 1);
      });
      // Let it get into the next message's stream, then kill it hard.
      await new Promise((r) => setTimeout(r, 5));
      k.proc.kill('SIGKILL');
      await k.exited;
      const acked = k.lines.filter((l) => l.startsWith('ACK')).map((l) => l.split(' ')[1]!);
      assert.ok(acked.length >= 12);
      const c = await contents(h.ref);
      for (const tag of acked) assert.equal((c.byTag.get(tag) ?? []).length, 1, `${tag} present once`);
      for (const b of c.bodies) {
        const tag = /X-Tag: (\S+)/.exec(b)![1]!;
        assert.ok(b.endsWith(`END-${tag}\r\n`), 'no half-written message is visible');
      }
      for (const [tag, uids] of c.byTag) assert.equal(uids.length, 1, `${tag} not duplicated`);
      assert.ok(c.uids.length <= acked.length + 1, 'at most the message in flight was completed unacknowledged');
      // New appends work after the crash (a stale lock of the dead pid is broken at once).
      const store = new MaildirStore({ hostname: 'after', fsync: true });
      const acc = await store.openAccount(h.ref);
      const r = await acc.append('INBOX', (await import('node:stream')).Readable.from([Buffer.from('Subject: after\r\n\r\nx\r\n')]));
      assert.ok(r.uid > Math.max(...c.uids));
      await store.close();
      const tmpLeft = await readdir(join(h.ref.home, 'Maildir', 'tmp'));
      assert.ok(tmpLeft.length <= 1, 'at most the interrupted delivery is left in tmp/ (cleaned after 36 h)');
    } finally {
      await h.cleanup();
    }
  });
});
