import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { shaCrypt } from '../../libs/directory/src/file/sha-crypt.js';
import { nodeYaml, singleNode } from '../../libs/testing/src/node-config.js';
import { startService, runDeliver, runMain, type Service } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mailnode-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const users = join(dir, 'users.yaml');
writeFileSync(users, `users:
  alice@example.org:
    password: "${hashPassword('alicepw')}"
    aliases: [postmaster@example.org]
`);
// Only listeners on loopback and ephemeral ports (docs/development.md).
const CONFIG = nodeYaml(singleNode('e2e.test'));
const configPath = join(dir, 'mailnode.yaml');
writeFileSync(configPath, CONFIG);
const env = { MAIL_LOG__LEVEL: 'info' };

interface Ports { imap: number; imaps: number; http: number }
async function started(svc: Service): Promise<Ports> {
  const ports: Partial<Ports> = {};
  for (const name of ['imap', 'imaps', 'http'] as const) {
    const m = await svc.waitFor(new RegExp(`^listening ${name} 127\\.0\\.0\\.1:(\\d+)$`, 'm'));
    ports[name] = Number(m[1]);
  }
  await svc.waitFor(/^mail node e2e\.test ready/m);
  return ports as Ports;
}

function client(port: number, secure: boolean, ca: string): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port, secure, tls: { ca: [ca], servername: 'localhost' }, auth: { user: 'alice@example.org', pass: 'alicepw' }, logger: false });
}

async function count(c: ImapFlow, box: string): Promise<number | undefined> {
  const s = await c.status(box, { messages: true });
  assert.ok(s, `STATUS ${box} failed`);
  return s.messages;
}

async function stop(svc: Service): Promise<number | null> {
  if (svc.child.exitCode !== null) return svc.child.exitCode;
  svc.child.kill('SIGTERM');
  return svc.exited;
}

test('a config with a bad key or value refuses to start and names each problem (exit 78)', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'imap:\n  prot: 1143\n  port: abc\n');
  const r = await runMain(['--config', bad], '');
  assert.equal(r.code, 78);
  assert.match(r.stderr, /config error: imap\.prot: unknown key/);
  assert.match(r.stderr, /config error: imap\.port: expected integer 0\.\.65535, or null\/false to disable, got "abc"/);
  assert.match(r.stderr, /not starting/);
});

test('hash-password prints a {SHA512-CRYPT} hash of the password on stdin', async () => {
  const r = await runMain(['hash-password'], 'sekret\n');
  assert.equal(r.code, 0, r.stderr);
  const h = r.stdout.trim();
  assert.match(h, /^\{SHA512-CRYPT\}\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  assert.equal(shaCrypt('sekret', h.slice('{SHA512-CRYPT}'.length)), h.slice('{SHA512-CRYPT}'.length));
});

test('deliver: usage error is 64, unknown user is 67 (sysexits)', async () => {
  const usage = await runDeliver(['--config', configPath], 'Subject: x\n\nx\n');
  assert.equal(usage.code, 64);
  const nouser = await runDeliver(['-d', 'nobody@example.org', '--config', configPath], 'Subject: x\n\nx\n');
  assert.equal(nouser.code, 67, nouser.stderr);
});

test('service end to end: listeners, health, metrics, deliver, IMAP login, SIGHUP keeps sessions, SIGTERM', async (t) => {
  const svc = startService(['--config', configPath], env);
  t.after(() => { if (svc.child.exitCode === null) svc.child.kill('SIGKILL'); });
  const ports = await started(svc);
  const cert = readFileSync(join(dir, 'data', 'tls', 'cert.pem'), 'utf8');

  // /healthz and /metrics
  const ready = await fetch(`http://127.0.0.1:${ports.http}/healthz/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true, checks: { listeners: 'ok', storage: 'ok' } });
  assert.equal((await fetch(`http://127.0.0.1:${ports.http}/healthz/live`)).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
  assert.match(metrics, /mail_listener_up\{listener="imap"\} 1/);
  assert.match(metrics, /mail_listener_up\{listener="imaps"\} 1/);
  assert.match(metrics, /nodejs_heap_size_used_bytes/);

  // Delivery through an alias, as a separate process (what an MTA does).
  const msg = 'From: bob@example.net\nTo: postmaster@example.org\nSubject: e2e hello\n\nbody line\n';
  const d = await runDeliver(['-d', 'postmaster@example.org', '--config', configPath], msg);
  assert.equal(d.code, 0, d.stderr);
  const d2 = await runDeliver(['-d', 'alice@example.org', '-m', 'Lists', '--config', configPath], 'Subject: to a folder\n\nx\n');
  assert.equal(d2.code, 0, d2.stderr);
  assert.ok(existsSync(join(dir, 'data', 'mail', 'example.org', 'alice')), 'mail home <mailRoot>/<domain>/<localpart>');

  // IMAP with STARTTLS on the plain port (RFC 8314: no plaintext auth without TLS) and implicit TLS.
  const c1 = client(ports.imap, false, cert);
  await c1.connect();
  const lock = await c1.getMailboxLock('INBOX');
  try {
    const found: string[] = [];
    for await (const m of c1.fetch('1:*', { envelope: true })) found.push(m.envelope?.subject ?? '');
    assert.deepEqual(found, ['e2e hello']);
  } finally {
    lock.release();
  }
  assert.equal(await count(c1, 'Lists'), 1);

  // SIGHUP with a changed but valid config: the open session keeps working.
  writeFileSync(configPath, CONFIG.replace('level: info', 'level: debug'));
  svc.child.kill('SIGHUP');
  await svc.waitFor(/reload done/);
  assert.equal(svc.child.exitCode, null);
  assert.equal(await count(c1, 'INBOX'), 1, 'session established before SIGHUP still answers');
  await c1.noop();

  // SIGHUP also re-reads the users file: a user added now can log in on a new connection.
  writeFileSync(users, `${readFileSync(users, 'utf8')}  carol@example.org:\n    password: "{PLAIN}carolpw"\n`);
  svc.child.kill('SIGHUP');
  await svc.waitFor(/reload done/);
  const carol = new ImapFlow({ host: '127.0.0.1', port: ports.imaps, secure: true, tls: { ca: [cert], servername: 'localhost' }, auth: { user: 'carol@example.org', pass: 'carolpw' }, logger: false });
  await carol.connect();
  await carol.logout();

  // SIGHUP with a bad config: refused with a log line, old config stays, session still fine.
  writeFileSync(configPath, `${CONFIG}bogus: 1\n`);
  svc.child.kill('SIGHUP');
  await svc.waitFor(/configuration refused, keeping the running one: bogus: unknown key/);
  assert.equal(await count(c1, 'INBOX'), 1);
  writeFileSync(configPath, CONFIG);

  // A new session after the reloads, over implicit TLS.
  const c2 = client(ports.imaps, true, cert);
  await c2.connect();
  assert.equal(await count(c2, 'INBOX'), 1);
  await c2.logout();
  await c1.logout();
  const metrics2 = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
  assert.match(metrics2, /mail_config_reloads_total\{result="applied"\} 2/);
  assert.match(metrics2, /mail_config_reloads_total\{result="refused"\} 1/);

  // Graceful stop with a session still open: it is closed by the server and the process exits 0.
  const c3 = client(ports.imaps, true, cert);
  await c3.connect();
  const closed = new Promise<void>((resolve) => c3.once('close', () => resolve()));
  assert.equal(await stop(svc), 0, svc.stderr());
  await closed;
});

test('embedded defaults (no --config): first start creates the users file and prints a working sample password', async (t) => {
  const data = join(dir, 'embedded');
  const svc = startService([], {
    MAIL_NODE__DATADIR: data, MAIL_NODE__HOSTNAME: 'e2e.test', MAIL_IMAP__HOST: '127.0.0.1', MAIL_IMAP__PORT: '0', MAIL_IMAP__TLSPORT: '0',
    MAIL_HTTP__PORT: 'null', MAIL_STORAGE__FSYNC: 'false',
  });
  t.after(() => { if (svc.child.exitCode === null) svc.child.kill('SIGKILL'); });
  const pw = (await svc.waitFor(/^created .*users\.yaml with sample user demo@example\.org, password (\S+)$/m))[1]!;
  const imaps = Number((await svc.waitFor(/^listening imaps 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/^mail node e2e\.test ready \(config: embedded defaults\)/m);
  assert.match(svc.stdout(), /openssl s_client -quiet -connect 127\.0\.0\.1:\d+ -CAfile /);
  assert.doesNotMatch(readFileSync(join(data, 'users.yaml'), 'utf8'), new RegExp(pw), 'password stored only as a hash');
  const cert = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
  const c = new ImapFlow({ host: '127.0.0.1', port: imaps, secure: true, tls: { ca: [cert], servername: 'localhost' }, auth: { user: 'demo@example.org', pass: pw }, logger: false });
  await c.connect();
  const names = (await c.list()).map((m) => m.path);
  assert.ok(names.includes('INBOX'));
  await c.logout();
  assert.equal(await stop(svc), 0);
  // Second start: the users file exists, no new password is printed.
  const again = startService([], { MAIL_NODE__DATADIR: data, MAIL_NODE__HOSTNAME: 'e2e.test', MAIL_IMAP__HOST: '127.0.0.1', MAIL_IMAP__PORT: '0', MAIL_IMAP__TLSPORT: 'false', MAIL_HTTP__PORT: 'false' });
  t.after(() => { if (again.child.exitCode === null) again.child.kill('SIGKILL'); });
  await again.waitFor(/ready/);
  assert.doesNotMatch(again.stdout(), /sample user .*password/);
  assert.equal(await stop(again), 0);
});
