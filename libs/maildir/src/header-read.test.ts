/**
 * Mailbox.header (header-read.ts) gives exactly the bytes open(uid, 0, structure(uid).body.bodyStart)
 * gives, for CRLF and bare-LF files, headers without a body, without an empty line, longer than one
 * read, and empty files; headerAndEnvelope adds the ENVELOPE text the structure's envelope formats to.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { Mailbox } from '../../mailstore/src/types.js';
import { MaildirStore } from './store.js';
import { tempHome } from './testing.js';
import { headerEnd } from './header-read.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';

async function viaStructure(mb: Mailbox, uid: number): Promise<Buffer> {
  const st = await mb.structure(uid);
  const bufs: Buffer[] = [];
  for await (const c of await mb.open(uid, 0, st.body.bodyStart)) bufs.push(c as Buffer);
  return Buffer.concat(bufs);
}

describe('header-only read', () => {
  it('headerEnd: after the first empty line (LF or CRLF), -1 without one', () => {
    assert.equal(headerEnd(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n')), 14);
    assert.equal(headerEnd(Buffer.from('A: 1\nB: 2\n\nbody\n')), 11);
    assert.equal(headerEnd(Buffer.from('\nbody')), 1);
    assert.equal(headerEnd(Buffer.from('A: 1\r\r\n\r\n')), 9, 'a line of only CR before the LF is not empty');
    assert.equal(headerEnd(Buffer.from('A: 1\r\nB: 2\r\n')), -1);
  });

  it('property: Mailbox.header equals the structure path for any message', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const md = join(h.ref.home, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
      const acc = await store.openAccount(h.ref);
      const mb = await acc.open('INBOX');
      await mb.sync();
      const line = fc.oneof(
        fc.constantFrom('Subject: hello', 'From: a@b.example', 'X-Long: ' + 'x'.repeat(3000), ' folded', '', '\r', 'To: c@d.example\r'),
        fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
      );
      const message = fc.tuple(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.boolean()).map(([lines, crlf, endsWithEol]) => {
        const eol = crlf ? '\r\n' : '\n';
        return lines.join(eol) + (endsWithEol && lines.length ? eol : '');
      });
      let n = 0;
      await fc.assert(fc.asyncProperty(message, async (text) => {
        // Dovecot-style name without ,W=: the store counts the CRLF size itself.
        await writeFile(join(md, 'new', `1600000000.M${++n}P1Q1.host`), text);
        const snap = await mb.sync();
        const uid = snap.messages[snap.messages.length - 1]!.uid;
        // First, while nothing about the message is cached: one read for header and envelope.
        const both = await mb.headerAndEnvelope!(uid);
        assert.deepEqual(both.header, await viaStructure(mb, uid), JSON.stringify(text));
        assert.equal(both.envelope, formatEnvelope((await mb.structure(uid)).envelope), JSON.stringify(text));
        assert.deepEqual(await mb.header!(uid), both.header);
        assert.deepEqual(await mb.headerAndEnvelope!(uid), both, 'cached envelope, same answer');
      }), { numRuns: 150, seed: 42 });
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });

  it('a header longer than one read and an expunged message', async () => {
    const h = await tempHome();
    const store = new MaildirStore({ hostname: 'test.host', fsync: false });
    try {
      const acc = await store.openAccount(h.ref);
      const long = Buffer.from(`Subject: long\r\n${'X-Pad: '.padEnd(70, 'p')}\r\n`.repeat(200) + '\r\nbody\r\n');
      const r = await acc.append('INBOX', Readable.from([long]), { flags: [] });
      const mb = await acc.open('INBOX');
      await mb.sync();
      const hdr = await mb.header!(r.uid);
      assert.ok(hdr.length > 8 * 1024);
      assert.deepEqual(hdr, long.subarray(0, long.indexOf('\r\n\r\n') + 4));
      await mb.store([r.uid], 'add', ['\\Deleted']);
      await mb.expunge([r.uid]);
      await assert.rejects(mb.header!(r.uid), /expunged/i);
      await mb.close();
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
});
