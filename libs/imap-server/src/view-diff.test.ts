/**
 * MailboxView.apply diffs snapshots by record identity (view.ts diffSince) or by the UIDs the store
 * logged as changed (changedSince, libs/maildir/src/recs-log.ts): whatever the store did between two
 * applies (flag changes, expunges, appends, records shared or replaced, a rescan replacing every
 * record, this session's own STORE results and EXPUNGEs already recorded), a client that follows the
 * untagged responses ends with exactly the store's messages and flags.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MailboxView } from './view.js';
import type { MailboxSnapshot, MessageRecord } from '../../mailstore/src/types.js';
import { RecsLog } from '../../maildir/src/recs-log.js';

type Op =
  | { k: 'flag'; at: number; flag: string }
  | { k: 'copy'; at: number }
  | { k: 'expunge'; at: number }
  | { k: 'append'; flag: string }
  | { k: 'own'; at: number; flag: string }
  | { k: 'ownExpunge'; at: number }
  | { k: 'rescan' }
  | { k: 'apply'; allowExpunge: boolean };

const FLAGS = ['\\Seen', '\\Flagged', '\\Answered'];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flag' as const), at: fc.nat(), flag: fc.constantFrom(...FLAGS) }),
  fc.record({ k: fc.constant('copy' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('expunge' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('append' as const), flag: fc.constantFrom(...FLAGS) }),
  fc.record({ k: fc.constant('own' as const), at: fc.nat(), flag: fc.constantFrom(...FLAGS) }),
  fc.record({ k: fc.constant('ownExpunge' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('rescan' as const) }),
  fc.record({ k: fc.constant('apply' as const), allowExpunge: fc.boolean() }),
);

/** The client's side: sequence → [uid, flags], updated from untagged responses only. */
function follow(client: Array<{ uid: number; flags: string }>, lines: string[], snap: MailboxSnapshot): void {
  for (const l of lines) {
    let m = /^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\)/.exec(l);
    if (m) {
      const c = client[Number(m[1]) - 1]!;
      assert.equal(c.uid, Number(m[2]), `FETCH for the right sequence number: ${l}`);
      c.flags = m[3]!.split(' ').filter((f) => f && f !== '\\Recent').sort().join(' ');
      continue;
    }
    m = /^\* (\d+) EXPUNGE/.exec(l);
    if (m) { client.splice(Number(m[1]) - 1, 1); continue; }
    m = /^\* (\d+) EXISTS/.exec(l);
    if (m) {
      // New messages are the snapshot's highest UIDs; their flags come with a FETCH, as clients do.
      const n = Number(m[1]);
      const fresh = snap.messages.slice(snap.messages.length - (n - client.length));
      for (const r of fresh) client.push({ uid: r.uid, flags: [...r.flags].sort().join(' ') });
    }
  }
}

it('property: following apply()s responses, the client sees the store exactly', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 12 }), fc.array(op, { maxLength: 40 }), fc.boolean(), fc.boolean(), (n, ops, condstore, logged) => {
    let modseq = 1;
    let uidNext = 1;
    let recs: MessageRecord[] = [];
    for (let i = 0; i < n; i++) recs.push({ uid: uidNext++, flags: [], internalDate: 0, size: 1, modseq: 1 });
    // As FolderState keeps it: every new array logged with the UIDs it changed (or reset).
    const log = new RecsLog();
    log.reset(recs);
    let changed: number[] = [];
    const snap = (): MailboxSnapshot => {
      if (changed.length) { log.patched(recs, changed); changed = []; }
      const messages = recs;
      return { uidValidity: 1, uidNext, highestModseq: modseq, messages, recent: new Set(), keywords: [], changedSince: logged ? (e) => log.between(e, messages) : undefined };
    };
    const put = (next: MessageRecord[], uid: number) => {
      if (changed.length) log.patched(recs, changed);
      recs = next;
      changed = [uid];
    };
    const first = snap();
    const view = new MailboxView(first);
    view.condstore = condstore;
    const client = recs.map((r) => ({ uid: r.uid, flags: '' }));
    const withFlag = (r: MessageRecord, f: string): MessageRecord =>
      ({ ...r, flags: r.flags.includes(f) ? r.flags.filter((x) => x !== f) : [...r.flags, f].sort(), modseq: ++modseq });
    for (const o of ops) {
      const at = 'at' in o && recs.length ? o.at % recs.length : -1;
      switch (o.k) {
        case 'flag': if (at >= 0) { const r = recs.slice(); r[at] = withFlag(r[at]!, o.flag); put(r, r[at]!.uid); } break;
        // A new record object with the same content (a rescan may make one): no response needed.
        case 'copy': if (at >= 0) { const r = recs.slice(); r[at] = { ...r[at]! }; put(r, r[at]!.uid); } break;
        case 'expunge': if (at >= 0) { const r = recs.slice(); const [x] = r.splice(at, 1); put(r, x!.uid); } break;
        case 'append': { const a = { uid: uidNext++, flags: [o.flag], internalDate: 0, size: 1, modseq: ++modseq }; put([...recs, a], a.uid); break; }
        case 'rescan': if (changed.length) log.patched(recs, changed); changed = []; recs = recs.map((r) => ({ ...r })); log.reset(recs); break;
        case 'own': {
          // This session's STORE: the store's new record, told to the view at once (commands/store.ts).
          if (at < 0 || view.entry(recs[at]!.uid)?.expunged !== false) break;
          const r = recs.slice();
          r[at] = withFlag(r[at]!, o.flag);
          put(r, r[at]!.uid);
          view.updateRecord(recs[at]!);
          const seq = view.seqOfFast(recs[at]!.uid);
          client[seq - 1]!.flags = [...recs[at]!.flags].sort().join(' ');
          break;
        }
        case 'ownExpunge': {
          // This session's EXPUNGE/MOVE: gone from the store, marked and flushed by the command itself.
          if (at < 0 || view.entry(recs[at]!.uid)?.expunged !== false) break;
          const uid = recs[at]!.uid;
          const r = recs.slice();
          r.splice(at, 1);
          put(r, uid);
          view.markExpunged([uid]);
          follow(client, view.flushExpunges(), snap());
          break;
        }
        case 'apply': { const s = snap(); follow(client, view.apply(s, o.allowExpunge), s); break; }
      }
    }
    const last = snap();
    follow(client, view.apply(last, true), last);
    assert.deepEqual(client, recs.map((r) => ({ uid: r.uid, flags: [...r.flags].sort().join(' ') })));
    assert.equal(view.exists, recs.length);
  }), { numRuns: 2000, seed: 7 });
});
