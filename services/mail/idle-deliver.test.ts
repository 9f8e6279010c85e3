/**
 * Issue 2: "A new message or flag change made by another session or by `deliver` reaches an IDLE
 * client within a second." Here `deliver` is a separate process (as an MTA runs it), so the change
 * reaches the server only through the Maildir, not through in-process notification.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { startService, runDeliver } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mailnode-idle-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'users.yaml'), `users:\n  alice@example.org:\n    password: "${hashPassword('alicepw')}"\n`);
const configPath = join(dir, 'mailnode.yaml');
writeFileSync(configPath, `node:\n  hostname: idle.test\n  dataDir: data\ndirectory:\n  path: users.yaml\nimap:\n  host: 127.0.0.1\n  port: null\n  tlsPort: 0\nhttp:\n  port: null\n`);

test('deliver (another process) reaches an IDLE client within a second; a flag change by another session too', async (t) => {
  const svc = startService(['--config', configPath]);
  let idler: ImapFlow | undefined, other: ImapFlow | undefined;
  t.after(async () => {
    await idler?.logout().catch(() => {});
    await other?.logout().catch(() => {});
    // SIGTERM and wait: with node.workers > 1 a worker may still be finishing a LOGOUT's writes,
    // and the data dir is removed right after this test.
    if (svc.child.exitCode === null) {
      svc.child.kill('SIGTERM');
      const timer = setTimeout(() => svc.child.kill('SIGKILL'), 10_000);
      await svc.exited;
      clearTimeout(timer);
    }
  });
  const port = Number((await svc.waitFor(/^listening imaps 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/ready/);
  const ca = readFileSync(join(dir, 'data', 'tls', 'cert.pem'), 'utf8');
  const mk = () => new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { ca: [ca], servername: 'localhost' }, auth: { user: 'alice@example.org', pass: 'alicepw' }, logger: false });
  idler = mk();
  other = mk();
  for (const c of [idler, other]) c.on('error', () => { /* reported through the assertions */ });
  await idler.connect();
  await other.connect();
  await idler.mailboxOpen('INBOX');
  const events: { kind: string; at: number }[] = [];
  idler.on('exists', () => events.push({ kind: 'exists', at: Date.now() }));
  idler.on('flags', () => events.push({ kind: 'flags', at: Date.now() }));
  const idling = idler.idle();
  await new Promise((r) => setTimeout(r, 300)); // IDLE is in progress on the server

  for (let i = 1; i <= 3; i++) {
    const d = await runDeliver(['-d', 'alice@example.org', '--config', configPath], `Subject: idle ${i}\n\nbody\n`);
    assert.equal(d.code, 0, d.stderr);
    const done = Date.now();
    while (!events.some((e) => e.kind === 'exists' && e.at >= done - 1000) || events.filter((e) => e.kind === 'exists').length < i) {
      assert.ok(Date.now() - done < 1000, `EXISTS for delivery ${i} within 1 s of deliver's exit`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await other.mailboxOpen('INBOX');
  const flagged = Date.now();
  await other.messageFlagsAdd('2', ['\\Flagged']);
  while (!events.some((e) => e.kind === 'flags')) {
    assert.ok(Date.now() - flagged < 1000, 'FETCH FLAGS from another session within 1 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  void idling;
});
