import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashPassword, parseStoredPassword, verifyPassword, verifyPasswordAsync, type StoredPassword } from './password.js';

function parsed(s: string): StoredPassword {
  const p = parseStoredPassword(s);
  assert.ok(!('error' in p), `parse ${s}: ${'error' in p ? p.error : ''}`);
  return p as StoredPassword;
}

const ssha = (alg: string, pw: string, salt: Buffer) =>
  Buffer.concat([createHash(alg).update(pw).update(salt).digest(), salt]).toString('base64');

test('{SHA512-CRYPT} from hashPassword verifies, wrong password does not', () => {
  const h = hashPassword('secret');
  assert.match(h, /^\{SHA512-CRYPT\}\$6\$/);
  assert.equal(verifyPassword('secret', parsed(h)), true);
  assert.equal(verifyPassword('secreT', parsed(h)), false);
  assert.equal(verifyPassword('', parsed(h)), false);
});

test('schemes: SHA256-CRYPT, CRYPT and bare $6$, SSHA512/256/SSHA, SHA*, PLAIN/CLEAR (case-insensitive scheme)', () => {
  const salt = Buffer.from('0123456789abcdef');
  const table: Array<[string, string]> = [
    ['{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5', 'Hello world!'],
    ['{CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1', 'Hello world!'],
    ['$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1', 'Hello world!'],
    [`{SSHA512}${ssha('sha512', 'pw1', salt)}`, 'pw1'],
    [`{ssha256}${ssha('sha256', 'pw2', salt)}`, 'pw2'],
    [`{SSHA}${ssha('sha1', 'pw3', salt.subarray(0, 4))}`, 'pw3'],
    [`{SHA512}${createHash('sha512').update('pw4').digest('base64')}`, 'pw4'],
    [`{SHA}${createHash('sha1').update('pw5').digest('base64')}`, 'pw5'],
    ['{PLAIN}pw6', 'pw6'],
    ['{CLEAR}pw7 with spaces', 'pw7 with spaces'],
  ];
  for (const [stored, pw] of table) {
    assert.equal(verifyPassword(pw, parsed(stored)), true, stored);
    assert.equal(verifyPassword(pw + 'x', parsed(stored)), false, stored);
  }
});

test('unusable stored passwords are rejected with a reason and no secret', () => {
  const bad: Array<[string, RegExp]> = [
    ['plaintext', /no \{SCHEME\} prefix/],
    ['{MD5-CRYPT}$1$abc$def', /unsupported password scheme \{MD5-CRYPT\}/],
    ['{SHA512-CRYPT}$5$salt$abc', /malformed SHA512-CRYPT/],
    ['{SSHA512}AAAA', /too short/],
    ['{SHA256}AAAA', /malformed SHA256/],
  ];
  for (const [s, re] of bad) {
    const p = parseStoredPassword(s);
    assert.ok('error' in p, s);
    assert.match((p as { error: string }).error, re);
  }
});

test('verifyPasswordAsync agrees with verifyPassword for crypt and non-crypt schemes', async () => {
  for (const stored of [hashPassword('pw'), '{PLAIN}pw', `{SHA256}${createHash('sha256').update('pw').digest('base64')}`]) {
    for (const pw of ['pw', 'px', '']) assert.equal(await verifyPasswordAsync(pw, parsed(stored)), verifyPassword(pw, parsed(stored)), `${stored} ${pw}`);
  }
});
