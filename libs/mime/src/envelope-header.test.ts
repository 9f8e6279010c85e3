/**
 * The header-only ENVELOPE equals the envelope of the full structure parse, for any message and
 * any chunking (the storage serves FETCH ENVELOPE from it and must not differ from BODYSTRUCTURE's
 * path or from a cache written by either).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LIMITS } from '../../core/src/limits.js';
import { parseStructure } from './structure.js';
import { HeaderEnvelopeParser, headerEnd, headerEnvelope } from './envelope-header.js';
import { formatEnvelope } from './envelope-imap.js';
import { CASES, crlf } from './testing.js';

function chunked(buf: Buffer, sizes: number[]): { env: ReturnType<HeaderEnvelopeParser['end']>; doneAt: number } {
  const p = new HeaderEnvelopeParser();
  let i = 0;
  let k = 0;
  let doneAt = -1;
  while (i < buf.length) {
    const n = sizes[k++ % sizes.length]!;
    const chunk = Buffer.from(buf.subarray(i, i + n));
    const done = p.write(chunk);
    chunk.fill(0x41); // a reused read buffer must not change the result
    i += n;
    if (done) { doneAt = i; break; }
  }
  return { env: p.end(), doneAt };
}

const TOKENS = [
  '\r\n', '\n', '\r', '\r\n\r\n', '\n\n', ' ', '\t', ':', ',', ';', '<', '>', '"', '(', ')', '@', '\0', '\u00e9',
  'From: A <a@b.c>\n', 'To: g: x@y, "q\\"z" <z@w>;\r\n', 'Subject: =?utf-8?q?x?=\n folded\n', 'Cc: (c) d@e\n',
  'Sender:\n', 'Reply-To: <@r1,@r2:u@h>\n', 'Message-ID: <m@x>\r\n', 'In-Reply-To: <i@x>\n', 'Date: Mon, 1 Jan 2024 00:00:00 +0000\n',
  'subject : second\n', 'X-Long: ' + 'y'.repeat(1500) + '\n', ' continuation\n', 'no colon line\n',
  // Field names in other cases, with whitespace before the colon, near misses and 8-bit.
  'REPLY-TO: <x@y>\n', 'Reply\rTo: z@w\n', 'reply-to\t: r@s\n', 'cC: c@d\n', 'bcc:\n', 'BCC: b@c\n', 'To:\r\n',
  'In-Reply-To:\n <fold@x>\n', 'message-ID : <id>\n', 'Frøm: x@y\n', 'dATE: Tue\n', 'Senders: no@no\n', 'T: t\n', ':\n',
];

test('header-only envelope equals the full parse, any message, any chunking', () => {
  const corpus = CASES.flatMap((c) => [crlf(c.raw), c.raw, c.raw.replace(/\r?\n/g, '\n')]);
  fc.assert(fc.property(
    fc.integer({ min: 0, max: corpus.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS)), { maxLength: 6 }),
    fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
    (idx, ins, sizes) => {
      let s = corpus[idx]!;
      for (const [at, t] of ins) { const p = at % (s.length + 1); s = s.slice(0, p) + t + s.slice(p); }
      const buf = Buffer.from(s, 'utf8');
      const want = parseStructure(buf).envelope;
      const { env, doneAt } = chunked(buf, sizes);
      assert.deepEqual(env, want);
      assert.deepEqual(chunked(buf, [1]).env, want);
      const one = headerEnvelope(buf);
      if (one) assert.deepEqual(one, want);
      const end = headerEnd(buf);
      // The parser stops in the chunk that holds the blank line, and only when there is one.
      if (end < 0) assert.equal(doneAt, -1);
      else assert.ok(doneAt >= end && doneAt - end < Math.max(...sizes) + 1);
      assert.equal(formatEnvelope(env), formatEnvelope(want));
    }), { numRuns: 3000 });
});

test('the header ends at the first empty or lone-CR line; bytes after it are not needed', () => {
  assert.equal(headerEnd(Buffer.from('A: b\r\n\r\nbody')), 8);
  assert.equal(headerEnd(Buffer.from('A: b\n\nbody')), 6);
  assert.equal(headerEnd(Buffer.from('\r\nbody')), 2);
  assert.equal(headerEnd(Buffer.from('A: b\r\r\nB: c\n\n')), 13); // "\r\r\n" is not empty
  assert.equal(headerEnd(Buffer.from('A: b\r\nB: c')), -1);
  const p = new HeaderEnvelopeParser();
  assert.equal(p.write(Buffer.from('Subject: x\r')), false);
  assert.equal(p.write(Buffer.from('\n\r')), false);
  assert.equal(p.write(Buffer.from('\nSubject: not me\r\n')), true);
  assert.equal(p.write(Buffer.from('Subject: nor me\r\n')), true);
  assert.equal(p.end().subject, 'x');
});

test('no blank line: the whole message is the header (as the full parse has it)', () => {
  for (const s of ['Subject: a', 'Subject: a\r', 'Subject: a\r\nFrom: b@c\r\n', 'From: x@y\n\tcont', '']) {
    const buf = Buffer.from(s);
    assert.equal(headerEnvelope(buf), null);
    assert.deepEqual(chunked(buf, [1, 3]).env, parseStructure(buf).envelope, JSON.stringify(s));
  }
});

test('a header beyond the parser limit is cut where the full parse cuts it', () => {
  const line = 'X-Pad: ' + 'p'.repeat(70) + '\n';
  const pad = line.repeat(Math.ceil(LIMITS.mimeMaxHeaderBytes / line.length) + 10);
  for (const s of [
    `From: a@b.c\n${pad}Subject: beyond the limit\n\nbody\n`,
    `From: a@b.c\n${line.repeat(Math.floor(LIMITS.mimeMaxHeaderBytes / 2 / line.length))}Subject: near half\n\nbody\n`,
    `From: a@b.c\n${pad}`,
  ]) {
    const buf = Buffer.from(s);
    const want = parseStructure(buf).envelope;
    assert.deepEqual(chunked(buf, [4096]).env, want);
    assert.deepEqual(chunked(buf, [65536, 7]).env, want);
    const one = headerEnvelope(buf);
    if (one) assert.deepEqual(one, want);
  }
});
