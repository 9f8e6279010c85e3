/** On-disk compatibility with Dovecot's Maildir++ (what Dovecot writes, we read; what we write, Dovecot reads). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readAll, msg } from '../../mailstore/src/contract.js';
import { parseUidlist } from './uidlist.js';
import { parseFilename } from './maildir-filename.js';
import { makeMaildirStore } from './testing.js';

const src = (s: string) => Readable.from([Buffer.from(s)]);

describe('Maildir++ layout (Dovecot-compatible)', () => {
  it('append writes cur/<base>,S=,W=:2,<flags> with CRLF; delivery writes new/; uidlist v3 and keywords', async () => {
    const { store, ref, cleanup } = await makeMaildirStore();
    try {
      const acc = await store.openAccount(ref);
      const md = join(ref.home, 'Maildir');
      const body = 'Subject: x\n\nbare lf\n';
      const r = await acc.append('INBOX', src(body), { flags: ['\\Seen', '\\Flagged', 'Work'] });
      const cur = await readdir(join(md, 'cur'));
      assert.equal(cur.length, 1);
      const p = parseFilename(cur[0]!);
      assert.equal(p.info, 'FSa');
      assert.equal(p.size, r.size);
      assert.equal(p.vsize, r.size);
      assert.match(p.base, /^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\.test\.host,S=[0-9]+,W=[0-9]+$/);
      assert.equal(await readFile(join(md, 'cur', cur[0]!), 'utf8'), body.replace(/\n/g, '\r\n'));
      assert.equal(await readFile(join(md, 'dovecot-keywords'), 'utf8'), '0 Work\n');
      await acc.append('INBOX', src(msg(2)), { delivery: true });
      const nw = await readdir(join(md, 'new'));
      assert.equal(nw.length, 1);
      assert.equal(parseFilename(nw[0]!).info, null, 'delivered mail has no info part');
      const ul = parseUidlist(await readFile(join(md, 'dovecot-uidlist'), 'utf8'));
      assert.equal(ul.uidValidity, r.uidValidity);
      assert.equal(ul.nextUid, r.uid + 2);
      assert.match(ul.guid, /^[0-9a-f]{32}$/);
      assert.deepEqual(ul.entries.map((e) => e.base).sort(), [p.base, nw[0]!].sort());
      assert.match((await readFile(join(md, 'dovecot-uidlist'), 'utf8')).split('\n')[0]!, /^3 V[0-9]+ N[0-9]+ G[0-9a-f]{32}$/);
      for (const d of ['tmp', 'new', 'cur']) assert.ok((await stat(join(md, d))).isDirectory());
      await acc.close();
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("folder A/B is Maildir/.A.B with cur/new/tmp and an empty 'maildirfolder'; subscriptions file", async () => {
    const { store, ref, cleanup } = await makeMaildirStore();
    try {
      const acc = await store.openAccount(ref);
      const md = join(ref.home, 'Maildir');
      await acc.create('A/B');
      await acc.create('Entwürfe');
      const d = join(md, '.A.B');
      for (const s of ['cur', 'new', 'tmp']) assert.ok((await stat(join(d, s))).isDirectory());
      assert.equal((await stat(join(d, 'maildirfolder'))).size, 0);
      assert.ok((await stat(join(md, '.Entw&APw-rfe', 'cur'))).isDirectory());
      await acc.subscribe('A/B');
      await acc.subscribe('INBOX');
      assert.equal(await readFile(join(md, 'subscriptions'), 'utf8'), 'V\t2\n\nA\tB\nINBOX\n');
      await acc.close();
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('takes over a Dovecot Maildir: UIDs, UIDVALIDITY, keywords kept; bare-LF files served as CRLF with W sizes', async () => {
    const { store, ref, cleanup } = await makeMaildirStore();
    try {
      const md = join(ref.home, 'Maildir');
      for (const s of ['cur', 'new', 'tmp']) await mkdir(join(md, s), { recursive: true });
      const m1 = 'From: x@y\nSubject: one\n\nhello\n';
      const m2 = 'Subject: two\n\nworld\nagain\n';
      const n1 = `1700000001.M1P100.mx,S=${m1.length},W=${m1.replace(/\n/g, '\r\n').length}:2,Sa`;
      const n2 = `1700000002.M2P100.mx,S=${m2.length}:2,`; // no W=: size must be computed
      await writeFile(join(md, 'cur', n1), m1);
      await writeFile(join(md, 'cur', n2), m2);
      await writeFile(join(md, 'dovecot-uidlist'), `3 V1700000000 N10 G8a1c6b2b0e8f6a65b80d00004f1e5a2c\n5 :${n1.split(':')[0]}\n9 W999 :${n2.split(':')[0]}\n`);
      await writeFile(join(md, 'dovecot-keywords'), '0 $Label1\n');
      const acc = await store.openAccount(ref);
      const mb = await acc.open('INBOX');
      const s = await mb.sync();
      assert.equal(s.uidValidity, 1700000000);
      assert.deepEqual(s.messages.map((m) => m.uid), [5, 9]);
      assert.deepEqual([...s.messages[0]!.flags].sort(), ['$Label1', '\\Seen']);
      assert.equal(s.messages[0]!.size, m1.replace(/\n/g, '\r\n').length);
      assert.equal(s.messages[1]!.size, m2.replace(/\n/g, '\r\n').length);
      assert.equal((await readAll(await mb.open(5))).toString(), m1.replace(/\n/g, '\r\n'));
      assert.equal((await readAll(await mb.open(9, 3, 20))).toString(), m2.replace(/\n/g, '\r\n').slice(3, 20));
      const r = await acc.append('INBOX', src(msg(1)));
      assert.equal(r.uid, 10);
      assert.equal(r.uidValidity, 1700000000);
      const ul = parseUidlist(await readFile(join(md, 'dovecot-uidlist'), 'utf8'));
      assert.equal(ul.guid, '8a1c6b2b0e8f6a65b80d00004f1e5a2c');
      assert.deepEqual(ul.entries.map((e) => e.uid), [5, 9, 10]);
      assert.deepEqual(ul.entries[1]!.ext, ['W999'], 'unknown/other fields preserved');
      await mb.close();
      await acc.close();
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
