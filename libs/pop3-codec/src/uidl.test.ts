/** pop3_uidl_format expansion as Dovecot's var_expand does it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUidl, validUidlFormat } from './uidl.js';

test('Dovecot default %08Xu%08Xv: UID and UIDVALIDITY in hex (lower case, as Dovecot 2.3 writes it), 8 digits', () => {
  assert.equal(compileUidl('%08Xu%08Xv')({ uid: 1, uidValidity: 1700000000 }), '000000016553f100');
  assert.equal(compileUidl('%08Xu%08Xv')({ uid: 0x1abcdef12, uidValidity: 255 }), '1abcdef12000000ff');
});

test('other formats: %u, %v, %x, %%', () => {
  assert.equal(compileUidl('%u.%v')({ uid: 7, uidValidity: 99 }), '7.99');
  assert.equal(compileUidl('%xu-%%')({ uid: 255, uidValidity: 1 }), 'ff-%');
  assert.ok(validUidlFormat('%08Xu%08Xv'));
  assert.ok(!validUidlFormat('%v'));
  assert.ok(!validUidlFormat('%g%u'));
  assert.ok(!validUidlFormat('a b%u'));
});
