/**
 * FETCH ENVELOPE storage side: header-only envelopes (envelope-fetch.ts) and the ENVELOPE text
 * cache (envelope-cache.ts): equal to the full parse, served after a restart, robust against torn
 * records, stale text versions, other writers and a replaced file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';
import { CASES, crlf } from '../../mime/src/testing.js';
import type { MailAccount } from '../../mailstore/src/types.js';
import { EnvelopeCache } from './envelope-cache.js';
import { envelopeIo } from './envelope-fetch.js';
import { ENVELOPES } from './cache.js';
import { MaildirStore } from './store.js';
import { tempHome } from './testing.js';

const newStore = () => new MaildirStore({ hostname: 'test.host', fsync: false });

/** Files put into cur/ by hand (as another MDA or a migration would): nothing parsed them yet. */
async function placeByHand(home: string, msgs: string[]): Promise<string> {
  const md = join(home, 'Maildir');
  for (const s of ['cur', 'new', 'tmp']) await mkdir(join(md, s), { recursive: true });
  msgs.forEach((m, i) => writeFileSync(join(md, 'cur', `${1700000000 + i}.M${i}P1.host:2,S`), m, 'latin1'));
  return md;
}

async function uidsOf(acc: MailAccount): Promise<number[]> {
  const mb = await acc.open('INBOX');
  const uids = (await mb.sync()).messages.map((m) => m.uid);
  await mb.close();
  return uids;
}

const LONG_HEADER = `From: a@b.c\nX-Pad: ${'p'.repeat(70)}\n`.repeat(1).concat(`X-Pad: ${'q'.repeat(70)}\n`.repeat(300), 'Subject: after 20 KB of header\n\nbody\n');
const CORPUS = [
  ...CASES.flatMap((c) => [crlf(c.raw), c.raw.replace(/\r\n/g, '\n')]),
  LONG_HEADER,
  'Subject: no blank line\nFrom: x@y.z',
  '',
  'From: "Kowalski, Alice" <alice@example.org>, bob@example.org\nTo: undisclosed-recipients:;\nSubject: =?utf-8?q?h=C3=A9?=\n\tfolded\nMessage-ID: <m@x>\n\nbody\n',
  'From: Jörg <j@example.de>\nSubject: Grüße\n\n8-bit header\n',
];

describe('FETCH ENVELOPE storage', () => {
  it('header-only ENVELOPE text equals the full structure parse (CRLF, bare LF, long header, no blank line)', async () => {
    const h = await tempHome();
    try {
      await placeByHand(h.ref.home, CORPUS);
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const uids = await uidsOf(acc);
      assert.equal(uids.length, CORPUS.length);
      const mb = await acc.open('INBOX');
      await mb.sync();
      const texts = await mb.envelopes!(uids);
      const again = await mb.envelopes!(uids);
      for (let i = 0; i < uids.length; i++) {
        const want = formatEnvelope((await mb.structure(uids[i]!)).envelope);
        assert.equal(texts[i], want, `uid ${uids[i]}`);
        assert.equal(again[i], want, `uid ${uids[i]} (cached)`);
      }
      assert.deepEqual(await mb.envelopes!([999999]), [null]);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('after a restart the text comes from mailstore.envelopes, not from the message', async () => {
    const h = await tempHome();
    try {
      const md = await placeByHand(h.ref.home, ['Subject: original\nFrom: a@b.c\n\nbody\n']);
      let store = newStore();
      let acc = await store.openAccount(h.ref);
      let mb = await acc.open('INBOX');
      const [uid] = (await mb.sync()).messages.map((m) => m.uid);
      const [first] = await mb.envelopes!([uid!]);
      assert.match(first!, /"original"/);
      await mb.close();
      await store.close();
      assert.ok(statSync(join(md, ENVELOPES)).size > 0);
      // Same file name, other bytes: only a cache hit can still answer "original".
      const name = readdirSync(join(md, 'cur'))[0]!;
      writeFileSync(join(md, 'cur', name), 'Subject: changed\nFrom: a@b.c\n\nbody\n');
      store = newStore();
      acc = await store.openAccount(h.ref);
      mb = await acc.open('INBOX');
      await mb.sync();
      assert.deepEqual(await mb.envelopes!([uid!]), [first]);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('a file renamed by another process is found again; a file removed by hand gives null', async () => {
    const h = await tempHome();
    try {
      const md = await placeByHand(h.ref.home, ['Subject: one\n\n1\n', 'Subject: two\n\n2\n']);
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const uids = (await mb.sync()).messages.map((m) => m.uid);
      const [n1, n2] = readdirSync(join(md, 'cur')).sort();
      renameSync(join(md, 'cur', n1!), join(md, 'cur', n1!.replace(/:2,S$/, ':2,FS')));
      unlinkSync(join(md, 'cur', n2!));
      const texts = await mb.envelopes!(uids);
      assert.match(texts[0]!, /"one"/);
      assert.equal(texts[1], null);
      await mb.close();
      await store.close();
    } finally {
      await h.cleanup();
    }
  });

  it('slow-storage mode (reader thread, promise API) gives the same texts, re-finds renamed files', async () => {
    const h = await tempHome();
    const saved = envelopeIo.syncIo;
    try {
      const md = await placeByHand(h.ref.home, CORPUS);
      const store = newStore();
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      const uids = (await mb.sync()).messages.map((m) => m.uid);
      const names = readdirSync(join(md, 'cur')).sort();
      renameSync(join(md, 'cur', names[0]!), join(md, 'cur', names[0]!.replace(/:2,S$/, ':2,FS')));
      unlinkSync(join(md, 'cur', names[1]!));
      envelopeIo.syncIo = () => false;
      const slow = await mb.envelopes!(uids);
      const cached = await mb.envelopes!(uids);
      envelopeIo.syncIo = saved;
      assert.equal(slow[1], null);
      for (let i = 0; i < uids.length; i++) {
        if (i === 1) continue;
        const want = formatEnvelope((await mb.structure(uids[i]!)).envelope);
        assert.equal(slow[i], want, `uid ${uids[i]}`);
        assert.equal(cached[i], want, `uid ${uids[i]} (cached, read with the promise API)`);
      }
      await mb.close();
      await store.close();
    } finally {
      envelopeIo.syncIo = saved;
      await h.cleanup();
    }
  });

  it('records survive a torn write, a record of another text version and a second writer', async () => {
    const h = await tempHome();
    try {
      await mkdir(h.dir, { recursive: true });
      const path = join(h.dir, ENVELOPES);
      const a = new EnvelopeCache(path, 7);
      const b = new EnvelopeCache(path, 7);
      a.put(1, '(one)');
      a.flush();
      // A crashed writer's torn record, then a record of another text version ("ENV" + 0xff).
      appendFileSync(path, Buffer.from([0x45, 0x4e, 0x56, 0x01, 0, 0, 0, 50, 1, 2, 3]));
      const other = Buffer.alloc(25);
      other.write('ENV\xff', 0, 'latin1');
      other.writeUInt32BE(5, 4);
      appendFileSync(path, other);
      b.put(2, '(two)');
      b.put(3, '(thrée)');
      b.flush();
      a.put(4, '(four)');
      a.flush();
      a.refresh();
      b.refresh();
      for (const c of [a, b, new EnvelopeCache(path, 7)]) {
        c.scan();
        assert.deepEqual([1, 2, 3, 4].map((u) => c.get(u)), ['(one)', '(two)', '(thrée)', '(four)']);
      }
      // Another UIDVALIDITY never sees them.
      const v8 = new EnvelopeCache(path, 8);
      v8.scan();
      assert.equal(v8.get(1), null);
      for (const c of [a, b, v8]) await c.close();
    } finally {
      await h.cleanup();
    }
  });

  it('a replaced file is not served from old offsets; a new UIDVALIDITY removes the file', async () => {
    const h = await tempHome();
    try {
      await mkdir(h.dir, { recursive: true });
      const path = join(h.dir, ENVELOPES);
      const a = new EnvelopeCache(path, 7);
      a.put(1, '(one)');
      a.put(2, '(two)');
      a.flush();
      assert.equal(a.get(2), '(two)');
      // Another process removed the file and wrote a new one with other records at the same offsets.
      unlinkSync(path);
      const b = new EnvelopeCache(path, 7);
      b.put(5, '(five)');
      b.put(2, '(TWO)');
      b.flush();
      a.dropWindow();
      assert.notEqual(a.get(2), '(two)');
      a.refresh();
      a.scan();
      assert.equal(a.get(2), '(TWO)');
      assert.equal(a.get(5), '(five)');
      a.reset(9);
      assert.throws(() => statSync(path), /ENOENT/);
      await a.close();
      await b.close();
    } finally {
      await h.cleanup();
    }
  });
});
