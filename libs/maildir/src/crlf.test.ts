/** CrlfNormalizer: bare LF → CRLF, existing CRLF kept, any chunking gives the same bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CrlfNormalizer } from './crlf.js';

/** The obvious byte-by-byte definition the fast version must match. */
function reference(data: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a && (i === 0 || data[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(data[i]!);
  }
  return Buffer.from(out);
}

function chunked(data: Buffer, cuts: number[]): Buffer {
  const n = new CrlfNormalizer();
  const parts: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts].map((x) => x % (data.length + 1)).sort((a, b) => a - b)) {
    parts.push(n.push(data.subarray(from, Math.max(from, c))));
    from = Math.max(from, c);
  }
  parts.push(n.push(data.subarray(from)));
  return Buffer.concat(parts);
}

test('bare LF gets CR; CRLF, lone CR and a CR ending the previous chunk are kept as they are', () => {
  assert.equal(new CrlfNormalizer().push(Buffer.from('a\nb\r\nc\rd\n\n')).toString(), 'a\r\nb\r\nc\rd\r\n\r\n');
  const n = new CrlfNormalizer();
  assert.equal(n.push(Buffer.from('x\r')).toString() + n.push(Buffer.from('\ny\n')).toString(), 'x\r\ny\r\n');
  const same = Buffer.from('only\r\nCRLF\r\n');
  assert.equal(new CrlfNormalizer().push(same), same, 'already CRLF: the same buffer, no copy');
});

test('property: matches the byte-by-byte definition for any content and chunking', () => {
  const bytes = fc.array(fc.constantFrom(0x0a, 0x0d, 0x2e, 0x41, 0x00), { maxLength: 200 }).map((a) => Buffer.from(a));
  fc.assert(fc.property(bytes, fc.array(fc.nat(250), { maxLength: 6 }), (data, cuts) => {
    assert.deepEqual(chunked(data, cuts), reference(data));
  }), { numRuns: 500 });
});
