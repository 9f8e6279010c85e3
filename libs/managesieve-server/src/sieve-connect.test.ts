/**
 * ManageSieve against Debian's sieve-connect (a real client): STARTTLS with the test's
 * self-signed cert (--tlscafile), AUTHENTICATE PLAIN, upload, list, activate, download, delete.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { readFile, writeFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const BIN = '/usr/bin/sieve-connect';

async function sieveConnect(args: string[], password = 'alicepw'): Promise<{ code: number; out: string }> {
  assert.ok(existsSync(BIN), 'sieve-connect is missing: run scripts/test-deps.sh (apt-get install sieve-connect)');
  const pwFile = join(h.root, `pw.${Math.random()}`);
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  const fd = openSync(pwFile, 'r');
  try {
    const child = spawn(BIN, ['--server', 'localhost', '--port', String(h.port), '--user', 'alice@example.org',
      '--passwordfd', '3', '--tlscafile', h.certFile, '--authmech', 'PLAIN', ...args], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    return { code, out };
  } finally { closeSync(fd); }
}

test('sieve-connect: upload, list, activate, download, delete over STARTTLS', async () => {
  const local = join(h.root, 'vacation.sieve');
  const script = 'require ["vacation"];\nvacation :days 3 "I am away";\n';
  await writeFile(local, script);
  let r = await sieveConnect(['--upload', '--localsieve', local, '--remotesieve', 'vacation']);
  assert.equal(r.code, 0, r.out);
  r = await sieveConnect(['--activate', '--remotesieve', 'vacation']);
  assert.equal(r.code, 0, r.out);
  assert.equal(await readlink(join(h.home('alice@example.org'), '.dovecot.sieve')), 'sieve/vacation.sieve');
  r = await sieveConnect(['--list']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /vacation\s+<-\s*active|vacation.*active/i);
  const dl = join(h.root, 'downloaded.sieve');
  r = await sieveConnect(['--download', '--remotesieve', 'vacation', '--localsieve', dl]);
  assert.equal(r.code, 0, r.out);
  assert.equal(await readFile(dl, 'utf8'), script);
  // Deleting the active script is refused (exit 1), after deactivation it works.
  r = await sieveConnect(['--delete', '--remotesieve', 'vacation']);
  assert.equal(r.code, 1, r.out);
  r = await sieveConnect(['--deactivate']);
  assert.equal(r.code, 0, r.out);
  r = await sieveConnect(['--delete', '--remotesieve', 'vacation']);
  assert.equal(r.code, 0, r.out);
  r = await sieveConnect(['--list']);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /vacation/);
});

test('sieve-connect: an invalid script is refused (exit 1) with the parser position; a wrong password fails', async () => {
  const local = join(h.root, 'bad.sieve');
  await writeFile(local, 'keep;\nfrobnicate;\n');
  let r = await sieveConnect(['--upload', '--localsieve', local, '--remotesieve', 'bad']);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /line 2, column 1/);
  r = await sieveConnect(['--checkscript', '--localsieve', local]);
  assert.equal(r.code, 1, r.out);
  r = await sieveConnect(['--list'], 'wrong');
  assert.notEqual(r.code, 0, r.out);
});
