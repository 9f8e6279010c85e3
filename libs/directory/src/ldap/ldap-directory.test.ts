// LdapDirectory against a real OpenLDAP slapd (libs/testing/src/slapd.ts) with the UCS schema
// and deploy/ldap/sample.ldif.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attribute, Change } from 'ldapts';
import { bcrypt } from 'hash-wasm';
import { createHash } from 'node:crypto';
import { startSlapd, freePort, type Slapd } from '../../../testing/src/slapd.js';
import { isMailError } from '../../../core/src/errors.js';
import { LdapDirectory, type LdapDirectoryOptions } from './index.js';
import { shaCryptHash } from '../file/sha-crypt.js';
import { testCert } from '../../../imap-server/src/testing.js';

let slapd: Slapd;
const dirs: LdapDirectory[] = [];
function dir(over: Partial<LdapDirectoryOptions> = {}): LdapDirectory {
  const d = new LdapDirectory({ uris: [slapd.url], base: slapd.suffix, timeoutMs: 3000, connectTimeoutMs: 1000, ...over });
  dirs.push(d);
  return d;
}
async function setAttr(dn: string, attr: string, value: string): Promise<void> {
  const c = await slapd.admin();
  try {
    await c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attr, values: [value] }) }));
  } finally {
    await c.unbind();
  }
}

before(async () => { slapd = await startSlapd(); });
after(async () => {
  await Promise.all(dirs.map((d) => d.close()));
  await slapd?.close();
});

test('bind mode: primary address logs in with the UCS attributes mapped; wrong password and unknown user give null', async () => {
  const d = dir();
  const a = await d.authenticate('Alice@Example.org', 'alicepw');
  assert.deepEqual(a, {
    user: 'alice@example.org', aliases: ['a.example@example.org', 'postmaster@example.org'], homeServer: 'mail1.example.org',
    quotaBytes: 1024 * 1024 * 1024, forwards: ['alice@elsewhere.test'], forwardCopyToSelf: true, disabled: false,
  });
  assert.equal((await d.authenticate('bob@example.org', 'bobpw'))?.quotaBytes, null, 'univentionMailUserQuota 0 = unlimited');
  assert.equal(await d.authenticate('alice@example.org', 'wrong'), null);
  assert.equal(await d.authenticate('nobody@example.org', 'alicepw'), null);
  assert.equal(await d.authenticate('alice@example.org', ''), null, 'RFC 4513 §5.1.2: empty password is never an (unauthenticated) bind');
  assert.equal(await d.authenticate('a.example@example.org', 'alicepw'), null, 'alias login is off by default');
});

test('alias login when configured (aliasLogin): the record is the primary user', async () => {
  const d = dir({ aliasLogin: true });
  assert.equal((await d.authenticate('postmaster@example.org', 'alicepw'))?.user, 'alice@example.org');
});

test('disabled (sambaAcctFlags D, krb5KDCFlags 126, shadowExpire) and locked (sambaAcctFlags L) accounts cannot log in', async () => {
  const d = dir();
  assert.equal(await d.authenticate('carol@example.org', 'carolpw'), null);
  assert.equal(await d.authenticate('dave@example.org', 'davepw'), null);
  assert.equal((await d.lookup('carol@example.org'))?.disabled, true, 'still found for delivery');
});

test('RFC 4515 injection: *)(uid=* and friends find nobody and do not error', async () => {
  const d = dir({ aliasLogin: true });
  for (const evil of ['*', '*)(uid=*', '*)(|(mailPrimaryAddress=*', 'alice@example.org)(uid=*', '\\2a', 'a\u0000b', '(', 'alice*']) {
    assert.equal(await d.authenticate(evil, 'alicepw'), null, evil);
    assert.equal(await d.authenticate(evil, '*'), null, evil);
    assert.equal(await d.lookup(evil), null, evil);
    assert.equal(await d.resolve(evil), null, evil);
  }
});

test('unknown user and wrong password cost the same LDAP round trips (one search, one bind)', async () => {
  const d = dir();
  await d.authenticate('alice@example.org', 'alicepw'); // opens the pools
  const before1 = { ...d.operations };
  await d.authenticate('alice@example.org', 'nope');
  const wrong = { bind: d.operations.bind - before1.bind, search: d.operations.search - before1.search };
  const before2 = { ...d.operations };
  await d.authenticate('ghost@example.org', 'nope');
  const unknown = { bind: d.operations.bind - before2.bind, search: d.operations.search - before2.search };
  assert.deepEqual(wrong, { bind: 1, search: 1 });
  assert.deepEqual(unknown, wrong);
});

test('resolve: user by alias, group by uniqueMember and by memberUid, mailing list, shared folder with ACL; domains', async () => {
  const d = dir();
  const u = await d.resolve('POSTMASTER@example.org');
  assert.equal(u?.kind === 'user' && u.user.user, 'alice@example.org');
  assert.deepEqual(await d.resolve('team@example.org'), { kind: 'group', group: { address: 'team@example.org', members: ['alice@example.org', 'bob@example.org'] } });
  assert.deepEqual(await d.resolve('staff@example.org'), { kind: 'group', group: { address: 'staff@example.org', members: ['alice@example.org', 'bob@example.org'] } });
  assert.deepEqual(await d.resolve('announce@example.org'), { kind: 'group', group: { address: 'announce@example.org', members: ['alice@example.org', 'someone@elsewhere.test'] } });
  const folder = { name: 'support@example.org', address: 'support@example.org', homeServer: 'mail1.example.org', quotaBytes: 100 * 1024 * 1024, acl: { 'alice@example.org': 'lrswipkxtecda', staff: 'lrs', anyone: '' } };
  assert.deepEqual(await d.resolve('support@example.org'), { kind: 'shared', folder });
  assert.deepEqual(await d.sharedFolders(), [folder]);
  assert.equal(await d.resolve('nobody@example.org'), null);
  assert.deepEqual(await d.domains(), ['example.net', 'example.org']);
});

test('failover: the first URI is dead, the second answers', async () => {
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const d = dir({ uris: [dead, slapd.url] });
  assert.equal((await d.authenticate('alice@example.org', 'alicepw'))?.user, 'alice@example.org');
  assert.equal((await d.lookup('bob@example.org'))?.user, 'bob@example.org');
});

test('all URIs dead: MailError TEMP (never "wrong password")', async () => {
  const d = dir({ uris: [`ldap://127.0.0.1:${await freePort()}`] });
  await assert.rejects(d.authenticate('alice@example.org', 'alicepw'), (e) => isMailError(e) && e.code === 'TEMP');
  await assert.rejects(d.lookup('alice@example.org'), (e) => isMailError(e) && e.code === 'TEMP');
});

test('compare mode: stored {SSHA512}, {CRYPT}$6$ and {BLF-CRYPT} read with the service account; unknown user null', async () => {
  const d = dir({ passwordCheck: 'compare', bindDn: slapd.adminDn, bindPassword: 'secret' });
  const salt = Buffer.from('0123456789abcdef');
  await setAttr('uid=bob,cn=users,dc=example,dc=org', 'userPassword',
    `{SSHA512}${Buffer.concat([createHash('sha512').update('bob-ssha').update(salt).digest(), salt]).toString('base64')}`);
  assert.equal((await d.authenticate('bob@example.org', 'bob-ssha'))?.user, 'bob@example.org');
  assert.equal(await d.authenticate('bob@example.org', 'bobpw'), null);
  await setAttr('uid=bob,cn=users,dc=example,dc=org', 'userPassword', `{CRYPT}${shaCryptHash('bob-crypt', '6')}`);
  assert.equal((await d.authenticate('bob@example.org', 'bob-crypt'))?.user, 'bob@example.org');
  const blf = await bcrypt({ password: 'bob-blf', salt: new Uint8Array(16).fill(3), costFactor: 4, outputType: 'encoded' });
  await setAttr('uid=bob,cn=users,dc=example,dc=org', 'userPassword', `{BLF-CRYPT}${blf.replace(/^\$2[ab]\$/, '$2y$')}`);
  assert.equal((await d.authenticate('bob@example.org', 'bob-blf'))?.user, 'bob@example.org');
  assert.equal(await d.authenticate('bob@example.org', 'bob-crypt'), null);
  assert.equal(await d.authenticate('ghost@example.org', 'bob-blf'), null);
  assert.equal(await d.authenticate('carol@example.org', 'carolpw'), null, 'disabled also in compare mode');
  await setAttr('uid=bob,cn=users,dc=example,dc=org', 'userPassword', 'bobpw');
});

test('slapd stopped mid-use: TEMP; started again: the pool reconnects by itself', async () => {
  const d = dir();
  assert.ok(await d.authenticate('alice@example.org', 'alicepw'));
  await slapd.stop();
  try {
    await assert.rejects(d.authenticate('alice@example.org', 'alicepw'), (e) => isMailError(e) && e.code === 'TEMP');
  } finally {
    await slapd.start();
  }
  assert.equal((await d.authenticate('alice@example.org', 'alicepw'))?.user, 'alice@example.org');
});

test('ldaps:// and StartTLS: logins over TLS, the server certificate checked against the given CA', async () => {
  const { cert, key } = await testCert();
  const tlsSlapd = await startSlapd({ tls: { cert, key } });
  try {
    const ldaps = dir({ uris: [tlsSlapd.ldapsUrl!], base: tlsSlapd.suffix, tls: { ca: [cert], servername: 'localhost' } });
    assert.equal((await ldaps.authenticate('alice@example.org', 'alicepw'))?.user, 'alice@example.org');
    const startTls = dir({ uris: [tlsSlapd.url], base: tlsSlapd.suffix, startTls: true, tls: { ca: [cert], servername: 'localhost' } });
    assert.equal((await startTls.authenticate('alice@example.org', 'alicepw'))?.user, 'alice@example.org');
    assert.equal(await startTls.authenticate('alice@example.org', 'nope'), null);
    const untrusted = dir({ uris: [tlsSlapd.ldapsUrl!], base: tlsSlapd.suffix, connectTimeoutMs: 1000 });
    await assert.rejects(untrusted.authenticate('alice@example.org', 'alicepw'), (e) => isMailError(e) && e.code === 'TEMP', 'unknown CA: no login');
  } finally {
    await tlsSlapd.close();
  }
});

test('bounded pool: 40 concurrent logins over a pool of 2 connections all get their right answer', async () => {
  const d = dir({ poolSize: 2 });
  const r = await Promise.all(Array.from({ length: 40 }, (_, i) => d.authenticate(i % 2 ? 'alice@example.org' : 'bob@example.org', i % 4 < 2 ? (i % 2 ? 'alicepw' : 'bobpw') : 'wrong')));
  r.forEach((u, i) => assert.equal(u?.user ?? null, i % 4 < 2 ? (i % 2 ? 'alice@example.org' : 'bob@example.org') : null, `login ${i}`));
  // Connects: at most 2 per pool (search + auth), each with its one initial bind.
  const connects = d.operations.bind - 40;
  assert.ok(connects <= 4, `at most 4 connection binds, saw ${connects}`);
});
