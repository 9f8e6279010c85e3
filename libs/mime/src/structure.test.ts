import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StructureParser, parseStructure, normalizedSize } from './structure.js';
import { CASES, allParts, crlf, shape } from './testing.js';
import { LIMITS } from '../../core/src/limits.js';
import type { MessageStructure } from './types.js';

function feed(chunks: Buffer[]): MessageStructure {
  const p = new StructureParser();
  for (const c of chunks) p.write(c);
  return p.end();
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const pos = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of pos) { out.push(buf.subarray(last, p)); last = p; }
  out.push(buf.subarray(last));
  return out;
}

/** Invariants every structure must satisfy, whatever the input. */
function checkInvariants(s: MessageStructure, size: number): void {
  assert.equal(s.size, size);
  assert.equal(s.body.headerStart, 0);
  assert.equal(s.headerSize, s.body.bodyStart);
  const check = (p: MessageStructure['body'], lo: number, hi: number) => {
    assert.ok(lo <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= hi,
      `part range ${p.headerStart}/${p.bodyStart}/${p.bodyEnd} outside [${lo},${hi}]`);
    assert.ok(p.bodyLines >= 0);
    let prev = p.bodyStart;
    for (const c of p.children ?? []) {
      assert.ok(c.headerStart >= prev, 'children in order, not overlapping');
      check(c, p.bodyStart, p.bodyEnd);
      prev = c.bodyEnd;
    }
    if (p.message) check(p.message.body, p.bodyStart, p.bodyEnd);
  };
  check(s.body, 0, size);
  JSON.stringify(s); // JSON-serialisable (the cache stores it)
}

for (const c of CASES) {
  test(`structure: ${c.name}`, () => {
    const buf = Buffer.from(crlf(c.raw), 'latin1');
    const s = parseStructure(buf);
    assert.equal(shape(s.body), c.shape);
    if (c.size !== undefined) assert.equal(s.size, c.size);
    checkInvariants(s, buf.length);
  });

  test(`structure: ${c.name}: bare-LF input gives the same offsets as CRLF input`, () => {
    const crlfBuf = Buffer.from(crlf(c.raw), 'latin1');
    const lfBuf = Buffer.from(c.raw.replace(/\r\n/g, '\n'), 'latin1');
    assert.deepEqual(parseStructure(lfBuf), parseStructure(crlfBuf));
    assert.equal(normalizedSize(lfBuf), crlfBuf.length);
  });

  test(`structure: ${c.name}: byte-by-byte and random chunking give the same result`, () => {
    const buf = Buffer.from(crlf(c.raw), 'latin1');
    const whole = parseStructure(buf);
    const bytes: Buffer[] = [];
    for (let i = 0; i < buf.length; i++) bytes.push(buf.subarray(i, i + 1));
    assert.deepEqual(feed(bytes), whole);
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
      assert.deepEqual(feed(split(buf, cuts)), whole);
      const lf = Buffer.from(c.raw.replace(/\r\n/g, '\n'), 'latin1');
      assert.deepEqual(feed(split(lf, cuts)), whole);
    }), { numRuns: 40 });
  });
}

test('offsets slice the normalised message into the expected header and body bytes (RFC 2046 §5.1.1)', () => {
  const c = CASES.find((x) => x.name.startsWith('multipart/alternative'))!;
  const buf = Buffer.from(crlf(c.raw));
  const s = parseStructure(buf);
  const [p1, p2] = s.body.children!;
  assert.equal(buf.subarray(0, s.headerSize).toString().endsWith('boundary="XX"\r\n\r\n'), true);
  assert.equal(buf.subarray(p1!.headerStart, p1!.bodyStart).toString(), 'Content-Type: text/plain; charset=utf-8\r\n\r\n');
  // The CRLF before "--XX" belongs to the boundary, not to the part.
  assert.equal(buf.subarray(p1!.bodyStart, p1!.bodyEnd).toString(), 'hello\r\nworld');
  assert.equal(buf.subarray(p2!.bodyStart, p2!.bodyEnd).toString(), '<p>hi</p>');
  assert.equal(s.body.bodyEnd, buf.length);
  assert.equal(s.size, buf.length);
});

test('encapsulated message: envelope and body offsets (RFC 3501 §7.4.2 body-type-msg)', () => {
  const c = CASES.find((x) => x.name.startsWith('nested message/rfc822'))!;
  const buf = Buffer.from(crlf(c.raw));
  const s = parseStructure(buf);
  const msg = s.body.children![0]!;
  assert.ok(msg.message);
  assert.equal(msg.message.envelope.subject, 'inner');
  assert.deepEqual(msg.message.envelope.from, [{ name: null, adl: null, mailbox: 'inner', host: 'x.y' }]);
  const inner = msg.message.body;
  assert.equal(inner.headerStart, msg.bodyStart);
  assert.ok(buf.subarray(inner.headerStart, inner.bodyStart).toString().startsWith('From: inner@x.y\r\n'));
  const digestChild = inner.children![0]!;
  assert.equal(digestChild.contentTypeGiven, false);
  assert.deepEqual(digestChild.contentType, { type: 'message', subtype: 'rfc822', params: [] });
  assert.equal(digestChild.message!.envelope.subject, 'd1');
  assert.equal(buf.subarray(digestChild.message!.body.bodyStart, digestChild.message!.body.bodyEnd).toString(), 'd1 body');
});

test('Content-* fields: params, RFC 2231 continuation, disposition, language, id, md5, location', () => {
  const raw = crlf("Content-Type: Text/Plain; charset=\"ISO-8859-1\"; format=flowed (comment)\nContent-Transfer-Encoding: quoted-printable\nContent-ID: <id1@x>\nContent-Description: desc\nContent-MD5: Q2hlY2s=\nContent-Disposition: inline; filename*0*=utf-8''%E2%82%AC; filename*1=\".txt\"\nContent-Language: en, de\nContent-Location: http://x/y\n\nbody\n");
  const p = parseStructure(Buffer.from(raw)).body;
  assert.deepEqual(p.contentType, { type: 'text', subtype: 'plain', params: [['charset', 'ISO-8859-1'], ['format', 'flowed']] });
  assert.equal(p.contentTypeGiven, true);
  assert.equal(p.encoding, 'QUOTED-PRINTABLE');
  assert.equal(p.id, '<id1@x>');
  assert.equal(p.description, 'desc');
  assert.equal(p.md5, 'Q2hlY2s=');
  assert.deepEqual(p.disposition, { type: 'inline', params: [['filename*', "utf-8''%E2%82%AC.txt"]] });
  assert.deepEqual(p.language, ['en', 'de']);
  assert.equal(p.location, 'http://x/y');
});

test('RFC 2045 §5.2 defaults: no Content-Type, unparseable Content-Type, text without charset', () => {
  const none = parseStructure(Buffer.from('Subject: x\r\n\r\nb\r\n')).body;
  assert.deepEqual(none.contentType, { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] });
  assert.equal(none.contentTypeGiven, false);
  assert.equal(none.encoding, '7BIT');
  const bad = parseStructure(Buffer.from('Content-Type: garbage\r\n\r\nb\r\n')).body;
  assert.equal(bad.contentTypeGiven, false);
  assert.equal(`${bad.contentType.type}/${bad.contentType.subtype}`, 'text/plain');
  const html = parseStructure(Buffer.from('Content-Type: text/html\r\n\r\nb\r\n')).body;
  assert.deepEqual(html.contentType.params, [['charset', 'us-ascii']]);
});

test('envelope and cachedHeaders of the top-level message', () => {
  const raw = crlf('From: "Doe, John" <j@x.org>\nTo: a@b, c@d\nSubject: =?utf-8?q?h=C3=A9?=\n folded\nDate: Tue, 1 Jan 2030 10:00:00 +0100\nMessage-ID: <m1@x>\nReferences: <a@x>\n <b@x>\nX-Priority: 1\nX-Other: no\n\nbody\n');
  const s = parseStructure(Buffer.from(raw));
  assert.equal(s.envelope.subject, '=?utf-8?q?h=C3=A9?= folded');
  assert.deepEqual(s.envelope.sender, s.envelope.from);
  assert.deepEqual(s.envelope.replyTo, s.envelope.from);
  assert.equal(s.envelope.to!.length, 2);
  assert.equal(s.envelope.messageId, '<m1@x>');
  assert.deepEqual(s.cachedHeaders!['references'], ['<a@x> <b@x>']);
  assert.deepEqual(s.cachedHeaders!['x-priority'], ['1']);
  assert.equal(s.cachedHeaders!['x-other'], undefined);
  assert.deepEqual(s.cachedHeaders!['subject'], ['=?utf-8?q?h=C3=A9?= folded']);
});

test('hostile input: NULs, 8-bit headers, huge header line, garbage header lines', () => {
  const huge = 'X-Huge: ' + 'a'.repeat(LIMITS.mimeMaxHeaderBytes + 1000);
  const raw = Buffer.concat([
    Buffer.from('Subject: \xe4\xff\x00nul\r\n', 'latin1'),
    Buffer.from(huge + '\r\n: no name\r\n  leading continuation\r\nno colon here\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n--q--\r\n'),
  ]);
  const s = parseStructure(raw);
  checkInvariants(s, raw.length);
  assert.equal(s.envelope.subject, '\xe4\xff\x00nul'); // invalid UTF-8: kept byte for byte as latin1
  // The huge line pushes Content-Type past the kept header bytes: the part degrades to text/plain.
  assert.equal(s.headerSize, raw.indexOf('\r\n\r\n') + 4);
});

test(`depth bounded by LIMITS.mimeMaxDepth (${LIMITS.mimeMaxDepth}); deeper parts are opaque`, () => {
  const depth = LIMITS.mimeMaxDepth + 20;
  let raw = '';
  for (let i = 0; i < depth; i++) raw += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  raw += '\r\nleaf\r\n';
  for (let i = depth - 1; i >= 0; i--) raw += `--b${i}--\r\n`;
  const s = parseStructure(Buffer.from(raw));
  checkInvariants(s, raw.length);
  let d = 0;
  let p = s.body;
  while (p.children && p.children.length > 0) { p = p.children[0]!; d++; }
  assert.ok(d < LIMITS.mimeMaxDepth, `depth ${d}`);
  // Deep message/rfc822 nesting, too.
  let m = '';
  for (let i = 0; i < depth; i++) m += 'Content-Type: message/rfc822\r\n\r\n';
  m += 'Subject: deepest\r\n\r\nx\r\n';
  const s2 = parseStructure(Buffer.from(m));
  checkInvariants(s2, m.length);
});

test(`part count bounded by LIMITS.mimeMaxParts (${LIMITS.mimeMaxParts})`, () => {
  const n = LIMITS.mimeMaxParts + 500;
  const raw = 'Content-Type: multipart/mixed; boundary=z\r\n\r\n' + '--z\r\n\r\nx\r\n'.repeat(n) + '--z--\r\nend\r\n';
  const s = parseStructure(Buffer.from(raw));
  assert.ok(allParts(s).length <= LIMITS.mimeMaxParts);
  assert.ok(s.body.children!.length >= LIMITS.mimeMaxParts - 1);
  assert.equal(s.body.bodyEnd, raw.length);
  checkInvariants(s, raw.length);
});

test('normalizedSize counts bare LF as CRLF and leaves bare CR alone', () => {
  assert.equal(normalizedSize(Buffer.from('a\nb\r\nc\rd')), 9);
  assert.equal(normalizedSize(Buffer.from('\n'), 0x0d), 1);
});

test('property: arbitrary bytes never throw and offsets stay within [0, size]', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 5 }), (arr, cuts) => {
    const buf = Buffer.from(arr);
    const s = parseStructure(buf);
    checkInvariants(s, normalizedSize(buf));
    assert.deepEqual(feed(split(buf, cuts)), s);
  }), { numRuns: 300 });
});

test('property: mutated real-world messages never throw and keep their invariants', () => {
  const tokens = ['\r\n', '\n', '\r', '--', '--XX', '--XX--', '--b1', '--zz', '--o--', '--d', ': ', '\r\n\r\n', ' ', '\0', '\xff',
    'Content-Type: multipart/mixed; boundary=zz\r\n', 'Content-Type: message/rfc822\r\n', 'Content-Transfer-Encoding: base64\r\n'];
  const corpus = CASES.map((c) => crlf(c.raw));
  fc.assert(fc.property(
    fc.integer({ min: 0, max: corpus.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.constantFrom(...tokens)), { maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 5 }),
    (idx, muts, cuts) => {
      let s = corpus[idx]!;
      for (const [at, del, ins] of muts) {
        const p = at % (s.length + 1);
        s = s.slice(0, p) + ins + s.slice(p + del);
      }
      const buf = Buffer.from(s, 'latin1');
      const st = parseStructure(buf);
      checkInvariants(st, normalizedSize(buf));
      assert.deepEqual(feed(split(buf, cuts)), st);
    },
  ), { numRuns: 400 });
});

test('memory stays bounded: a large body is not retained', () => {
  const p = new StructureParser();
  p.write(Buffer.from('Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: application/octet-stream\r\n\r\n'));
  const line = Buffer.from('-'.repeat(900) + 'x'.repeat(100) + '\r\n');
  const block = Buffer.concat(Array.from({ length: 1000 }, () => line)); // ~1 MB of lines starting with '-'
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20; i++) p.write(block);
  const grown = process.memoryUsage().heapUsed - before;
  p.write(Buffer.from('--z--\r\n'));
  const s = p.end();
  assert.equal(s.body.children!.length, 1);
  assert.equal(s.body.children![0]!.bodyLines, 20 * 1000 - 1);
  assert.ok(grown < 16 * 1024 * 1024, `heap grew ${grown}`);
});

test('a part whose header ends right before an enclosing boundary stays inside its parent (RFC 2046 §5.1.1)', () => {
  // Found by the mutation property test: the inner message's multipart header ends with the CRLF that
  // belongs to the outer "--o--" boundary.
  const raw = 'From: a@b.c\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n'
    + 'From: inner@x.y\r\nSubject: inner\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--o--\r\nafter\r\n';
  const s = parseStructure(Buffer.from(raw, 'latin1'));
  checkInvariants(s, raw.length);
  const inner = s.body.children![0]!.message!.body;
  assert.equal(inner.bodyStart, inner.bodyEnd, 'the digest has an empty body');
  // A child that has only just begun when an enclosing boundary comes: "--d" then "--o--" at once.
  const raw2 = 'Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=d\r\n\r\n--d\r\n--o--\r\n';
  checkInvariants(parseStructure(Buffer.from(raw2, 'latin1')), raw2.length);
});
