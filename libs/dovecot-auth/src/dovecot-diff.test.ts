// Differential test: the same auth-protocol conversations against a real Dovecot 2.3 auth service
// (Debian) and ours must get the same replies (SPID/CUID/COOKIE values aside). This is what makes
// the service "Dovecot-compatible" for Postfix, Exim and any other auth client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testing/src/postfix.js';
import { RawAuthClient, startTestAuthService, b64, type TestAuthService } from './testing.js';

const DOVECOT = '/usr/sbin/dovecot';
let ours: TestAuthService;
let dovecotDir = '';
let dovecotPort = 0;

before(async () => {
  if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is not installed: run scripts/test-deps.sh (apt-get install dovecot-core)`);
  ours = await startTestAuthService({}, 0);
  dovecotDir = await mkdtemp(join(tmpdir(), 'dovecot-auth-ref-'));
  await chmod(dovecotDir, 0o755);
  dovecotPort = await freePort();
  await writeFile(join(dovecotDir, 'passwd'), 'alice@example.org:{PLAIN}alicepw\n');
  // Each "{" on its own line (Dovecot's parser); no protocols: only the auth service runs.
  await writeFile(join(dovecotDir, 'dovecot.conf'), `base_dir = ${dovecotDir}/run
state_dir = ${dovecotDir}/state
log_path = ${dovecotDir}/dovecot.log
instance_name = auth-diff-${dovecotPort}
listen = 127.0.0.1
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dovecotDir}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dovecotDir}/home/%u
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = ${dovecotPort}
  }
}
`);
  // stdio ignored: the daemon keeps inherited pipes open, and spawnSync would wait for it.
  const r = spawnSync(DOVECOT, ['-c', join(dovecotDir, 'dovecot.conf')], { stdio: 'ignore', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`dovecot did not start (exit ${r.status}): ${readLog()}`);
  for (let i = 0; i < 100; i++) {
    try { (await RawAuthClient.connect({ port: dovecotPort })).end(); return; } catch { await new Promise((res) => setTimeout(res, 50)); }
  }
  throw new Error(`dovecot auth listener did not come up: ${readLog()}`);
});

after(async () => {
  await ours?.close();
  if (dovecotDir) {
    let pid = 0;
    try { pid = Number(readFileSync(join(dovecotDir, 'run', 'master.pid'), 'utf8').trim()); } catch { /* not running */ }
    spawnSync(DOVECOT, ['-c', join(dovecotDir, 'dovecot.conf'), 'stop'], { stdio: 'ignore', timeout: 10_000 });
    for (let i = 0; pid > 0 && i < 100; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((res) => setTimeout(res, 100));
    }
    await rm(dovecotDir, { recursive: true, force: true });
  }
});

function readLog(): string {
  try { return readFileSync(join(dovecotDir, 'dovecot.log'), 'utf8').slice(-2000); } catch { return '(no log)'; }
}

const normalize = (l: string) => l.replace(/^(SPID|CUID)\t\d+$/, '$1\tN').replace(/^COOKIE\t[0-9a-f]{32}$/, 'COOKIE\tX');

/**
 * One scenario on a fresh connection: sends each line and waits for its one reply before the next
 * (as Postfix does; Dovecot does not read a client's next request while it delays a failure).
 */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const c = await RawAuthClient.connect({ port });
  const got: string[] = [];
  for (;;) { const l = await c.line(); if (l === null) break; got.push(normalize(l)); if (l === 'DONE') break; }
  c.send('VERSION\t1\t0\nCPID\t4242\n');
  for (const line of lines) {
    c.send(`${line}\n`);
    got.push(normalize((await c.line(10_000)) ?? '(closed)'));
  }
  c.end();
  return got;
}

const R = 'service=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1';

const SAME: Record<string, string[]> = {
  'PLAIN with initial response': [`AUTH\t1\tPLAIN\t${R}\tresp=${b64('\0alice@example.org\0alicepw')}`],
  'wrong password': [`AUTH\t2\tPLAIN\t${R}\tresp=${b64('\0alice@example.org\0wrong')}`],
  'unknown user': [`AUTH\t3\tPLAIN\t${R}\tresp=${b64('\0nobody@example.org\0alicepw')}`],
  'LOGIN dialogue': [`AUTH\t4\tLOGIN\t${R}`, `CONT\t4\t${b64('alice@example.org')}`, `CONT\t4\t${b64('alicepw')}`],
  'LOGIN with the user in the initial response': [`AUTH\t7\tLOGIN\t${R}\tresp=${b64('alice@example.org')}`, `CONT\t7\t${b64('alicepw')}`],
  'PLAIN without initial response': [`AUTH\t5\tPLAIN\t${R}`, `CONT\t5\t${b64('\0alice@example.org\0alicepw')}`],
  'PLAIN with an empty resp=': [`AUTH\t6\tPLAIN\t${R}\tresp=`, `CONT\t6\t${b64('\0alice@example.org\0alicepw')}`],
  'CONT for an unknown request': ['CONT\t99\tAAAA'],
};

for (const [name, lines] of Object.entries(SAME)) {
  test(`same replies as Dovecot 2.3: ${name}`, async () => {
    const theirs = await converse(dovecotPort, lines);
    const mine = await converse(ours.port, lines);
    assert.equal(theirs.length, 7 + lines.length, 'Dovecot answered every line');
    assert.deepEqual(mine, theirs);
  });
}

// Texts differ (Dovecot's reasons vary); what matters to a client is FAIL for the same request.
const SAME_KIND: Record<string, string[]> = {
  'PLAIN message without NULs': [`AUTH\t2\tPLAIN\t${R}\tresp=${b64('garbage-without-nuls')}`],
  'PLAIN with empty user and password': [`AUTH\t3\tPLAIN\t${R}\tresp=${b64('\0\0')}`],
  'LOGIN with an empty user name': [`AUTH\t4\tLOGIN\t${R}`, `CONT\t4\t${b64('')}`],
};

for (const [name, lines] of Object.entries(SAME_KIND)) {
  test(`same outcome as Dovecot 2.3: ${name}`, async () => {
    const kind = (l: string) => l.split('\t').slice(0, 2).join(' ');
    const theirs = (await converse(dovecotPort, lines)).map(kind);
    const mine = (await converse(ours.port, lines)).map(kind);
    assert.deepEqual(mine, theirs);
  });
}
