import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FilterParser, EqualityFilter } from 'ldapts';
import { bcrypt, argon2id } from 'hash-wasm';
import { createHash } from 'node:crypto';
import { escapeFilterValue, fillFilter } from './filter.js';
import { isDisabled, parseAcl } from './entry.js';
import { verifyStored } from './stored-password.js';
import { shaCryptHash } from '../file/sha-crypt.js';

test('RFC 4515 §3: *, (, ), \\ and NUL are escaped as \\2a \\28 \\29 \\5c \\00', () => {
  assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b\u0000c'), 'a\\5cb\\00c');
  assert.equal(escapeFilterValue('jörg@example.org'), 'jörg@example.org');
});

test('fillFilter: %u/%s, %n, %d and %% are substituted, values escaped', () => {
  assert.equal(fillFilter('(&(uid=%n)(d=%d)(m=%u)(x=%%))', 'a*b@ex(ample)'), '(&(uid=a\\2ab)(d=ex\\28ample\\29)(m=a\\2ab@ex\\28ample\\29)(x=%))');
});

test('RFC 4515: any client value stays ONE equality assertion with exactly that value (property)', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (v) => {
    const f = FilterParser.parseString(fillFilter('(mailPrimaryAddress=%u)', v));
    assert.ok(f instanceof EqualityFilter, 'structure unchanged');
    assert.equal((f as EqualityFilter).value, v);
  }), { numRuns: 500 });
});

test('UCS univentionMailACL values map to RFC 4314 rights; the right is the last word', () => {
  assert.deepEqual(parseAcl(['alice@example.org all', 'Domain Users read', 'anyone none', 'bob@example.org write', 'x post', 'y append', 'junk', 'z bogus']), {
    'alice@example.org': 'lrswipkxtecda', 'domain users': 'lrs', anyone: '', 'bob@example.org': 'lrswipkxte', x: 'lrsp', y: 'lrsip',
  });
});

test('disabled/locked as UCS marks them: sambaAcctFlags D/L, krb5KDCFlags 126, shadowExpire reached, {crypt}!', () => {
  const e = (o: Record<string, string>) => ({ dn: 'uid=x', ...o });
  assert.equal(isDisabled(e({ sambaAcctFlags: '[U          ]', krb5KDCFlags: '254' }), 'userPassword'), false);
  assert.equal(isDisabled(e({ sambaAcctFlags: '[UD         ]' }), 'userPassword'), true);
  assert.equal(isDisabled(e({ sambaAcctFlags: '[UL         ]' }), 'userPassword'), true);
  assert.equal(isDisabled(e({ krb5KDCFlags: '126' }), 'userPassword'), true);
  assert.equal(isDisabled(e({ shadowExpire: '1' }), 'userPassword'), true);
  assert.equal(isDisabled(e({ shadowExpire: String(Math.floor(Date.now() / 86_400_000) + 30) }), 'userPassword'), false, 'future expiry');
  assert.equal(isDisabled(e({ userPassword: '{crypt}!$6$abc$def' }), 'userPassword'), true);
});

test('stored hashes: {SSHA} {SSHA256} {SSHA512} {CRYPT}$5$/$6$ {BLF-CRYPT} {ARGON2ID}; wrong password and junk are false', async () => {
  const salt = Buffer.from('saltsalt');
  const ssha = (alg: string, pw: string) => Buffer.concat([createHash(alg).update(pw).update(salt).digest(), salt]).toString('base64');
  const bsalt = new Uint8Array(16).fill(7);
  const blf = (await bcrypt({ password: 'pw1', salt: bsalt, costFactor: 4, outputType: 'encoded' })).replace(/^\$2[ab]\$/, '$2y$');
  const argon = await argon2id({ password: 'pw1', salt: bsalt, iterations: 1, parallelism: 1, memorySize: 64, hashLength: 32, outputType: 'encoded' });
  const hashes = [
    `{SSHA}${ssha('sha1', 'pw1')}`, `{SSHA256}${ssha('sha256', 'pw1')}`, `{SSHA512}${ssha('sha512', 'pw1')}`,
    `{CRYPT}${shaCryptHash('pw1', '5')}`, `{crypt}${shaCryptHash('pw1', '6')}`, `{BLF-CRYPT}${blf}`, `{ARGON2ID}${argon}`,
  ];
  for (const h of hashes) {
    assert.equal(await verifyStored('pw1', h), true, h);
    assert.equal(await verifyStored('pw2', h), false, h);
  }
  for (const junk of ['{BLF-CRYPT}$2y$04$short', '{ARGON2ID}$argon2id$nonsense', '{crypt}!$6$x$y', '{NOPE}abc', '']) {
    assert.equal(await verifyStored('pw1', junk), false, junk);
  }
});
