/**
 * The parser's fast paths (whole body lines and header-line runs taken without per-line state,
 * regex-free unfolding) give exactly what the line-by-line definitions give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StructureParser, parseStructure } from './structure.js';
import { unfold } from './headers.js';
import { CASES, crlf } from './testing.js';

test('unfold equals the RFC 5322 §2.2.3 regex definition (line break + WSP -> SP, trim SP/HTAB)', () => {
  const ref = (v: string) => v.replace(/(?:\r?\n|\r)[ \t]*/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '');
  const chars = [' ', '\t', '\r', '\n', '\r\n', 'a', 'B', '\u00e9', ':'];
  fc.assert(fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 16 }), (a) => {
    const v = a.join('');
    assert.equal(unfold(v), ref(v), JSON.stringify(v));
  }), { numRuns: 20000 });
});

test('parser copies what it keeps: chunks overwritten after write() do not change the result', () => {
  const tokens = ['\r\n', '\n', '--', ': ', ' ', 'Content-Type: multipart/mixed; boundary=zz\r\n', '--zz\r\n', '--zz--\r\n'];
  const corpus = CASES.flatMap((c) => [crlf(c.raw), c.raw]);
  fc.assert(fc.property(
    fc.integer({ min: 0, max: corpus.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...tokens)), { maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
    (idx, ins, sizes) => {
      let s = corpus[idx]!;
      for (const [at, t] of ins) { const p = at % (s.length + 1); s = s.slice(0, p) + t + s.slice(p); }
      const buf = Buffer.from(s, 'latin1');
      const want = JSON.stringify(parseStructure(Buffer.from(buf)));
      const p = new StructureParser();
      let i = 0;
      let k = 0;
      while (i < buf.length) {
        const n = sizes[k++ % sizes.length]!;
        const chunk = Buffer.from(buf.subarray(i, i + n));
        p.write(chunk);
        chunk.fill(0x41); // a reused read buffer
        i += n;
      }
      assert.equal(JSON.stringify(p.end()), want);
    }), { numRuns: 2000 });
});

test('bare LF and CRLF files give the same structure (offsets count bare LF as CRLF)', () => {
  for (const c of CASES) {
    const lf = Buffer.from(c.raw.replace(/\r\n/g, '\n'), 'latin1');
    const crlfBuf = Buffer.from(crlf(c.raw.replace(/\r\n/g, '\n')), 'latin1');
    assert.deepEqual(parseStructure(lf), parseStructure(crlfBuf), c.name);
  }
});
