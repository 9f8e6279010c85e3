import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { baseOf, compareByDeliveryTime, deliveryOrder, escapeHost, flagsToInfo, formatBase, formatFilename, infoToFlags, parseFilename, sortByDeliveryTime, sortInfo } from './maildir-filename.js';

/** The earlier split + regex parser of ,S= / ,W=: the reference for the hand-written scanner. */
function refSizes(base: string): { size: number | null; vsize: number | null } {
  let size: number | null = null;
  let vsize: number | null = null;
  const comma = base.indexOf(',');
  if (comma >= 0) {
    for (const field of base.slice(comma + 1).split(',')) {
      if (field.length > 2 && field[1] === '=' && /^[0-9]{1,15}$/.test(field.slice(2))) {
        if (field[0] === 'S') size = Number(field.slice(2));
        else if (field[0] === 'W') vsize = Number(field.slice(2));
      }
    }
  }
  return { size, vsize };
}

/** The earlier per-comparison sort (regex on both names each time): the reference for sortByDeliveryTime. */
const REF_TIME = /^(\d+)\.(?:[^.]*?M(\d+))?(?:[^.]*?Q(\d+))?/;
function refCompare(a: string, b: string): number {
  const ma = REF_TIME.exec(a);
  const mb = REF_TIME.exec(b);
  if (ma && mb) {
    for (const i of [1, 2, 3]) {
      const x = ma[i] === undefined ? -1 : Number(ma[i]);
      const y = mb[i] === undefined ? -1 : Number(mb[i]);
      if (x !== y) return x - y;
    }
  } else if (ma || mb) {
    return ma ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Names built from the characters that matter to both parsers. */
const nameArb = fc.array(fc.constantFrom('1', '7', '0', '.', ',', 'S', 'W', '=', 'M', 'Q', 'P', 'x', ':', '2'), { maxLength: 30 }).map((a) => a.join(''));

describe('maildir-filename', () => {
  it('parses base, info, ,S= and ,W= (Dovecot maildir-filename.c)', () => {
    const p = parseFilename('1700000000.M123456P42Q7.host,S=1234,W=1260:2,FS');
    assert.equal(p.base, '1700000000.M123456P42Q7.host,S=1234,W=1260');
    assert.equal(p.info, 'FS');
    assert.equal(p.size, 1234);
    assert.equal(p.vsize, 1260);
  });

  it('names without info (new/) and without sizes', () => {
    const p = parseFilename('1035478339.27041_118.foo.org');
    assert.equal(p.base, '1035478339.27041_118.foo.org');
    assert.equal(p.info, null);
    assert.equal(p.size, null);
    assert.equal(p.vsize, null);
    assert.equal(parseFilename('x:2,').info, '');
    assert.equal(parseFilename('x:1,foo').info, '', 'experimental info "1," carries no flags');
  });

  it('ignores malformed size fields', () => {
    const p = parseFilename('a.b.c,S=abc,W=-1,X=5:2,S');
    assert.equal(p.size, null);
    assert.equal(p.vsize, null);
  });

  it('baseOf drops the info part', () => {
    assert.equal(baseOf('abc,S=1:2,RS'), 'abc,S=1');
    assert.equal(baseOf('abc'), 'abc');
  });

  it('info letters are sorted and de-duplicated (maildir spec: flags in ASCII order)', () => {
    assert.equal(sortInfo('TSRFDa'), 'DFRSTa');
    assert.equal(sortInfo('SSba'), 'Sab');
    assert.equal(formatFilename('b', 'SF'), 'b:2,FS');
  });

  it('maps letters to IMAP flags: D F R S T and keywords a..z', () => {
    const kw = ['$Forwarded', 'Work'];
    assert.deepEqual(infoToFlags('DFRSTab', (i) => kw[i]), ['$Forwarded', 'Work', '\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'].sort());
    assert.deepEqual(infoToFlags('Sz', (i) => kw[i]), ['\\Seen'], 'undefined keyword letter dropped');
    assert.deepEqual(infoToFlags('P', () => undefined), [], "'P' (passed) has no IMAP flag");
  });

  it('maps IMAP flags to letters, keeping unknown upper-case letters (P)', () => {
    const kw = ['$Forwarded', 'Work'];
    const letter = (k: string) => kw.indexOf(k);
    assert.equal(flagsToInfo(['\\Seen', '\\answered', 'Work', '\\Deleted', '\\Draft', '\\Flagged'], letter), 'DFRSTb');
    assert.equal(flagsToInfo(['\\Seen'], letter, 'PRS'), 'PS');
    assert.equal(flagsToInfo(['Unknown', '\\Recent'], letter), '');
  });

  it('unique base: <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<vsize>, host escaped (maildir spec)', () => {
    const b = formatBase({ secs: 1700000000, usecs: 12, pid: 99, counter: 3, host: 'mx/1:a,b', size: 10, vsize: 10 });
    assert.equal(b, '1700000000.M12P99Q3.mx\\0571\\072a\\054b,S=10,W=10');
    const p = parseFilename(b);
    assert.equal(p.size, 10);
    assert.equal(p.vsize, 10);
    assert.ok(!escapeHost('a/b:c').includes('/'));
  });

  it('property: ,S= / ,W= scanned without regex as the split + regex parser did', () => {
    fc.assert(fc.property(nameArb, fc.nat(1e15), fc.nat(99), (junk, s, w) => {
      for (const name of [junk, `17.M1P2Q3.h,S=${s},W=${w}${junk}`, `17.h,${junk},W=${w}:2,S`]) {
        const p = parseFilename(name);
        assert.deepEqual({ size: p.size, vsize: p.vsize }, refSizes(p.base), name);
      }
    }), { numRuns: 2000 });
  });

  it('property: sortByDeliveryTime orders as the per-comparison sort (Dovecot maildir_filename_sort_cmp)', () => {
    fc.assert(fc.property(fc.array(fc.oneof(nameArb, fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.M${b}P1Q${c}.h`)), { maxLength: 40 }), (names) => {
      assert.deepEqual(sortByDeliveryTime(names), [...names].sort(refCompare));
      assert.deepEqual([...names].sort(compareByDeliveryTime), [...names].sort(refCompare));
    }), { numRuns: 500 });
  });

  it('property: deliveryOrder (keyed native sort) orders as the per-comparison sort, with ties, odd and huge numbers', () => {
    const timeName = fc.tuple(fc.integer({ min: 1_700_000_000, max: 1_700_000_030 }), fc.nat(2_000_000), fc.nat(50)).map(([t, m, q]) => `${t}.M${m}P9Q${q}.host,S=1,W=1`);
    const huge = fc.bigInt({ min: 10n ** 14n, max: 10n ** 22n }).map((n) => `${n}.M1P1Q1.h`);
    fc.assert(fc.property(fc.array(fc.oneof({ weight: 8, arbitrary: timeName }, { weight: 1, arbitrary: nameArb }, { weight: 1, arbitrary: huge }), { maxLength: 300 }), (names) => {
      const order = deliveryOrder(names);
      assert.equal(order.length, names.length);
      assert.deepEqual(Array.from(order, (i) => names[i]), [...names].sort(refCompare));
      // Listed sorted as text (as fs.readdir gives them): the keys often need no sort.
      const listed = [...names].sort();
      assert.deepEqual(Array.from(deliveryOrder(listed), (i) => listed[i]), [...names].sort(refCompare));
      // File names (info parts after ':') order by their bases.
      const bases = names.map(baseOf);
      const files = bases.map((b, i) => (i % 3 === 0 ? b : `${b}:2,${'SRFM5'.slice(0, i % 5)}`));
      assert.deepEqual(Array.from(deliveryOrder(files, baseOf), (i) => bases[i]), [...bases].sort(refCompare));
    }), { numRuns: 300 });
  });

  it('property: deliveryOrder of a text-sorted listing with one name per second (no key sort, the listing order) matches the per-comparison sort', () => {
    // Seconds of different widths too (999 sorts after 1000 as text): then the listing is not in key order.
    const secs = fc.uniqueArray(fc.oneof(fc.integer({ min: 1_700_000_000, max: 1_700_000_400 }), fc.integer({ min: 900, max: 1100 })), { maxLength: 200 });
    fc.assert(fc.property(secs, fc.boolean(), (ss, info) => {
      const names = ss.map((t, i) => `${t}.M${(i * 7919) % 1000}P9Q${i}.host,S=1,W=1${info && i % 2 ? ':2,S' : ''}`);
      const listed = [...names].sort();
      const want = [...names].map(baseOf).sort(refCompare);
      assert.deepEqual(Array.from(deliveryOrder(listed, baseOf), (i) => baseOf(listed[i]!)), want);
      assert.deepEqual(Array.from(deliveryOrder(names, baseOf), (i) => baseOf(names[i]!)), want);
    }), { numRuns: 500 });
  });
});

it('orders names by delivery time numerically (Dovecot maildir_filename_sort_cmp), not as text', async () => {
  const names = ['1700000001.M1000P1Q2.h', '1700000001.M999P1Q1.h', '1700000000.M5P1Q9.h', '1700000001.M1000P1Q10.h', 'legacy', '999.x'];
  assert.deepEqual([...names].sort(compareByDeliveryTime),
    ['999.x', '1700000000.M5P1Q9.h', '1700000001.M999P1Q1.h', '1700000001.M1000P1Q2.h', '1700000001.M1000P1Q10.h', 'legacy']);
});
