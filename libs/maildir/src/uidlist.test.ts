import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatUidlist, parseUidlist, scanUidlist, UidlistParseError } from './uidlist.js';

// As written by Dovecot 2.3 (maildir-uidlist.c, version 3).
const DOVECOT_V3 = [
  '3 V1700000000 N5 G8a1c6b2b0e8f6a65b80d00004f1e5a2c',
  '1 :1700000001.M1P100.mx,S=120,W=124',
  '2 W300 :1700000002.M2P100.mx,S=296',
  '4 GAAAA W9 :1700000004.M4P100.mx,S=9,W=9',
  '',
].join('\n');

describe('dovecot-uidlist', () => {
  it('parses Dovecot version 3 (header V N G, lines with extension fields)', () => {
    const u = parseUidlist(DOVECOT_V3);
    assert.equal(u.uidValidity, 1700000000);
    assert.equal(u.nextUid, 5);
    assert.equal(u.guid, '8a1c6b2b0e8f6a65b80d00004f1e5a2c');
    assert.deepEqual(u.entries.map((e) => e.uid), [1, 2, 4]);
    assert.equal(u.entries[0]!.base, '1700000001.M1P100.mx,S=120,W=124');
    assert.deepEqual(u.entries[1]!.ext, ['W300']);
    assert.deepEqual(u.entries[2]!.ext, ['GAAAA', 'W9']);
  });

  it('format(parse(x)) == x for Dovecot files (round trip keeps unknown fields)', () => {
    assert.equal(formatUidlist(parseUidlist(DOVECOT_V3)), DOVECOT_V3);
    const withExtra = '3 V7 N2 Gabc X1\n1 :a\n';
    assert.equal(formatUidlist(parseUidlist(withExtra)), withExtra);
  });

  it('reads version 1 files and writes them back as version 3', () => {
    const u = parseUidlist('1 1234 3\n1 1035478339.27041_118.foo.org\n2 1035478340.1_1.foo.org\n');
    assert.equal(u.uidValidity, 1234);
    assert.equal(u.nextUid, 3);
    assert.equal(u.entries[1]!.base, '1035478340.1_1.foo.org');
    assert.equal(formatUidlist(u), '3 V1234 N3\n1 :1035478339.27041_118.foo.org\n2 :1035478340.1_1.foo.org\n');
  });

  it('next uid is raised above the highest listed uid', () => {
    assert.equal(parseUidlist('3 V1 N2\n7 :a\n').nextUid, 8);
  });

  it('rejects corrupt files so the caller rebuilds', () => {
    for (const bad of ['', 'garbage\n', '3 V0 N1\n', '3 V1 N5\n2 :a\n1 :b\n', '3 V1 N5\n1 :a\n1 :b\n', '3 V1 N5\nx :a\n', '3 V1 N5\n1 a\n', '3 V1 N5\n1 :a/b\n', '3 V99999999999 N1\n']) {
      assert.throws(() => parseUidlist(bad), UidlistParseError, JSON.stringify(bad));
    }
  });

  it('property: the line scanner reads every file as the earlier split-and-regex parser did', () => {
    const field = fc.constantFrom('', 'W12', 'GAB', 'S5', 'x', ' ');
    const line = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 12 }), fc.array(field, { maxLength: 2 }), fc.constantFrom('a', 'b.c', ':d', 'e/f', '', 'g h', '\0', 'i\r')).map(([u, ext, b]) => `${u} ${ext.map((e) => e + ' ').join('')}:${b}`),
      fc.constantFrom('', ' 1 :a', '1', 'x :a', '99999999999 :a', '1 a', '2 W3'),
    );
    fc.assert(fc.property(fc.constantFrom('3 V5 N3 Gab X', '1 5 3', '3 V0', '2 x'), fc.array(line, { maxLength: 8 }), fc.boolean(), (head, lines, torn) => {
      const text = [head, ...lines].join('\n') + (torn ? '\n7 :torn' : '\n');
      let want: unknown;
      try { want = refParse(text); } catch (e) { want = e instanceof UidlistParseError ? 'error' : e; }
      let got: unknown;
      try { got = parseUidlist(text); } catch (e) { got = e instanceof UidlistParseError ? 'error' : e; }
      assert.deepEqual(got, want, JSON.stringify(text));
      if (want !== 'error') {
        const seen: Array<[number, string]> = [];
        scanUidlist(text, (uid, base, ext) => { assert.equal(ext, null); seen.push([uid, base]); });
        assert.deepEqual(seen, (want as { entries: Array<{ uid: number; base: string }> }).entries.map((e) => [e.uid, e.base]));
      }
    }), { numRuns: 3000 });
  });
});

/** The earlier parser (split into lines, a regex per number): the reference for the scanner. */
function refParse(text: string) {
  const U32 = (s: string) => { if (!/^[0-9]{1,10}$/.test(s)) throw new UidlistParseError('n'); const n = Number(s); if (n > 0xffffffff) throw new UidlistParseError('r'); return n; };
  const lines = text.split('\n');
  lines.pop();
  const header = lines.shift();
  if (header === undefined) throw new UidlistParseError('empty');
  const h = header.split(' ');
  let uidValidity = 0;
  let nextUid = 1;
  let guid = '';
  const extraHeader: string[] = [];
  let version: number;
  if (h[0] === '3') {
    version = 3;
    for (const f of h.slice(1)) {
      if (f === '') continue;
      if (f[0] === 'V') uidValidity = U32(f.slice(1));
      else if (f[0] === 'N') nextUid = U32(f.slice(1));
      else if (f[0] === 'G') guid = f.slice(1);
      else extraHeader.push(f);
    }
  } else if (h[0] === '1' && h.length >= 3) {
    version = 1;
    uidValidity = U32(h[1]!);
    nextUid = U32(h[2]!);
  } else throw new UidlistParseError('version');
  if (uidValidity === 0) throw new UidlistParseError('v0');
  const entries: Array<{ uid: number; base: string; ext: string[] }> = [];
  let last = 0;
  for (const line of lines) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    if (sp <= 0) throw new UidlistParseError('bad line');
    const uid = U32(line.slice(0, sp));
    if (uid === 0 || uid <= last) throw new UidlistParseError('order');
    last = uid;
    let rest = line.slice(sp + 1);
    const ext: string[] = [];
    let base: string;
    if (version === 3) {
      for (;;) {
        if (rest.startsWith(':')) { base = rest.slice(1); break; }
        const n = rest.indexOf(' ');
        if (n < 0) throw new UidlistParseError('no base');
        ext.push(rest.slice(0, n));
        rest = rest.slice(n + 1);
      }
    } else base = rest;
    if (base === '' || base.includes('/') || base.includes('\0')) throw new UidlistParseError('base');
    entries.push({ uid, base, ext });
  }
  if (last >= nextUid) nextUid = last + 1;
  return { uidValidity, nextUid, guid, extraHeader, entries };
}
