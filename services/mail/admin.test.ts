/**
 * Issue 6 (registry, who/kick, admin API): two mail nodes share one Redis; IMAP sessions on both are
 * listed by `mailctl who` and closed by `mailctl kick`; the user+IP limit holds across the nodes;
 * quota get, user lookup, auth test, log test and reload answer through the admin API.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ImapFlow } from 'imapflow';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { startService, runDeliver, type Service } from './testing.js';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test:admin:${randomBytes(4).toString('hex')}:`;
const MAILCTL = fileURLToPath(new URL('../mailctl/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mailnode-admin-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  const r = new Redis(REDIS); const keys = await r.keys(`${prefix}*`); if (keys.length) await r.del(...keys); r.disconnect();
});

const users = join(dir, 'users.yaml');
writeFileSync(users, `users:
  alice@example.org:
    password: "${hashPassword('alicepw')}"
    aliases: [al@example.org]
    quota: 10
  bob@example.org:
    password: "${hashPassword('bobpw')}"
`);

function nodeConfig(name: string): string {
  mkdirSync(join(dir, name), { recursive: true });
  const path = join(dir, name, 'mailnode.yaml');
  writeFileSync(path, `node: { hostname: ${name}, dataDir: data }
directory: { path: ${users} }
storage: { fsync: false }
imap: { host: 127.0.0.1, port: null, tlsPort: 0, maxUserIpConnections: 3 }
pop3: { host: 127.0.0.1, port: null, tlsPort: null }
managesieve: { host: 127.0.0.1, port: null }
quotaStatus: { port: null }
lmtp: { port: null, socket: false }
sasl: { socket: false }
http: { port: null }
redis: { url: "${REDIS}", prefix: "${prefix}" }
admin: { host: 127.0.0.1, port: 0 }
`);
  return path;
}

async function start(name: string): Promise<{ svc: Service; imaps: number; admin: number; config: string; ca: string }> {
  const config = nodeConfig(name);
  const svc = startService(['--config', config]);
  const imaps = Number((await svc.waitFor(/^listening imaps 127\.0\.0\.1:(\d+)$/m))[1]);
  const admin = Number((await svc.waitFor(/^listening admin 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/ready/);
  return { svc, imaps, admin, config, ca: readFileSync(join(dir, name, 'data', 'tls', 'cert.pem'), 'utf8') };
}

function mailctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [MAILCTL, ...args], (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function imap(port: number, ca: string, user: string, pass: string): ImapFlow {
  const c = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { ca: [ca], servername: 'localhost' }, auth: { user, pass }, logger: false });
  c.on('error', () => { /* kicked sessions end with an error on some clients */ });
  return c;
}

test('who and kick across two nodes, cluster-wide user+IP limit, quota/user/auth/log/reload verbs', async (t) => {
  const a = await start('site-a');
  const b = await start('site-b');
  const clients: ImapFlow[] = [];
  t.after(async () => {
    for (const c of clients) await c.logout().catch(() => {});
    for (const n of [a, b]) if (n.svc.child.exitCode === null) { n.svc.child.kill('SIGTERM'); await n.svc.exited; }
  });
  const ctl = (args: string[]) => mailctl(['-c', a.config, '--url', `http://127.0.0.1:${a.admin}`, ...args]);

  for (const [n, user, pass] of [[a, 'alice@example.org', 'alicepw'], [b, 'alice@example.org', 'alicepw'], [b, 'bob@example.org', 'bobpw']] as const) {
    const c = imap(n.imaps, n.ca, user, pass);
    await c.connect();
    clients.push(c);
  }

  const who = await ctl(['who']);
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, /alice@example\.org\s+2\s+imap\s+\(127\.0\.0\.1\)\s+\(site-a site-b\)/);
  assert.match(who.stdout, /bob@example\.org\s+1\s+imap\s+\(127\.0\.0\.1\)\s+\(site-b\)/);
  const one = await ctl(['--json', 'who', '-1', 'alice*']);
  assert.equal((JSON.parse(one.stdout) as { sessions: unknown[] }).sessions.length, 2);

  // mail_max_userip_connections = 3 holds across both nodes: alice has 2, a 3rd is fine, a 4th refused.
  const third = imap(b.imaps, b.ca, 'alice@example.org', 'alicepw');
  await third.connect();
  clients.push(third);
  const fourth = imap(a.imaps, a.ca, 'alice@example.org', 'alicepw');
  await assert.rejects(fourth.connect(), 'the 4th alice session from 127.0.0.1 is refused cluster-wide');

  // kick: every alice session, on both nodes, is closed; bob's stays.
  const closed = clients.slice(0, 2).concat(third).map((c) => new Promise<void>((r) => c.once('close', () => r())));
  const kick = await ctl(['kick', 'alice@*']);
  assert.equal(kick.code, 0, kick.stderr);
  assert.match(kick.stdout, /kicked 3 connection\(s\) \(2\/2 nodes answered\)/);
  await Promise.all(closed);
  await clients[2]!.noop();
  const after = await ctl(['who']);
  assert.doesNotMatch(after.stdout, /alice/);
  assert.match(after.stdout, /bob@example\.org/);
  assert.equal((await ctl(['kick', 'nobody@*'])).code, 68, 'kick that matches nobody: exit 68');

  // quota get (doveadm columns; STORAGE in KiB) after a delivery to alice.
  const d = await runDeliver(['-d', 'alice@example.org', '--config', a.config], `Subject: q\n\n${'x'.repeat(3000)}\n`);
  assert.equal(d.code, 0, d.stderr);
  const q = await ctl(['quota', 'get', '-u', 'alice@example.org']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^Username\s+Quota name\s+Type\s+Value\s+Limit\s+%$/m);
  assert.match(q.stdout, /alice@example\.org\s+User quota\s+STORAGE\s+[34]\s+10240\s+0/);
  assert.match(q.stdout, /alice@example\.org\s+User quota\s+MESSAGE\s+1\s+-\s+0/);
  const all = await ctl(['--json', 'quota', 'get', '-A']);
  assert.ok((JSON.parse(all.stdout) as { quota: { user: string }[] }).quota.some((l) => l.user === 'alice@example.org'));

  const look = await ctl(['user', 'lookup', 'al@example.org']);
  assert.match(look.stdout, /user\s+alice@example\.org/);
  assert.match(look.stdout, /quota\s+10 MB/);
  assert.equal((await ctl(['user', 'lookup', 'nobody@example.org'])).code, 68);
  assert.equal((await ctl(['auth', 'test', 'alice@example.org', 'alicepw'])).code, 0);
  assert.equal((await ctl(['auth', 'test', 'alice@example.org', 'wrong'])).code, 1);

  const log = await ctl(['log', 'test']);
  assert.equal(log.code, 0);
  await a.svc.waitFor(/This is a warn level test line/);

  const rel = await ctl(['reload']);
  assert.equal(rel.code, 0, rel.stderr);
  assert.match(rel.stdout, /reloaded 2 node\(s\)/);
  await a.svc.waitFor(/reload done/);
  await b.svc.waitFor(/reload done/);
  await clients[2]!.noop(); // reload keeps sessions

  assert.equal((await mailctl(['--url', `http://127.0.0.1:${a.admin}`, '--api-key', 'wrong', 'who'])).code, 77);
});
