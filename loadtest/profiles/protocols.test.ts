import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, runCli, type TestNode } from '../cli/testing.js';
import { chownTree, dovecotVersion, startDovecot, type DovecotInstance } from '../lib/dovecot.js';
import { freePort } from '../lib/target.js';
import type { RunResult } from '../report/result.js';

let node: TestNode;
let dove: DovecotInstance;
const dovePorts = { imap: 0, pop3: 0, lmtp: 0 };
const out = mkdtempSync(join(tmpdir(), 'loadtest-proto-'));
const users = Array.from({ length: 4 }, (_v, i) => ({ user: `user${i + 1}@example.org`, password: 'pass' }));

before(async () => {
  node = await startNode(4);
  if (!dovecotVersion()) throw new Error('dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd (scripts/test-deps.sh)');
  chmodSync(out, 0o755); // Dovecot's auth and mail processes (other users) must reach the passwd file and the mail
  const root = join(out, 'dovecot-mail');
  mkdirSync(root, { recursive: true });
  chownTree(root);
  dovePorts.imap = await freePort(); dovePorts.pop3 = await freePort(); dovePorts.lmtp = await freePort();
  dove = await startDovecot({ dir: join(out, 'dovecot'), mailRoot: root, port: dovePorts.imap, pop3Port: dovePorts.pop3, lmtpPort: dovePorts.lmtp, users, fsyncNever: true });
});
after(async () => {
  await dove?.stop();
  await node?.stop();
  rmSync(out, { recursive: true, force: true });
});

const common = ['--user-range', '1-4', '--password', 'pass', '--clients', '3', '--duration', '3s', '--quiet'];
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;
function clean(r: RunResult): void {
  assert.equal(r.lost, 0, 'lost'); assert.equal(r.duplicated, 0, `duplicated ${r.duplicatedIds.join(' ')}`);
  assert.equal(r.corrupted, 0, 'corrupted'); assert.equal(r.protocolErrors, 0, `protocol errors: ${r.errorSamples.join(' | ')}`);
  assert.equal(r.passed, true);
}

for (const server of ['ours', 'dovecot'] as const) {
  const ports = () => server === 'ours'
    ? { imap: node.imap, pop3: node.pop3, lmtp: node.lmtp }
    : dovePorts;

  test(`lmtp profile against ${server}: fixed rate, size distribution, every delivery read back over IMAP`, async () => {
    const p = ports();
    assert.ok(p.lmtp, `${server} has an LMTP listener`);
    const f = join(out, `lmtp-${server}.json`);
    const r = await runCli(['lmtp', '--lmtp-port', String(p.lmtp), '--imap-port', String(p.imap), '--rate', '40', '--sizes', '1k:50,20k:40,200k:10', '--rcpts', '2', ...common, '--output', f]).done;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const res = read(f);
    clean(res);
    // The schedule caps the rate (40/s for 3 s = at most ~121); the floor only says it ran.
    assert.ok(res.commands.DATA!.count >= 20 && res.commands.DATA!.count <= 125, `at most 40/s for 3 s, got ${res.commands.DATA!.count}`);
    assert.equal(res.checkedMessages, res.commands.DATA!.count * 2, 'two recipients per message, each checked');
  });

  test(`pop3 profile against ${server}: seeded messages downloaded and deleted exactly once`, async () => {
    const p = ports();
    assert.ok(p.pop3, `${server} has a POP3 listener`);
    const f = join(out, `pop3-${server}.json`);
    // All 32 seeded messages must be downloaded and deleted before the run ends: 3 s is enough on a
    // quiet machine, not on a loaded one (a stop mid-session leaves its RETRs without DELE), so 10 s.
    const args = common.map((a, i) => (common[i - 1] === '--duration' ? '10s' : a));
    const r = await runCli(['pop3', '--pop3-port', String(p.pop3), '--imap-port', String(p.imap), '--seed-per-user', '8', ...args, '--output', f]).done;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const res = read(f);
    clean(res);
    assert.equal(res.checkedMessages, 32);
    assert.ok(res.commands.RETR!.count >= 32, 'every seeded message retrieved');
    assert.ok(res.commands.DELE!.count >= 32, 'and deleted');
  });
}

test('login-storm over ManageSieve (ours); idle-soak from several 127.0.0.x sources with RSS sampling and IDLE push latency', async () => {
  assert.ok(node.sieve, 'our node has a ManageSieve listener');
  let r = await runCli(['login-storm', '--protocol', 'sieve', '--sieve-port', String(node.sieve), ...common]).done;
  assert.equal(r.code, 0, r.stderr);
  const f = join(out, 'soak.json');
  r = await runCli(['idle-soak', '--imap-port', String(node.imap), '--sessions', '30', '--ramp', '30', '--source-addresses', '127.0.0.2-127.0.0.7',
    '--server-pid', String(node.svc.child.pid), '--rate', '10', ...common, '--output', f]).done;
  assert.equal(r.code, 0, r.stderr);
  const res = read(f);
  clean(res);
  assert.equal(res.extra.sessionsPeak, 30);
  assert.equal(res.commands.DONE!.count, 30, 'every session left IDLE at the end');
  assert.equal(res.totals.sessionsAtEnd, 0);
  assert.equal(typeof res.extra.serverKbPerSession, 'number');
  assert.ok(res.timeline.some((s) => (s.rssKb ?? 0) > 0), 'RSS sampled into the timeline');
  // Pushed messages: each APPEND to an idling user shows up in its IDLE session and is read back.
  assert.ok(res.commands.push && res.commands.push.count > 0, 'IDLE push latency measured');
  assert.equal(res.checkedMessages, res.commands.APPEND!.count);
});
