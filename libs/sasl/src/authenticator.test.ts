import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailError } from '../../core/src/errors.js';
import { SaslAuthenticator, type SaslPolicyConfig, type UserSource } from './authenticator.js';

interface U { user: string; disabled: boolean }
const USERS: Record<string, { pw: string; disabled: boolean }> = {
  'alice@example.org': { pw: 'alicepw', disabled: false },
  'dis@example.org': { pw: 'dispw', disabled: true },
};
let down = false;
const source: UserSource<U> = {
  async authenticate(login, password) {
    if (down) throw new MailError('TEMP', 'directory down');
    const u = USERS[login.toLowerCase()];
    return u && u.pw === password && !u.disabled ? { user: login.toLowerCase(), disabled: false } : null;
  },
  async lookup(address) {
    if (down) throw new MailError('TEMP', 'directory down');
    const u = USERS[address.toLowerCase()];
    return u ? { user: address.toLowerCase(), disabled: u.disabled } : null;
  },
};
const cfg: SaslPolicyConfig = {
  allowPlaintext: false, trustedNetworks: ['192.0.2.0/24'], masterSeparator: '*',
  masterUsers: { proxy: 'stored:masterpw' }, masterNetworks: ['10.0.0.0/8', '::1'],
};
const verify = async (pw: string, stored: string) => stored === `stored:${pw}`;
const auth = new SaslAuthenticator(source, cfg, verify);
const PROXY = { remoteIp: '10.1.1.1', secure: false, service: 'imap' };
const OUTSIDE = { remoteIp: '198.51.100.7', secure: true, service: 'imap' };

test('plaintext: over TLS, from trusted networks, or when allowed everywhere', () => {
  assert.ok(auth.plaintextAllowed({ secure: true, remoteIp: '198.51.100.1' }));
  assert.ok(auth.plaintextAllowed({ secure: false, remoteIp: '192.0.2.9' }));
  assert.ok(!auth.plaintextAllowed({ secure: false, remoteIp: '198.51.100.1' }));
  assert.ok(!auth.plaintextAllowed({ secure: false }));
  assert.ok(new SaslAuthenticator(source, { ...cfg, allowPlaintext: true }, verify).plaintextAllowed({ secure: false }));
});

test('ordinary login: right password, wrong password, unknown user', async () => {
  assert.deepEqual(await auth.login('alice@example.org', 'alicepw', null, OUTSIDE), { ok: true, user: { user: 'alice@example.org', disabled: false }, master: null });
  assert.deepEqual(await auth.login('alice@example.org', 'nope', null, OUTSIDE), { ok: false, why: 'credentials' });
  assert.deepEqual(await auth.login('nobody@example.org', 'alicepw', null, OUTSIDE), { ok: false, why: 'credentials' });
  assert.deepEqual(await auth.login('alice@example.org', 'alicepw', 'alice@example.org', OUTSIDE), { ok: true, user: { user: 'alice@example.org', disabled: false }, master: null });
});

test('master user "user*master" from a master network logs in as the user', async () => {
  assert.deepEqual(await auth.login('alice@example.org*proxy', 'masterpw', null, PROXY), { ok: true, user: { user: 'alice@example.org', disabled: false }, master: 'proxy' });
  assert.deepEqual(await auth.login('alice@example.org*PROXY', 'masterpw', null, { remoteIp: '::1' }), { ok: true, user: { user: 'alice@example.org', disabled: false }, master: 'proxy' });
});

test('master user as PLAIN authzid (RFC 4616 §2) from a master network', async () => {
  assert.deepEqual(await auth.login('proxy', 'masterpw', 'alice@example.org', PROXY), { ok: true, user: { user: 'alice@example.org', disabled: false }, master: 'proxy' });
  const m = auth.mechanism('PLAIN')!;
  const r = m.step(Buffer.from('alice@example.org\0proxy\0masterpw'));
  assert.deepEqual(r, { kind: 'done', authcid: 'proxy', password: 'masterpw', authzid: 'alice@example.org' });
  // A non-master authcid may not name another user.
  assert.equal(auth.mechanism('PLAIN')!.step(Buffer.from('bob@example.org\0alice@example.org\0alicepw')).kind, 'error');
  assert.deepEqual(await auth.login('alice@example.org', 'alicepw', 'bob@example.org', PROXY), { ok: false, why: 'credentials' });
});

test('master user refused from other networks, with a wrong password, and for nonexistent or disabled users', async () => {
  assert.deepEqual(await auth.login('alice@example.org*proxy', 'masterpw', null, OUTSIDE), { ok: false, why: 'master-untrusted' });
  assert.deepEqual(await auth.login('proxy', 'masterpw', 'alice@example.org', OUTSIDE), { ok: false, why: 'master-untrusted' });
  assert.deepEqual(await auth.login('alice@example.org*proxy', 'masterpw', null, { secure: true }), { ok: false, why: 'master-untrusted' });
  assert.deepEqual(await auth.login('alice@example.org*proxy', 'alicepw', null, PROXY), { ok: false, why: 'master-password' });
  assert.deepEqual(await auth.login('ghost@example.org*proxy', 'masterpw', null, PROXY), { ok: false, why: 'master-target' });
  assert.deepEqual(await auth.login('dis@example.org*proxy', 'masterpw', null, PROXY), { ok: false, why: 'master-target' });
  // Not a configured master: "*other" is just part of a (nonexistent) login name.
  assert.deepEqual(await auth.login('alice@example.org*other', 'masterpw', null, PROXY), { ok: false, why: 'credentials' });
  // Master networks empty: master login refused everywhere.
  const none = new SaslAuthenticator(source, { ...cfg, masterNetworks: [] }, verify);
  assert.deepEqual(await none.login('alice@example.org*proxy', 'masterpw', null, PROXY), { ok: false, why: 'master-untrusted' });
});

test('a directory outage passes through as MailError TEMP, never as a wrong password', async () => {
  down = true;
  try {
    await assert.rejects(auth.login('alice@example.org', 'alicepw', null, OUTSIDE), (e: unknown) => e instanceof MailError && e.code === 'TEMP');
    await assert.rejects(auth.login('alice@example.org*proxy', 'masterpw', null, PROXY), (e: unknown) => e instanceof MailError && e.code === 'TEMP');
  } finally { down = false; }
});

test('bad network lists are refused at construction', () => {
  assert.throws(() => new SaslAuthenticator(source, { ...cfg, masterNetworks: ['10.0.0.0/99'] }, verify), /10\.0\.0\.0\/99/);
});
