// deliverMessage against the real Maildir++ engine: the message lands in new/ of the right folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { MailStore } from '../../mailstore/src/types.js';
import { MaildirStore } from '../../maildir/src/index.js';
import { deliverMessage } from './deliver.js';
import { mailHome } from './home.js';

const root = mkdtempSync(join(tmpdir(), 'deliver-maildir-'));
after(() => rmSync(root, { recursive: true, force: true }));

const alice: UserRecord = { user: 'alice@example.org', aliases: ['a@example.org'], homeServer: null, quotaBytes: null, forwards: [], forwardCopyToSelf: false, disabled: false };
const directory: Directory = {
  async authenticate() { return null; },
  async lookup(a) { return ['alice@example.org', 'a@example.org'].includes(a.toLowerCase()) ? alice : null; },
  async resolve(a) { const u = await this.lookup(a); return u ? { kind: 'user', user: u } : null; },
  async sharedFolders() { return []; },
  async domains() { return ['example.org']; },
  async close() {},
};

async function store(): Promise<MailStore> {
  return new MaildirStore({ hostname: 'test.local', fsync: false });
}

test('Maildir++: delivery goes to new/ of INBOX and of a created folder, LF input stored and served as CRLF', async () => {
  const s = await store();
  const cfg = { mailHome: (u: UserRecord) => mailHome(join(root, 'mail'), u.user) };
  const r1 = await deliverMessage(s, directory, cfg, 'a@example.org', Readable.from([Buffer.from('From x@y Mon Jan  1 00:00:00 2026\nSubject: one\n\nbody\n')]));
  const r2 = await deliverMessage(s, directory, cfg, 'alice@example.org', Readable.from([Buffer.from('Subject: two\r\n\r\nbody\r\n')]), 'Lists/Node');
  assert.equal(r1.mailbox, 'INBOX');
  assert.equal(r2.mailbox, 'Lists/Node');
  const home = join(root, 'mail', 'example.org', 'alice');
  const inboxNew = readdirSync(join(home, 'Maildir', 'new'));
  assert.equal(inboxNew.length, 1);
  const stored = readFileSync(join(home, 'Maildir', 'new', inboxNew[0]!), 'utf8');
  assert.doesNotMatch(stored, /^From /, 'mbox From_ line dropped');
  assert.match(stored, /Subject: one/);
  const account = await s.openAccount({ user: alice.user, home });
  try {
    const names = (await account.list()).map((m) => m.name);
    assert.ok(names.includes('Lists/Node'), names.join(','));
    assert.ok((await account.list()).find((m) => m.name === 'Lists/Node')?.subscribed, 'created folder is subscribed');
    const st = await account.status('INBOX');
    assert.equal(st.messages, 1);
    assert.equal(st.recent, 1, 'a delivery is \\Recent');
    assert.equal(st.size, r1.size);
    assert.equal(r1.size, 'Subject: one\r\n\r\nbody\r\n'.length);
  } finally {
    await account.close();
    await s.close();
  }
});
