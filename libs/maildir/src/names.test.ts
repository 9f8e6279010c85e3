import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMailError } from '../../core/src/errors.js';
import { canonicalName, dirForName, nameForDir, parentsOf } from './names.js';
import { formatKeywords, parseKeywords } from './keywords.js';
import { formatSubscriptions, parseSubscriptions } from './subscriptions.js';

function badName(n: string): void {
  assert.throws(() => canonicalName(n), (e: unknown) => isMailError(e) && e.code === 'BADNAME', JSON.stringify(n));
}

describe('mailbox names ↔ Maildir++ directories', () => {
  it('INBOX is case-insensitive, also as a hierarchy prefix (RFC 3501 §5.1)', () => {
    assert.equal(canonicalName('inbox'), 'INBOX');
    assert.equal(canonicalName('Inbox/Sub'), 'INBOX/Sub');
    assert.equal(canonicalName('Sent'), 'Sent');
  });

  it("refuses '.' as Dovecot 2.3 does with the Maildir++ layout, and path tricks", () => {
    for (const n of ['a.b', '.hidden', '..', 'a/../b', '../x', '/abs', 'a/', 'a//b', '', '~root', 'a/~x', 'a\0b', 'a\nb', 'a\x7fb', 'a*', 'a%b', '\uD800x']) badName(n);
    badName('x'.repeat(201));
    badName(Array.from({ length: 17 }, () => 'a').join('/'));
    assert.equal(canonicalName(Array.from({ length: 16 }, () => 'a').join('/')).split('/').length, 16);
  });

  it('maps names to .A.B with modified UTF-7 per level (RFC 3501 §5.1.3)', () => {
    assert.equal(dirForName('INBOX'), '');
    assert.equal(dirForName('Archive/2024'), '.Archive.2024');
    assert.equal(dirForName('Entwürfe'), '.Entw&APw-rfe');
    assert.equal(dirForName('A&B'), '.A&-B');
    assert.equal(dirForName('INBOX/x'), '.INBOX.x');
  });

  it('maps directories back to names, skipping what is not a mailbox', () => {
    assert.equal(nameForDir('.Archive.2024'), 'Archive/2024');
    assert.equal(nameForDir('.Entw&APw-rfe'), 'Entwürfe');
    assert.equal(nameForDir('.INBOX.x'), 'INBOX/x');
    assert.equal(nameForDir('.INBOX'), null);
    assert.equal(nameForDir('cur'), null);
    assert.equal(nameForDir('.'), null);
    assert.equal(nameForDir('.a..b'), null);
  });

  it('parents', () => {
    assert.deepEqual(parentsOf('A/B/C'), ['A', 'A/B']);
    assert.deepEqual(parentsOf('A'), []);
  });
});

describe('dovecot-keywords', () => {
  it('parses "<index> <name>" lines and round-trips', () => {
    const text = '0 $Forwarded\n1 Work\n3 $Junk\n';
    const kw = parseKeywords(text);
    assert.equal(kw[0], '$Forwarded');
    assert.equal(kw[1], 'Work');
    assert.equal(kw[2], undefined);
    assert.equal(kw[3], '$Junk');
    assert.equal(formatKeywords(kw), text);
    assert.deepEqual(parseKeywords('junk\n26 toohigh\n0 ok\n'), ['ok']);
  });
});

describe('subscriptions file (Dovecot subscription-file.c format)', () => {
  it('writes version 2 with TAB between levels, tab-escaped', () => {
    const text = formatSubscriptions(['INBOX', 'Archive/2024', 'Tab\there']);
    assert.equal(text, 'V\t2\n\nINBOX\nArchive\t2024\nTab\x01there\n');
    assert.deepEqual(parseSubscriptions(text), ['INBOX', 'Archive/2024', 'Tab\there']);
  });

  it('reads version 1 files (one name per line)', () => {
    assert.deepEqual(parseSubscriptions('INBOX\nSent\n'), ['INBOX', 'Sent']);
  });
});
