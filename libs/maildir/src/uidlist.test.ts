import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatUidlist, parseUidlist, UidlistParseError } from './uidlist.js';

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
});
