// The example files in deploy/ must stay valid: they are what operators copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../libs/config/src/load.js';
import { parseUsersFile } from '../../libs/directory/src/file/users-file.js';
import { verifyPassword } from '../../libs/directory/src/file/password.js';
import { projectRoot } from './testing.js';

const root = projectRoot();

test('deploy/mailnode.example.yaml loads without errors and states the root defaults', () => {
  const r = loadConfig(join(root, 'deploy', 'mailnode.example.yaml'), {}, { environment: { isRoot: true, hostname: 'h' } });
  assert.deepEqual(r.errors, []);
  const def = loadConfig(null, {}, { cwd: join(root, 'deploy'), environment: { isRoot: true, hostname: 'h' } });
  assert.deepEqual(r.config, def.config, 'every value in the example is the default');
});

test('deploy/users.example.yaml parses; alice logs in with alicepw and bob with bobpw', () => {
  const r = parseUsersFile(readFileSync(join(root, 'deploy', 'users.example.yaml'), 'utf8'));
  assert.deepEqual(r.errors, []);
  const alice = r.table!.users.get('alice@example.org')!;
  assert.equal(verifyPassword('alicepw', alice.password!), true);
  assert.equal(verifyPassword('bobpw', r.table!.users.get('bob@example.org')!.password!), true);
  assert.equal(r.table!.addresses.get('postmaster@example.org'), 'alice@example.org');
});
