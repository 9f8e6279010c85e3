import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import { hashPassword } from '../../directory/src/file/password.js';
import { directoryAuthenticator, VerifiedPasswords } from './directory-authenticator.js';

const alice = { user: 'alice@example.org', disabled: false } as unknown as UserRecord;
const directory = {
  authenticate: async () => null,
  lookup: async (a: string) => (a === alice.user ? alice : null),
} as unknown as Directory;
const policy = (hash: string) => ({ allowPlaintext: true, trustedNetworks: [], masterSeparator: '*', masterUsers: { proxy: hash }, masterNetworks: ['127.0.0.0/8'] });
const ctx = { service: 'imap', remoteIp: '127.0.0.1', secure: false };

test('VerifiedPasswords: remembers a pair until the TTL, never another password or hash, bounded', () => {
  let now = 1000;
  const v = new VerifiedPasswords(100, 2, () => now);
  v.add('pw', '{X}h1');
  assert.equal(v.has('pw', '{X}h1'), true);
  assert.equal(v.has('pw2', '{X}h1'), false, 'another password');
  assert.equal(v.has('pw', '{X}h2'), false, 'a changed stored hash');
  now += 100;
  assert.equal(v.has('pw', '{X}h1'), false, 'expired');
  v.add('a', 's'); v.add('b', 's'); v.add('c', 's');
  assert.equal(v.size, 2);
  assert.equal(v.has('a', 's'), false, 'oldest dropped when full');
  assert.equal(v.has('c', 's'), true);
  const off = new VerifiedPasswords(0);
  off.add('pw', 's');
  assert.equal(off.has('pw', 's'), false, 'TTL 0 keeps nothing');
});

test('master login: a successful {SHA512-CRYPT} check is remembered, a wrong password never is', async () => {
  const hash = hashPassword('master-secret');
  const verified = new VerifiedPasswords();
  const sasl = directoryAuthenticator(directory, policy(hash), verified);
  assert.deepEqual(await sasl.login('proxy', 'wrong', alice.user, ctx), { ok: false, why: 'master-password' });
  assert.equal(verified.size, 0, 'failures are not kept');
  const first = await sasl.login('proxy', 'master-secret', alice.user, ctx);
  assert.equal(first.ok, true);
  assert.equal(verified.size, 1);
  // The remembered check still goes through the network and target-user rules.
  assert.equal((await sasl.login('proxy', 'master-secret', alice.user, ctx)).ok, true);
  assert.deepEqual(await sasl.login('proxy', 'master-secret', alice.user, { ...ctx, remoteIp: '192.0.2.1' }), { ok: false, why: 'master-untrusted' });
  assert.deepEqual(await sasl.login('proxy', 'master-secret', 'nobody@example.org', ctx), { ok: false, why: 'master-target' });
  assert.deepEqual(await sasl.login('proxy', 'master-secretX', alice.user, ctx), { ok: false, why: 'master-password' });
  // A new master hash (config reload) does not accept the old password from the cache.
  const reloaded = directoryAuthenticator(directory, policy(hashPassword('new-secret')), verified);
  assert.deepEqual(await reloaded.login('proxy', 'master-secret', alice.user, ctx), { ok: false, why: 'master-password' });
  assert.equal((await reloaded.login('proxy', 'new-secret', alice.user, ctx)).ok, true);
});
