import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainMechanism, LoginMechanism, createMechanism } from './index.js';

const b = (s: string) => Buffer.from(s, 'utf8');

test('PLAIN (RFC 4616 §2): initial response with empty authzid', () => {
  const m = new PlainMechanism();
  assert.deepEqual(m.step(b('\0alice\0secret')), { kind: 'done', authcid: 'alice', password: 'secret', authzid: null });
});

test('PLAIN (RFC 4616 §2): no initial response → empty challenge, then message', () => {
  const m = new PlainMechanism();
  const c = m.step(null);
  assert.equal(c.kind, 'challenge');
  assert.equal(c.kind === 'challenge' && c.challenge.length, 0);
  assert.deepEqual(m.step(b('alice\0alice\0pw')), { kind: 'done', authcid: 'alice', password: 'pw', authzid: 'alice' });
});

test('PLAIN (RFC 4616 §2): authzid different from authcid refused without master hook', () => {
  assert.equal(new PlainMechanism().step(b('bob\0alice\0pw')).kind, 'error');
  const m = new PlainMechanism({ allowAuthzid: (c, z) => c === 'master' && z === 'bob' });
  assert.deepEqual(m.step(b('bob\0master\0pw')), { kind: 'done', authcid: 'master', password: 'pw', authzid: 'bob' });
});

test('PLAIN: malformed messages are errors', () => {
  for (const s of ['alice\0pw', '\0\0pw', '\0alice\0', 'a\0b\0c\0d', '']) {
    assert.equal(new PlainMechanism().step(b(s)).kind, 'error', JSON.stringify(s));
  }
  assert.equal(new PlainMechanism().step(Buffer.from([0, 0xff, 0xfe, 0, 0x41])).kind, 'error');
});

test('PLAIN: a finished mechanism cannot be stepped again', () => {
  const m = new PlainMechanism();
  m.step(b('\0a\0b'));
  assert.equal(m.step(b('\0a\0b')).kind, 'error');
});

test('LOGIN: Username:/Password: dialogue', () => {
  const m = new LoginMechanism();
  const c1 = m.step(null);
  assert.ok(c1.kind === 'challenge' && c1.challenge.toString() === 'Username:');
  const c2 = m.step(b('alice'));
  assert.ok(c2.kind === 'challenge' && c2.challenge.toString() === 'Password:');
  assert.deepEqual(m.step(b('pw')), { kind: 'done', authcid: 'alice', password: 'pw', authzid: null });
  assert.equal(m.step(b('x')).kind, 'error');
});

test('LOGIN: initial response carries the user name', () => {
  const m = new LoginMechanism();
  const c = m.step(b('alice'));
  assert.ok(c.kind === 'challenge' && c.challenge.toString() === 'Password:');
  assert.equal(m.step(b('')).kind, 'error');
});

test('createMechanism knows PLAIN and LOGIN only', () => {
  assert.equal(createMechanism('plain')?.name, 'PLAIN');
  assert.equal(createMechanism('LOGIN')?.name, 'LOGIN');
  assert.equal(createMechanism('CRAM-MD5'), null);
});
