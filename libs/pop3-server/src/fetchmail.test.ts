/**
 * Debian's fetchmail against our server over real sockets: STLS (RFC 2595) and implicit TLS, keep
 * mode with UIDL bookkeeping (a second run fetches nothing new) and delete mode (the mailbox ends
 * empty). Plaintext is refused by the server, so a run that does not use TLS fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pop3Client, USERS, message, startHarness, type Harness } from './testing.js';

let h: Harness;
let dir: string;
let certFile: string;
let deliverSh: string;

before(async () => {
  if (spawnSync('fetchmail', ['--version']).error) throw new Error('fetchmail is not installed: apt-get install fetchmail (scripts/test-deps.sh)');
  h = await startHarness({ allowPlaintextAuth: false });
  dir = await mkdtemp(join(tmpdir(), 'pop3-fetchmail-'));
  certFile = join(dir, 'cert.pem');
  await writeFile(certFile, h.cert);
  deliverSh = join(dir, 'deliver.sh');
  await writeFile(deliverSh, '#!/bin/sh\ncat > "$OUT/msg.$(date +%s%N).$$"\n');
  await chmod(deliverSh, 0o755);
});
after(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run { code: number; out: string; files: string[] }

/** Runs fetchmail once (async: our server lives in this process). Exit 0 = mail, 1 = no mail. */
async function fetchmail(name: string, user: string, port: number, tlsOpts: string, keep: boolean): Promise<Run> {
  const home = join(dir, name);
  const out = join(home, 'out');
  await rm(out, { recursive: true, force: true });
  await import('node:fs/promises').then((f) => f.mkdir(out, { recursive: true }));
  const rc = join(home, 'fetchmailrc');
  await writeFile(rc, `poll localhost protocol POP3 service ${port} uidl\n  user "${user}" password "${USERS[user]}" is root here options ${keep ? 'keep' : 'nokeep'} ${tlsOpts} sslcertck sslcertfile ${certFile} mda "${deliverSh}"\n`, { mode: 0o600 });
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile('fetchmail', ['--nosyslog', '--nodetach', '-f', rc], {
      env: { ...process.env, FETCHMAILHOME: home, OUT: out, HOME: home }, timeout: 60_000,
    }, (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out: stdout + stderr }));
  });
  const files = (await readdir(out)).sort();
  return { ...r, files: await Promise.all(files.map((f) => readFile(join(out, f), 'latin1'))) };
}

async function stat(user: string): Promise<string> {
  const c = await Pop3Client.connect(h.tlsPort, true);
  await c.line();
  await c.cmd(`USER ${user}`);
  await c.cmd(`PASS ${USERS[user]}`);
  const s = await c.cmd('STAT');
  await c.cmd('QUIT');
  return s;
}

test('fetchmail over STLS in keep mode: downloads all, a second run fetches nothing, a third only the new one', async () => {
  for (const s of ['k1', 'k2', 'k3']) await h.deliver('alice@example.org', message(s, `.leading dot ${s}\r\n`));
  const first = await fetchmail('stls', 'alice@example.org', h.port, "sslproto 'TLS1.2+'", true);
  assert.equal(first.code, 0, first.out);
  assert.equal(first.files.length, 3, first.out);
  for (const [i, s] of ['k1', 'k2', 'k3'].entries()) {
    assert.match(first.files[i]!, new RegExp(`Subject: ${s}`));
    assert.match(first.files[i]!, new RegExp(`\\n\\.leading dot ${s}`)); // dot-stuffing undone by the client
  }
  const second = await fetchmail('stls', 'alice@example.org', h.port, "sslproto 'TLS1.2+'", true);
  assert.equal(second.code, 1, second.out);
  assert.equal(second.files.length, 0);
  assert.match(await stat('alice@example.org'), /^\+OK 3 /);
  await h.deliver('alice@example.org', message('k4'));
  const third = await fetchmail('stls', 'alice@example.org', h.port, "sslproto 'TLS1.2+'", true);
  assert.equal(third.code, 0, third.out);
  assert.equal(third.files.length, 1);
  assert.match(third.files[0]!, /Subject: k4/);
});

test('fetchmail over implicit TLS in delete mode: downloads all, mailbox ends empty, second run gets nothing', async () => {
  for (const s of ['d1', 'd2']) await h.deliver('bob@example.org', message(s));
  const first = await fetchmail('tls', 'bob@example.org', h.tlsPort, 'ssl', false);
  assert.equal(first.code, 0, first.out);
  assert.equal(first.files.length, 2);
  assert.match(await stat('bob@example.org'), /^\+OK 0 0$/);
  const second = await fetchmail('tls', 'bob@example.org', h.tlsPort, 'ssl', false);
  assert.equal(second.code, 1, second.out);
  assert.equal(second.files.length, 0);
});
