// End to end with a REAL Postfix (Debian, private instance on loopback): swaks -> Postfix ->
// the LMTP proxy (lmtp:inet) -> two real backend mail nodes. A group with members on both sites
// reaches both; with site B down Postfix gets 451 for B's recipient, keeps the mail queued, and
// after B is back the queued mail arrives exactly once while A's recipient is not delivered twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postfixMissing, startPostfix, swaks, type PostfixInstance } from '../../testing/src/postfix.js';
import { SITE_A, SITE_B, bodies, mailOf, startBackend, startProxy, writeUsers, type Backend, type RunningProxy } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'lmtp-proxy-pf-'));
chmodSync(dir, 0o755);
let A: Backend;
let B: Backend;
let P: RunningProxy;
let pf: PostfixInstance | null = null;

before(async () => {
  const missing = postfixMissing();
  assert.equal(missing, null, `real Postfix test cannot run: ${missing}`);
  writeUsers(dir);
  [A, B] = await Promise.all([startBackend(dir, SITE_A), startBackend(dir, SITE_B)]);
  P = await startProxy(dir, { [SITE_A]: A.port, [SITE_B]: B.port }, { coolDownMs: 500 });
  pf = await startPostfix({
    recipients: ['alice@example.org', 'bob@example.org', 'dave@example.org', 'team@example.org'],
    main: { virtual_transport: `lmtp:inet:127.0.0.1:${P.port}` },
  });
});

after(async () => {
  await pf?.close();
  await P?.close();
  await Promise.all([A?.proc.stop(), B?.proc.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const count = (b: Backend, u: string, marker: string) => bodies(mailOf(b, u)).filter((t) => t.includes(marker)).length;

async function until(what: string, f: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- postfix log ---\n${pf?.log().slice(-3000)}`);
    await sleep(100);
  }
}

const send = async (to: string, subject: string) => {
  const r = await swaks(['--server', `127.0.0.1:${pf!.smtpPort}`, '--from', 'sender@remote.test', '--to', to, '--header', `Subject: ${subject}`, '--body', `body of ${subject}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
};

test('Postfix -> LMTP proxy: a group with members on both sites reaches both, one copy each', async () => {
  await send('team@example.org', 'pf-team');
  await until('all three members', () => count(A, 'alice@example.org', 'pf-team') + count(B, 'bob@example.org', 'pf-team') + count(B, 'dave@example.org', 'pf-team') === 3);
  await sleep(300);
  assert.equal(count(A, 'alice@example.org', 'pf-team'), 1);
  assert.equal(count(B, 'bob@example.org', 'pf-team'), 1);
  assert.equal(count(B, 'dave@example.org', 'pf-team'), 1);
});

test('Postfix -> LMTP proxy: site B down gives 451, Postfix queues; after B is back the mail arrives exactly once', async () => {
  await B.proc.stop();
  await send('alice@example.org,bob@example.org', 'pf-down');
  await send('team@example.org', 'pf-group-down');
  await until('alice delivered, bob deferred', () => count(A, 'alice@example.org', 'pf-down') === 1 && /to=<bob@example\.org>.*status=deferred/.test(pf!.log()));
  await until('group deferred', () => count(A, 'alice@example.org', 'pf-group-down') === 1 && /to=<team@example\.org>.*status=deferred/.test(pf!.log()));
  assert.match(pf!.log(), /451 4\.4\.\d/);
  assert.match(await pf!.queue(), /bob@example\.org/);
  B = await startBackend(dir, SITE_B, B.port);
  await sleep(600); // the breaker's cool-down
  await pf!.flush();
  await until('bob gets the queued mail', () => count(B, 'bob@example.org', 'pf-down') === 1 && count(B, 'dave@example.org', 'pf-group-down') === 1);
  await sleep(1500);
  await pf!.flush();
  await sleep(1000);
  assert.equal(count(B, 'bob@example.org', 'pf-down'), 1);
  assert.equal(count(A, 'alice@example.org', 'pf-down'), 1, 'alice not delivered twice');
  assert.equal(count(A, 'alice@example.org', 'pf-group-down'), 1, 'the group retry skipped alice');
  assert.equal(count(B, 'bob@example.org', 'pf-group-down'), 1);
  assert.equal(count(B, 'dave@example.org', 'pf-group-down'), 1);
  assert.doesNotMatch(await pf!.queue(), /example\.org/, 'queue empty');
});
