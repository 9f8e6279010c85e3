import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, renameSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { FileDirectory, UsersFileError } from './file-directory.js';
import { hashPassword } from './password.js';
import { parseUsersFile } from './users-file.js';

const dir = mkdtempSync(join(tmpdir(), 'dir-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ALICE = hashPassword('alicepw');

function usersYaml(extra = ''): string {
  return `domains: [other.test]
users:
  Alice@Example.org:
    password: "${ALICE}"
    aliases: [a.example@example.org, Postmaster@example.org]
    quota: 1024
    forwards: [alice@elsewhere.test]
    homeServer: mail1.example.org
  bob@example.org:
    password: "{PLAIN}bobpw"
    disabled: true
  carol@example.net:
    password: "{SSHA256}${Buffer.concat([sha256('carolpw', 'salt'), Buffer.from('salt')]).toString('base64')}"
${extra}`;
}
function sha256(pw: string, salt: string): Buffer {
  return createHash('sha256').update(pw).update(salt).digest();
}

let n = 0;
async function openWith(text: string) {
  const path = join(dir, `users${n++}.yaml`);
  writeFileSync(path, text);
  return { path, d: await FileDirectory.open({ path, checkIntervalMs: 0 }) };
}

test('authenticate: right password gives the record, wrong password and unknown user give null', async () => {
  const { d } = await openWith(usersYaml());
  const a = await d.authenticate('alice@example.org', 'alicepw');
  assert.ok(a);
  assert.equal(a.user, 'alice@example.org');
  assert.deepEqual(a.aliases, ['a.example@example.org', 'postmaster@example.org']);
  assert.equal(a.quotaBytes, 1024 * 1024 * 1024);
  assert.deepEqual(a.forwards, ['alice@elsewhere.test']);
  assert.equal(a.homeServer, 'mail1.example.org');
  assert.equal((await d.authenticate('ALICE@example.org', 'alicepw'))?.user, 'alice@example.org', 'login is case-insensitive');
  assert.equal(await d.authenticate('alice@example.org', 'wrong'), null);
  assert.equal(await d.authenticate('nobody@example.org', 'alicepw'), null);
  assert.equal((await d.authenticate('carol@example.net', 'carolpw'))?.user, 'carol@example.net');
  assert.equal(await d.authenticate('bob@example.org', 'bobpw'), null, 'disabled user cannot log in');
  assert.equal((await d.lookup('bob@example.org'))?.disabled, true, 'but is still found');
});

test('lookup resolves primary address and aliases case-insensitively; domains lists all hosted domains', async () => {
  const { d } = await openWith(usersYaml());
  assert.equal((await d.lookup('POSTMASTER@example.org'))?.user, 'alice@example.org');
  assert.equal((await d.lookup('a.example@example.org'))?.user, 'alice@example.org');
  assert.equal(await d.lookup('zed@example.org'), null);
  assert.deepEqual(await d.domains(), ['example.net', 'example.org', 'other.test']);
  const b = await d.lookup('bob@example.org');
  assert.equal(b?.quotaBytes, null, 'no quota key = unlimited');
});

test('unknown user costs the same SHA-crypt work as a wrong password (dummy hash)', async () => {
  const { d } = await openWith(usersYaml());
  const time = async (login: string) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) await d.authenticate(login, 'wrong');
    return Number(process.hrtime.bigint() - t) / 5e6;
  };
  await time('alice@example.org');
  const known = await time('alice@example.org');
  const unknown = await time('nobody@example.org');
  // Both run 5000 SHA-512 rounds; an unknown user answered without hashing would be ~100x faster.
  assert.ok(unknown > known / 3, `unknown ${unknown.toFixed(2)} ms vs known ${known.toFixed(2)} ms`);
});

test('a bad users file is refused at open with every problem and its path', async () => {
  const text = `users:
  "bad/name@example.org": {password: "{PLAIN}x"}
  dave@example.org:
    password: plain
    quota: -1
    aliases: [ok@example.org, "no at sign"]
    colour: blue
  erin@example.org:
    password: "{PLAIN}x"
    aliases: [ok@example.org]
extra: 1
`;
  await assert.rejects(openWith(text), (e: unknown) => {
    assert.ok(e instanceof UsersFileError);
    assert.deepEqual([...e.errors].sort(), [
      'extra: unknown key',
      'users.bad/name@example.org: not a valid address (local@domain, no "/", "\\" or leading ".")',
      'users.dave@example.org.aliases: bad address "no at sign"',
      'users.dave@example.org.colour: unknown key',
      'users.dave@example.org.password: password has no {SCHEME} prefix (use {SHA512-CRYPT}, {SSHA512} or {PLAIN})',
      'users.dave@example.org.quota: expected an integer number of MB >= 0',
      'users.erin@example.org.aliases: address ok@example.org already belongs to dave@example.org',
    ]);
    return true;
  });
});

test('path-unsafe addresses are rejected (they become directory names)', () => {
  for (const a of ['../x@example.org', '.hidden@example.org', 'a\\b@example.org', 'x@exa/mple.org', 'x@..', 'x\u0000@e.org']) {
    const r = parseUsersFile(`users:\n  ${JSON.stringify(a)}: {password: "{PLAIN}x"}\n`);
    assert.equal(r.table, null, a);
  }
});

test('file change (mtime) is picked up on use; a broken new file is refused and the old users stay', async () => {
  const { path, d } = await openWith(usersYaml());
  const tmp = `${path}.new`;
  writeFileSync(tmp, 'users:\n  new@example.org:\n    password: "{PLAIN}newpw"\n');
  renameSync(tmp, path);
  assert.equal((await d.authenticate('new@example.org', 'newpw'))?.user, 'new@example.org');
  assert.equal(await d.lookup('alice@example.org'), null);
  const logged: string[] = [];
  const d2 = await FileDirectory.open({ path, checkIntervalMs: 0, logger: { info() {}, error: (_o, m) => { logged.push(m ?? ''); } } });
  writeFileSync(path, 'users: [oops\n');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  assert.equal((await d2.authenticate('new@example.org', 'newpw'))?.user, 'new@example.org');
  assert.deepEqual(logged, ['users file refused; keeping the previous users']);
  const r = await d2.reload();
  assert.equal(r.ok, false);
  assert.match(r.errors[0]!, /^line \d+, column \d+: /);
});

test('JSON users file works too (JSON is YAML)', async () => {
  const { d } = await openWith(JSON.stringify({ users: { 'j@example.org': { password: '{PLAIN}jp', aliases: ['jj@example.org'] } } }));
  assert.equal((await d.authenticate('j@example.org', 'jp'))?.user, 'j@example.org');
  assert.equal((await d.lookup('jj@example.org'))?.user, 'j@example.org');
});

test('resolve: users by primary/alias, groups with members, shared folders by address; sharedFolders lists ACLs', async () => {
  const { d } = await openWith(usersYaml(`groups:
  Team@example.org: { members: [alice@example.org, Bob@example.org] }
sharedFolders:
  support:
    address: support@example.org
    quota: 10
    acl: { alice@example.org: lrswipkxtecda, anyone: lrs }
`));
  const u = await d.resolve('POSTMASTER@example.org');
  assert.equal(u?.kind === 'user' && u.user.user, 'alice@example.org');
  const g = await d.resolve('team@example.org');
  assert.deepEqual(g, { kind: 'group', group: { address: 'team@example.org', members: ['alice@example.org', 'bob@example.org'] } });
  const s = await d.resolve('support@example.org');
  assert.equal(s?.kind === 'shared' && s.folder.name, 'support');
  assert.equal(await d.resolve('nobody@example.org'), null);
  const folders = await d.sharedFolders();
  assert.equal(folders.length, 1);
  assert.equal(folders[0]!.quotaBytes, 10 * 1024 * 1024);
  assert.deepEqual(folders[0]!.acl, { 'alice@example.org': 'lrswipkxtecda', anyone: 'lrs' });
});

test('groups and shared folders: address clashes and bad ACL rights are refused with their path', () => {
  const r = parseUsersFile(`users:
  alice@example.org: {}
groups:
  alice@example.org: { members: [] }
sharedFolders:
  s1: { address: x@example.org, acl: { anyone: "lrs!" } }
`);
  assert.equal(r.table, null);
  assert.ok(r.errors.some((e) => e.startsWith('groups.alice@example.org: address already in use')), r.errors.join('\n'));
  assert.ok(r.errors.some((e) => e.startsWith('sharedFolders.s1.acl.anyone')), r.errors.join('\n'));
});

test('a key given twice in one mapping is refused with its line (users and their fields)', () => {
  const r = parseUsersFile('users:\n  a@example.org: {password: "{PLAIN}x"}\n  b@example.org:\n    password: "{PLAIN}y"\n    password: "{PLAIN}z"\n  a@example.org: {}\n');
  assert.equal(r.table, null);
  assert.deepEqual(r.errors, ['line 5, column 5: Map keys must be unique', 'line 6, column 3: Map keys must be unique']);
});

test('a large users file loads in linear time (100,000 users: one Set per mapping, not pairwise key checks)', () => {
  const n = 50_000;
  let text = 'users:\n';
  for (let i = 0; i < n; i++) text += `  u${i}@example.org:\n    password: "{PLAIN}p"\n`;
  const t = performance.now();
  const r = parseUsersFile(text);
  assert.equal(r.table?.users.size, n);
  // Pairwise checks took ~100 s here; linear parsing takes a few seconds even on a busy machine.
  assert.ok(performance.now() - t < 60_000, `took ${Math.round(performance.now() - t)} ms`);
});
