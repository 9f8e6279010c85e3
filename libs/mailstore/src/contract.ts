/**
 * The one contract suite every MailStore implementation runs (as aedes-persistence's abstract.js).
 * Registers node:test tests; the implementation's own test file calls runMailstoreContract().
 * Every test gets a fresh store (makeStore) and cleans it up.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { AccountRef, MailAccount, MailStore } from './types.js';
import { isMailError } from '../../core/src/errors.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';

export type MakeStore = () => Promise<{ store: MailStore; ref: AccountRef; cleanup(): Promise<void> }>;

const MSG1 = 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Hello\r\nMessage-ID: <1@example.org>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHi Bob,\r\nhow are you?\r\n';

export function msg(n: number, extra = ''): string {
  return `From: a@example.org\r\nSubject: message ${n}\r\nMessage-ID: <${n}@example.org>\r\n\r\nBody ${n}${extra}\r\n`;
}

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function src(s: string | Buffer): Readable {
  return Readable.from([Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8')]);
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isMailError(e), `expected MailError ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

/** Runs `fn` with a fresh account; always cleans up. */
async function withAccount(makeStore: MakeStore, fn: (acc: MailAccount, ctx: { store: MailStore; ref: AccountRef }) => Promise<void>): Promise<void> {
  const { store, ref, cleanup } = await makeStore();
  try {
    const acc = await store.openAccount(ref);
    try {
      await fn(acc, { store, ref });
    } finally {
      await acc.close();
    }
  } finally {
    await store.close();
    await cleanup();
  }
}

export function runMailstoreContract(name: string, makeStore: MakeStore): void {
  const t = (title: string, fn: (acc: MailAccount, ctx: { store: MailStore; ref: AccountRef }) => Promise<void>): void => {
    it(title, () => withAccount(makeStore, fn));
  };

  describe(`MailStore contract: ${name}`, () => {
    describe('append and read back', () => {
      t('appended message reads back byte-exact, with RFC822.SIZE', async (acc) => {
        const r = await acc.append('INBOX', src(MSG1));
        assert.equal(r.size, Buffer.byteLength(MSG1));
        const mb = await acc.open('INBOX');
        const snap = await mb.sync();
        assert.equal(snap.messages.length, 1);
        assert.equal(snap.messages[0]!.uid, r.uid);
        assert.equal(snap.uidValidity, r.uidValidity);
        assert.equal(snap.messages[0]!.size, Buffer.byteLength(MSG1));
        assert.ok(snap.uidNext > r.uid);
        assert.equal((await readAll(await mb.open(r.uid))).toString(), MSG1);
        await mb.close();
      });

      t('partial reads: [start, end) ranges, clamped to the size (RFC 3501 §6.4.5 partial fetch)', async (acc) => {
        const r = await acc.append('INBOX', src(MSG1));
        const mb = await acc.open('INBOX', { readOnly: true });
        await mb.sync();
        assert.equal((await readAll(await mb.open(r.uid, 6, 11))).toString(), MSG1.slice(6, 11));
        assert.equal((await readAll(await mb.open(r.uid, 10))).toString(), MSG1.slice(10));
        assert.equal((await readAll(await mb.open(r.uid, 0, 100000))).toString(), MSG1);
        assert.equal((await readAll(await mb.open(r.uid, 100000))).length, 0);
        await mb.close();
      });

      t('bare LF is served as CRLF and sizes count CRLF', async (acc) => {
        const lf = 'Subject: lf\n\nline1\nline2\n';
        const r = await acc.append('INBOX', src(lf));
        const crlf = lf.replace(/\n/g, '\r\n');
        assert.equal(r.size, Buffer.byteLength(crlf));
        const mb = await acc.open('INBOX');
        const snap = await mb.sync();
        assert.equal(snap.messages[0]!.size, crlf.length);
        assert.equal((await readAll(await mb.open(r.uid))).toString(), crlf);
        await mb.close();
      });

      t('a large message streams in chunks and reads back intact', async (acc) => {
        const chunks: Buffer[] = [Buffer.from('Subject: big\r\n\r\n')];
        for (let i = 0; i < 200; i++) chunks.push(Buffer.from(`${String(i).padStart(6, '0')} ${'x'.repeat(1000)}\r\n`));
        const all = Buffer.concat(chunks);
        const r = await acc.append('INBOX', Readable.from(chunks), { sizeHint: all.length });
        assert.equal(r.size, all.length);
        const mb = await acc.open('INBOX');
        await mb.sync();
        assert.ok((await readAll(await mb.open(r.uid))).equals(all));
        assert.ok((await readAll(await mb.open(r.uid, 5000, 9000))).equals(all.subarray(5000, 9000)));
        await mb.close();
      });

      t('UIDs are ascending and unique across appends (RFC 3501 §2.3.1.1)', async (acc) => {
        const uids: number[] = [];
        for (let i = 0; i < 5; i++) uids.push((await acc.append('INBOX', src(msg(i)))).uid);
        for (let i = 1; i < uids.length; i++) assert.ok(uids[i]! > uids[i - 1]!);
        const mb = await acc.open('INBOX');
        const snap = await mb.sync();
        assert.deepEqual(snap.messages.map((m) => m.uid), uids);
        await mb.close();
      });

      t('append keeps flags, keywords and internal date (RFC 3501 §6.3.11)', async (acc) => {
        const date = Date.UTC(2020, 0, 2, 3, 4, 5);
        const r = await acc.append('INBOX', src(msg(1)), { flags: ['\\Seen', '\\Flagged', '$Forwarded'], internalDate: date });
        const mb = await acc.open('INBOX');
        const snap = await mb.sync();
        const m = snap.messages.find((x) => x.uid === r.uid)!;
        assert.deepEqual([...m.flags].sort(), ['$Forwarded', '\\Flagged', '\\Seen'].sort());
        assert.equal(Math.floor(m.internalDate / 1000), Math.floor(date / 1000));
        assert.ok(snap.keywords.includes('$Forwarded'));
        await mb.close();
      });

      t('\\Recent is never stored as a flag (RFC 3501 §2.3.2)', async (acc) => {
        const r = await acc.append('INBOX', src(msg(1)), { flags: ['\\Recent', '\\Seen'] });
        const mb = await acc.open('INBOX');
        const snap = await mb.sync();
        assert.deepEqual(snap.messages.find((x) => x.uid === r.uid)!.flags, ['\\Seen']);
        await mb.store([r.uid], 'add', ['\\Recent']);
        assert.ok(!(await mb.sync()).messages[0]!.flags.includes('\\Recent'));
        await mb.close();
      });

      t('append to a missing mailbox fails NOTFOUND (client gets TRYCREATE)', async (acc) => {
        await rejectsCode(acc.append('Nope', src(msg(1))), 'NOTFOUND');
      });

      t('structure() gives envelope and body structure', async (acc) => {
        const r = await acc.append('INBOX', src(MSG1));
        const mb = await acc.open('INBOX');
        await mb.sync();
        const s = await mb.structure(r.uid);
        assert.equal(s.size, Buffer.byteLength(MSG1));
        assert.equal(s.envelope.subject, 'Hello');
        assert.equal(s.envelope.messageId, '<1@example.org>');
        assert.equal(s.body.contentType.type, 'text');
        assert.equal(s.body.contentType.subtype, 'plain');
        await mb.close();
      });

      t('envelopes() (when offered) is the formatted ENVELOPE of structure(), null for a message gone', async (acc) => {
        const a = await acc.append('INBOX', src(MSG1));
        const b = await acc.append('INBOX', src(msg(2)), { flags: ['\\Deleted'] });
        const mb = await acc.open('INBOX');
        await mb.sync();
        if (!mb.envelopes) { await mb.close(); return; }
        const before = await mb.envelopes([a.uid, b.uid]);
        assert.equal(before[0], formatEnvelope((await mb.structure(a.uid)).envelope));
        assert.equal(before[1], formatEnvelope((await mb.structure(b.uid)).envelope));
        assert.match(before[0]!, /^\("Tue, 24 Nov 2026 10:00:00 \+0000" "Hello" \(\("Alice" NIL "alice" "example\.org"\)\)/);
        await mb.expunge();
        assert.deepEqual(await mb.envelopes([b.uid, a.uid]), [null, before[0]]);
        await mb.close();
      });
    });

    describe('flags', () => {
      t('store add / remove / replace and modseq bump (RFC 3501 §6.4.6, RFC 7162)', async (acc) => {
        const a = await acc.append('INBOX', src(msg(1)));
        const b = await acc.append('INBOX', src(msg(2)));
        const mb = await acc.open('INBOX');
        const s0 = await mb.sync();
        const m0 = s0.messages.find((m) => m.uid === a.uid)!;
        const r1 = await mb.store([a.uid], 'add', ['\\Seen', 'Work']);
        assert.equal(r1.updated.length, 1);
        assert.deepEqual([...r1.updated[0]!.flags].sort(), ['Work', '\\Seen'].sort());
        assert.ok(r1.updated[0]!.modseq > m0.modseq);
        const r2 = await mb.store([a.uid, b.uid], 'add', ['\\Flagged']);
        assert.equal(r2.updated.length, 2);
        const r3 = await mb.store([a.uid], 'remove', ['\\seen']);
        assert.deepEqual([...r3.updated[0]!.flags].sort(), ['Work', '\\Flagged'].sort());
        const r4 = await mb.store([a.uid], 'replace', ['\\Answered']);
        assert.deepEqual(r4.updated[0]!.flags, ['\\Answered']);
        const s = await mb.sync();
        assert.deepEqual(s.messages.find((m) => m.uid === a.uid)!.flags, ['\\Answered']);
        assert.deepEqual(s.messages.find((m) => m.uid === b.uid)!.flags, ['\\Flagged']);
        assert.ok(s.highestModseq >= r4.updated[0]!.modseq);
        assert.ok(s.keywords.includes('Work'));
        await mb.close();
      });

      t('UNCHANGEDSINCE refuses messages modified after it (RFC 7162 §3.1.3)', async (acc) => {
        const a = await acc.append('INBOX', src(msg(1)));
        const b = await acc.append('INBOX', src(msg(2)));
        const mb = await acc.open('INBOX');
        const s0 = await mb.sync();
        const since = s0.highestModseq;
        await mb.store([a.uid], 'add', ['\\Seen']);
        const r = await mb.store([a.uid, b.uid], 'add', ['\\Flagged'], since);
        assert.deepEqual(r.modified, [a.uid]);
        assert.deepEqual(r.updated.map((m) => m.uid), [b.uid]);
        const s = await mb.sync();
        assert.ok(!s.messages.find((m) => m.uid === a.uid)!.flags.includes('\\Flagged'));
        await mb.close();
      });

      t('read-only handle refuses store and expunge with PERM', async (acc) => {
        const a = await acc.append('INBOX', src(msg(1)));
        const mb = await acc.open('INBOX', { readOnly: true });
        await mb.sync();
        assert.equal(mb.readOnly, true);
        await rejectsCode(mb.store([a.uid], 'add', ['\\Seen']), 'PERM');
        await rejectsCode(mb.expunge(), 'PERM');
        await mb.close();
      });

      t('store on unknown UIDs is ignored', async (acc) => {
        const mb = await acc.open('INBOX');
        await mb.sync();
        const r = await mb.store([999], 'add', ['\\Seen']);
        assert.equal(r.updated.length, 0);
        await mb.close();
      });
    });

    describe('expunge', () => {
      t('expunge removes only \\Deleted messages (RFC 3501 §6.4.3)', async (acc) => {
        const uids: number[] = [];
        for (let i = 0; i < 4; i++) uids.push((await acc.append('INBOX', src(msg(i)))).uid);
        const mb = await acc.open('INBOX');
        await mb.sync();
        await mb.store([uids[1]!, uids[3]!], 'add', ['\\Deleted']);
        assert.deepEqual(await mb.expunge(), [uids[1]!, uids[3]!]);
        const s = await mb.sync();
        assert.deepEqual(s.messages.map((m) => m.uid), [uids[0]!, uids[2]!]);
        await rejectsCode(mb.open(uids[1]!), 'EXPUNGED');
        await mb.close();
      });

      t('UID EXPUNGE removes only the given \\Deleted UIDs (RFC 4315 §2.1)', async (acc) => {
        const uids: number[] = [];
        for (let i = 0; i < 3; i++) uids.push((await acc.append('INBOX', src(msg(i)), { flags: ['\\Deleted'] })).uid);
        const mb = await acc.open('INBOX');
        await mb.sync();
        assert.deepEqual(await mb.expunge([uids[0]!, uids[2]!]), [uids[0]!, uids[2]!]);
        assert.deepEqual((await mb.sync()).messages.map((m) => m.uid), [uids[1]!]);
        await mb.close();
      });
    });

    describe('copy and move', () => {
      t('copy keeps flags and internal date and returns COPYUID data (RFC 4315 §3)', async (acc) => {
        await acc.create('Dest');
        const date = Date.UTC(2019, 5, 6, 7, 8, 9);
        const a = await acc.append('INBOX', src(msg(1)), { flags: ['\\Seen', 'Kw1'], internalDate: date });
        const b = await acc.append('INBOX', src(msg(2)));
        const mb = await acc.open('INBOX');
        await mb.sync();
        const r = await mb.copy([b.uid, a.uid], 'Dest');
        assert.deepEqual(r.sourceUids, [a.uid, b.uid]);
        assert.equal(r.destUids.length, 2);
        assert.ok(r.destUids[1]! > r.destUids[0]!);
        const d = await acc.open('Dest');
        const ds = await d.sync();
        assert.equal(ds.uidValidity, r.uidValidity);
        const ca = ds.messages.find((m) => m.uid === r.destUids[0])!;
        assert.deepEqual([...ca.flags].sort(), ['Kw1', '\\Seen'].sort());
        assert.equal(Math.floor(ca.internalDate / 1000), Math.floor(date / 1000));
        assert.equal((await readAll(await d.open(r.destUids[0]!))).toString(), msg(1));
        assert.equal((await mb.sync()).messages.length, 2); // source untouched
        await d.close();
        await mb.close();
      });

      t('move removes from the source and keeps flags (RFC 6851)', async (acc) => {
        await acc.create('Dest');
        const a = await acc.append('INBOX', src(msg(1)), { flags: ['\\Flagged'] });
        const b = await acc.append('INBOX', src(msg(2)));
        const mb = await acc.open('INBOX');
        await mb.sync();
        const r = await mb.move([a.uid], 'Dest');
        assert.deepEqual(r.sourceUids, [a.uid]);
        assert.equal(r.destUids.length, 1);
        assert.deepEqual((await mb.sync()).messages.map((m) => m.uid), [b.uid]);
        const d = await acc.open('Dest');
        const ds = await d.sync();
        assert.deepEqual(ds.messages[0]!.flags, ['\\Flagged']);
        assert.equal((await readAll(await d.open(r.destUids[0]!))).toString(), msg(1));
        await d.close();
        await mb.close();
      });

      t('copy to a missing mailbox fails NOTFOUND', async (acc) => {
        const a = await acc.append('INBOX', src(msg(1)));
        const mb = await acc.open('INBOX');
        await mb.sync();
        await rejectsCode(mb.copy([a.uid], 'Missing'), 'NOTFOUND');
        await mb.close();
      });
    });

    describe('recent', () => {
      t('\\Recent belongs to the first read-write session only (RFC 3501 §2.3.2)', async (acc) => {
        const a = await acc.append('INBOX', src(msg(1)), { delivery: true });
        const ro = await acc.open('INBOX', { readOnly: true });
        assert.ok((await ro.sync()).recent.has(a.uid), 'EXAMINE sees recent without claiming');
        const h1 = await acc.open('INBOX');
        const h2 = await acc.open('INBOX');
        assert.ok((await h1.sync()).recent.has(a.uid));
        assert.ok(!(await h2.sync()).recent.has(a.uid));
        assert.ok((await h1.sync()).recent.has(a.uid), 'still recent for h1 on later syncs');
        const b = await acc.append('INBOX', src(msg(2)));
        const s2 = await h2.sync();
        assert.ok(s2.recent.has(b.uid));
        assert.ok(!(await h1.sync()).recent.has(b.uid));
        await ro.close();
        await h1.close();
        await h2.close();
        const h3 = await acc.open('INBOX');
        assert.equal((await h3.sync()).recent.size, 0, 'recent is gone once claimed');
        await h3.close();
      });

      t('STATUS RECENT counts recent messages', async (acc) => {
        await acc.append('INBOX', src(msg(1)), { delivery: true });
        assert.equal((await acc.status('INBOX')).recent, 1);
      });
    });

    describe('mailbox management', () => {
      t('list shows INBOX first, created mailboxes, and \\Noselect parents', async (acc) => {
        await acc.create('Sent', { specialUse: ['\\Sent'] });
        await acc.create('Archive/2024');
        const l = await acc.list();
        assert.equal(l[0]!.name, 'INBOX');
        const byName = new Map(l.map((x) => [x.name, x]));
        assert.deepEqual(byName.get('Sent')!.specialUse, ['\\Sent']);
        assert.equal(byName.get('Archive/2024')!.noSelect, false);
        assert.equal(byName.get('Archive')!.noSelect, true);
      });

      t('INBOX is case-insensitive (RFC 3501 §5.1)', async (acc) => {
        const r = await acc.append('inbox', src(msg(1)));
        const mb = await acc.open('InBoX');
        assert.equal(mb.name, 'INBOX');
        assert.equal((await mb.sync()).messages[0]!.uid, r.uid);
        await mb.close();
      });

      t('create an existing mailbox fails EXISTS; INBOX always exists', async (acc) => {
        await acc.create('A');
        await rejectsCode(acc.create('A'), 'EXISTS');
        await rejectsCode(acc.create('INBOX'), 'EXISTS');
      });

      t('non-ASCII names round-trip (RFC 3501 §5.1.3)', async (acc) => {
        await acc.create('Entwürfe/日本語');
        const names = (await acc.list()).map((x) => x.name);
        assert.ok(names.includes('Entwürfe/日本語'));
        await acc.append('Entwürfe/日本語', src(msg(1)));
        assert.equal((await acc.status('Entwürfe/日本語')).messages, 1);
      });

      t('delete removes a mailbox; INBOX cannot be deleted (RFC 3501 §6.3.4)', async (acc) => {
        await acc.create('Trash');
        await acc.append('Trash', src(msg(1)));
        await acc.delete('Trash');
        assert.ok(!(await acc.list()).some((x) => x.name === 'Trash'));
        await rejectsCode(acc.delete('INBOX'), 'PERM');
        await rejectsCode(acc.delete('Trash'), 'NOTFOUND');
        await rejectsCode(acc.open('Trash'), 'NOTFOUND');
      });

      t('delete of a mailbox with children leaves it \\Noselect (RFC 3501 §6.3.4)', async (acc) => {
        await acc.create('P');
        await acc.create('P/C');
        await acc.delete('P');
        const l = new Map((await acc.list()).map((x) => [x.name, x]));
        assert.equal(l.get('P')?.noSelect, true);
        assert.equal(l.get('P/C')?.noSelect, false);
      });

      t('rename moves messages and children (RFC 3501 §6.3.5)', async (acc) => {
        await acc.create('Old');
        await acc.create('Old/Sub');
        const r = await acc.append('Old', src(msg(1)), { flags: ['\\Seen'] });
        await acc.rename('Old', 'New');
        const names = (await acc.list()).map((x) => x.name);
        assert.ok(names.includes('New'));
        assert.ok(names.includes('New/Sub'));
        assert.ok(!names.includes('Old'));
        assert.ok(!names.includes('Old/Sub'));
        const mb = await acc.open('New');
        const s = await mb.sync();
        assert.equal(s.messages.length, 1);
        assert.deepEqual(s.messages[0]!.flags, ['\\Seen']);
        assert.equal((await readAll(await mb.open(s.messages[0]!.uid))).toString(), msg(1));
        assert.ok(r.uid > 0);
        await mb.close();
        await acc.create('Other');
        await rejectsCode(acc.rename('New', 'Other'), 'EXISTS');
        await rejectsCode(acc.rename('Missing', 'X'), 'NOTFOUND');
      });

      t('rename INBOX moves its messages and leaves INBOX empty (RFC 3501 §6.3.5)', async (acc) => {
        await acc.append('INBOX', src(msg(1)));
        await acc.append('INBOX', src(msg(2)), { flags: ['\\Answered'] });
        await acc.rename('INBOX', 'Saved');
        assert.equal((await acc.status('INBOX')).messages, 0);
        const mb = await acc.open('Saved');
        const s = await mb.sync();
        assert.equal(s.messages.length, 2);
        assert.ok(s.messages.some((m) => m.flags.includes('\\Answered')));
        await mb.close();
        assert.ok((await acc.list()).some((x) => x.name === 'INBOX'));
      });

      t('subscribe / unsubscribe are reflected in list (RFC 3501 §6.3.6)', async (acc) => {
        await acc.create('S');
        await acc.subscribe('S');
        await acc.subscribe('INBOX');
        let l = new Map((await acc.list()).map((x) => [x.name, x]));
        assert.equal(l.get('S')!.subscribed, true);
        assert.equal(l.get('INBOX')!.subscribed, true);
        await acc.unsubscribe('S');
        l = new Map((await acc.list()).map((x) => [x.name, x]));
        assert.equal(l.get('S')!.subscribed, false);
      });

      t('invalid names fail BADNAME and never touch the disk outside the home', async (acc) => {
        const long = 'x'.repeat(300);
        const deep = Array.from({ length: 40 }, (_v, i) => `l${i}`).join('/');
        for (const bad of ['', '/abs', 'trail/', 'a//b', '../escape', 'a/../../b', 'nul\0x', 'ctl\x01x', long, deep]) {
          await rejectsCode(acc.create(bad), 'BADNAME');
        }
        await rejectsCode(acc.open('../../etc'), 'BADNAME');
        await rejectsCode(acc.append('../x', src(msg(1))), 'BADNAME');
      });
    });

    describe('status', () => {
      t('STATUS counts messages, unseen, deleted, size, uidnext (RFC 3501 §6.3.10, RFC 8438)', async (acc) => {
        await acc.create('St');
        const a = await acc.append('St', src(msg(1)), { flags: ['\\Seen'] });
        await acc.append('St', src(msg(2)), { flags: ['\\Deleted'] });
        const c = await acc.append('St', src(msg(3)));
        const st = await acc.status('St');
        assert.equal(st.messages, 3);
        assert.equal(st.unseen, 2);
        assert.equal(st.deleted, 1);
        assert.equal(st.uidValidity, a.uidValidity);
        assert.ok(st.uidNext > c.uid);
        assert.equal(st.size, [1, 2, 3].reduce((n, i) => n + Buffer.byteLength(msg(i)), 0));
        assert.ok(st.highestModseq > 0);
        await rejectsCode(acc.status('Nope'), 'NOTFOUND');
      });
    });

    describe('quota', () => {
      it('usage is reported and appends beyond the limit fail OVERQUOTA', async () => {
        const { store, ref, cleanup } = await makeStore();
        try {
          const acc = await store.openAccount({ ...ref, quotaBytes: 1000, quotaMessages: 3 });
          const q0 = await acc.quota();
          assert.equal(q0.storageUsed, 0);
          assert.equal(q0.storageLimit, 1000);
          assert.equal(q0.messagesLimit, 3);
          await acc.append('INBOX', src(msg(1)));
          const q1 = await acc.quota();
          assert.equal(q1.storageUsed, Buffer.byteLength(msg(1)));
          assert.equal(q1.messagesUsed, 1);
          // Refused before writing when the size is announced.
          await rejectsCode(acc.append('INBOX', src('x'.repeat(2000)), { sizeHint: 2000 }), 'OVERQUOTA');
          // Refused after writing when it is not.
          await rejectsCode(acc.append('INBOX', src('Subject: y\r\n\r\n' + 'y'.repeat(2000))), 'OVERQUOTA');
          assert.equal((await acc.status('INBOX')).messages, 1);
          await acc.append('INBOX', src(msg(2)));
          await acc.append('INBOX', src(msg(3)));
          await rejectsCode(acc.append('INBOX', src(msg(4))), 'OVERQUOTA');
          // Copy counts too; expunge frees.
          await acc.create('C');
          const mb = await acc.open('INBOX');
          const s = await mb.sync();
          await rejectsCode(mb.copy([s.messages[0]!.uid], 'C'), 'OVERQUOTA');
          await mb.store([s.messages[0]!.uid], 'add', ['\\Deleted']);
          await mb.expunge();
          const q2 = await acc.quota();
          assert.equal(q2.messagesUsed, 2);
          await mb.copy([s.messages[1]!.uid], 'C');
          assert.equal((await acc.quota()).messagesUsed, 3);
          await mb.close();
          await acc.close();
        } finally {
          await store.close();
          await cleanup();
        }
      });
    });

    describe('pop3 uidls', () => {
      t('pop3Uidls (optional): newly appended mail has no stored POP3 UIDL', async (acc) => {
        await acc.append('INBOX', src(msg(1)));
        const mb = await acc.open('INBOX');
        try {
          if (mb.pop3Uidls) {
            const m = await mb.pop3Uidls();
            assert.equal(m.size, 0);
          }
        } finally { await mb.close(); }
      });
    });

    describe('sessions see each other', () => {
      t('watch() fires on changes by another handle of the same process', async (acc) => {
        const a = await acc.open('INBOX');
        await a.sync();
        let fired = 0;
        const off = a.watch(() => { fired++; });
        const r = await acc.append('INBOX', src(msg(1)));
        await new Promise((res) => setTimeout(res, 20));
        assert.ok(fired > 0, 'append notified');
        const b = await acc.open('INBOX');
        await b.sync();
        fired = 0;
        await b.store([r.uid], 'add', ['\\Seen']);
        await new Promise((res) => setTimeout(res, 20));
        assert.ok(fired > 0, 'store notified');
        off();
        fired = 0;
        await b.store([r.uid], 'add', ['\\Flagged']);
        await new Promise((res) => setTimeout(res, 20));
        assert.equal(fired, 0, 'unsubscribed');
        await a.close();
        await b.close();
      });

      t('sync() picks up flags and expunges made through another handle', async (acc) => {
        const r1 = await acc.append('INBOX', src(msg(1)));
        const r2 = await acc.append('INBOX', src(msg(2)));
        const a = await acc.open('INBOX');
        const b = await acc.open('INBOX');
        await a.sync();
        await b.sync();
        await b.store([r1.uid], 'add', ['\\Seen', '\\Deleted']);
        let s = await a.sync();
        assert.ok(s.messages.find((m) => m.uid === r1.uid)!.flags.includes('\\Seen'));
        await b.expunge();
        s = await a.sync();
        assert.deepEqual(s.messages.map((m) => m.uid), [r2.uid]);
        await rejectsCode(a.open(r1.uid), 'EXPUNGED');
        await a.close();
        await b.close();
      });

      t('a snapshot taken before a change stays unchanged (immutable records)', async (acc) => {
        const r = await acc.append('INBOX', src(msg(1)));
        const a = await acc.open('INBOX');
        const before = await a.sync();
        await a.store([r.uid], 'add', ['\\Seen']);
        assert.deepEqual(before.messages[0]!.flags, []);
        assert.deepEqual((await a.sync()).messages[0]!.flags, ['\\Seen']);
        await a.close();
      });
    });
  });
}
