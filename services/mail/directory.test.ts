// Config -> LDAP directory options: UCS defaults, overrides from YAML and MAIL_* variables.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../libs/config/src/load.js';
import { ldapConfig, UCS_FILTERS } from '../../libs/directory/src/ldap/index.js';
import { ldapOptions } from './directory.js';

const dir = mkdtempSync(join(tmpdir(), 'dir-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('directory.type ldap: UCS defaults, filter/attribute overrides, URIs and bind password from the environment', () => {
  const path = join(dir, 'c.yaml');
  writeFileSync(path, `directory:
  type: ldap
  ldapBase: dc=example,dc=org
  ldapBindDn: cn=mail,dc=example,dc=org
  ldapFilters:
    login: "(&(objectClass=person)(mail=%u))"
  ldapAttributes:
    homeServer: mailHost
auth:
  cacheTtl: 10m
`);
  const r = loadConfig(path, { MAIL_DIRECTORY__LDAPURIS: 'ldap://127.0.0.1:7389, ldaps://127.0.0.2:7636', MAIL_DIRECTORY__LDAPBINDPASSWORD: 's3cret' });
  assert.deepEqual(r.errors, []);
  const o = ldapConfig(ldapOptions(r.config!));
  assert.deepEqual(o.uris, ['ldap://127.0.0.1:7389', 'ldaps://127.0.0.2:7636']);
  assert.equal(o.bindPassword, 's3cret');
  assert.equal(o.passwordCheck, 'bind', 'UCS: bind as the user');
  assert.equal(o.filters.login, '(&(objectClass=person)(mail=%u))');
  assert.equal(o.filters.user, UCS_FILTERS.user, 'other filters keep the UCS default');
  assert.equal(o.attributes.homeServer, 'mailHost');
  assert.equal(o.attributes.primaryAddress, 'mailPrimaryAddress');
  assert.equal(r.config!.auth.cacheTtl, 600_000);
});

test('directory.type ldap: bad values are refused with their key', () => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(path, `directory:
  type: ldap
  ldapUris: [http://x]
  ldapBase: dc=x
  ldapFilters:
    nosuch: "(a=b)"
    login: "a=b"
  ldapPasswordCheck: compare
`);
  const r = loadConfig(path, {});
  assert.equal(r.config, null);
  const text = r.errors.join('\n');
  assert.match(text, /directory\.ldapUris: expected list of ldap:\/\/ or ldaps:\/\/ URIs/);
  assert.match(text, /directory\.ldapFilters/);
});
