/**
 * Interop with a real sync client: mbsync (isync 1.4) syncs a folder tree both ways, with flags,
 * moves and expunges. Fails loudly when mbsync is missing unless CI_NO_MBSYNC is set.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, loggedIn, appendRaw, message, type Harness } from './testing.js';

const MBSYNC = '/usr/bin/mbsync';
const skip = !existsSync(MBSYNC) && process.env.CI_NO_MBSYNC ? 'mbsync not installed (CI_NO_MBSYNC set)' : false;

let h: Harness;
let work: string;
let local: string;
let rc: string;

before(async () => {
  if (skip) return;
  if (!existsSync(MBSYNC)) throw new Error('mbsync is not installed at /usr/bin/mbsync (apt install isync), or set CI_NO_MBSYNC=1');
  h = await startHarness();
  work = await mkdtemp(join(tmpdir(), 'mbsync-test-'));
  local = join(work, 'mail');
  await mkdir(local, { recursive: true });
  await writeFile(join(work, 'cert.pem'), h.cert);
  rc = join(work, 'mbsyncrc');
  await writeFile(rc, [
    'IMAPAccount acc',
    'Host localhost',
    `Port ${h.port}`,
    'User alice@example.org',
    'Pass alicepw',
    'AuthMechs PLAIN',
    'SSLType STARTTLS',
    `CertificateFile ${join(work, 'cert.pem')}`,
    '',
    'IMAPStore remote',
    'Account acc',
    '',
    'MaildirStore local',
    `Path ${local}/`,
    `Inbox ${local}/INBOX`,
    'SubFolders Verbatim',
    '',
    'Channel ch',
    'Far :remote:',
    'Near :local:',
    'Patterns *',
    'Create Both',
    'Expunge Both',
    'Sync All',
    'SyncState *',
    '',
  ].join('\n'));
});

after(async () => {
  if (skip) return;
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function mbsync(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(MBSYNC, ['-c', rc, '-a'], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['cur', 'new']) {
    try { for (const f of await readdir(join(dir, sub))) out.push(join(sub, f)); } catch { /* none */ }
  }
  return out.sort();
}

test('mbsync: pulls a folder tree, pushes local changes, follows server moves and expunges', { skip }, async () => {
  const c = await loggedIn(h);
  await c.cmd('a', 'CREATE Work');
  await c.cmd('b', 'CREATE Archive/2026');
  await appendRaw(c, 'INBOX', message('in1'));
  await appendRaw(c, 'INBOX', message('in2'), '\\Flagged');
  await appendRaw(c, 'Archive/2026', message('old'), '\\Seen');

  // 1. First sync: everything arrives locally.
  let r = await mbsync();
  assert.equal(r.code, 0, r.out);
  assert.equal((await files(join(local, 'INBOX'))).length, 2);
  assert.equal((await files(join(local, 'Archive', '2026'))).length, 1);
  assert.ok(existsSync(join(local, 'Work')));
  const flaggedLocal = (await files(join(local, 'INBOX'))).filter((f) => /:2,[A-Z]*F/.test(f));
  assert.equal(flaggedLocal.length, 1);

  // 2. Local changes: mark the unflagged INBOX message seen, add a message to Work, create a folder.
  const inbox = await files(join(local, 'INBOX'));
  const plain = inbox.find((f) => !/:2,[A-Z]*F/.test(f))!;
  const base = plain.replace(/^new\//, 'cur/').replace(/:2,.*$/, '');
  await rename(join(local, 'INBOX', plain), join(local, 'INBOX', base + ':2,S'));
  await writeFile(join(local, 'Work', 'new', `${Date.now()}.1.localhost`), message('from-local').replace(/\r\n/g, '\n'));
  await mkdir(join(local, 'Local', 'cur'), { recursive: true });
  await mkdir(join(local, 'Local', 'new'), { recursive: true });
  await mkdir(join(local, 'Local', 'tmp'), { recursive: true });
  r = await mbsync();
  assert.equal(r.code, 0, r.out);
  assert.equal((await c.cmd('c', 'STATUS Work (MESSAGES)'))[0], '* STATUS Work (MESSAGES 1)');
  assert.equal((await c.cmd('d', 'STATUS INBOX (UNSEEN)'))[0], '* STATUS INBOX (UNSEEN 1)');
  const list = await c.cmd('e', 'LIST "" Local');
  assert.equal(list.length, 2, list.join('|'));

  // 3. Server side: move one INBOX message to Work, expunge the other.
  await c.cmd('f', 'SELECT INBOX');
  await c.cmd('g', 'MOVE 1 Work');
  await c.cmd('h', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  await c.cmd('i', 'EXPUNGE');
  r = await mbsync();
  assert.equal(r.code, 0, r.out);
  assert.equal((await files(join(local, 'INBOX'))).length, 0);
  assert.equal((await files(join(local, 'Work'))).length, 2);

  // 4. A further run is a no-op and both sides agree.
  r = await mbsync();
  assert.equal(r.code, 0, r.out);
  assert.equal((await c.cmd('j', 'STATUS Work (MESSAGES)'))[0], '* STATUS Work (MESSAGES 2)');
  c.close();
});
