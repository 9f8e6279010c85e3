// End to end: the mail node (compiled main.js as a child process) with directory.type ldap against
// a real slapd, the shared auth cache in the machine's Redis (own prefix), IMAP logins over TCP,
// SIGUSR2 statistics in the log and the auth/LDAP metrics on /metrics.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSlapd, type Slapd } from '../../libs/testing/src/slapd.js';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { Attribute, Change } from 'ldapts';
import { LOOPBACK_IMAP, nodeYaml, singleNode } from '../../libs/testing/src/node-config.js';
import { runMain, startService, type Service } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mailnode-ldap-'));
const PREFIX = `test:mailnode-ldap:${randomBytes(6).toString('hex')}:`;
let slapd: Slapd;
let svc: Service | null = null;

before(async () => { slapd = await startSlapd(); });
after(async () => {
  if (svc && svc.child.exitCode === null) { svc.child.kill('SIGTERM'); await svc.exited; }
  const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await r.connect().catch(() => undefined);
  const keys = await r.keys(`${PREFIX}*`).catch(() => [] as string[]);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  await slapd?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function login(port: number, user: string, pw: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.line();
    const lines = await c.cmd('a', `LOGIN "${user}" "${pw}"`, 10_000);
    return lines[lines.length - 1]!;
  } finally {
    c.sock.destroy();
  }
}

test('mail node with directory.type ldap: IMAP logins via LDAP, warm logins without LDAP, SIGUSR2 stats, metrics', async () => {
  const configPath = join(dir, 'mailnode.yaml');
  writeFileSync(configPath, nodeYaml({
    ...singleNode('ldap-e2e.test'),
    directory: { type: 'ldap', ldapUris: [slapd.url], ldapBase: slapd.suffix, ldapAliasLogin: true },
    auth: { redisUrl: 'redis://127.0.0.1:6379', redisPrefix: PREFIX, cacheSecret: 'e2e-secret', penaltyInit: 0 },
    imap: { ...LOOPBACK_IMAP, allowPlaintextAuth: true },
    pop3: { port: null, tlsPort: null },
    managesieve: { port: null },
    quotaStatus: { port: null },
    lmtp: { socket: false },
  }));
  svc = startService(['--config', configPath]);
  const imapPort = Number((await svc.waitFor(/^listening imap 127\.0\.0\.1:(\d+)$/m))[1]);
  const httpPort = Number((await svc.waitFor(/^listening http 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/ready/m);

  assert.match(await login(imapPort, 'alice@example.org', 'alicepw'), /^a OK/);
  assert.match(await login(imapPort, 'a.example@example.org', 'alicepw'), /^a OK/, 'alias login (ldapAliasLogin)');
  assert.match(await login(imapPort, 'alice@example.org', 'wrong'), /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match(await login(imapPort, 'carol@example.org', 'carolpw'), /^a NO \[AUTHENTICATIONFAILED\]/, 'disabled in UCS');

  const metrics = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const ldapOps = (text: string) => [...text.matchAll(/^mail_ldap_operations_total\{op="\w+"\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
  const before1 = ldapOps(await metrics());
  assert.ok(before1 > 0, 'LDAP was asked for the cold logins');
  for (let i = 0; i < 5; i++) assert.match(await login(imapPort, 'alice@example.org', 'alicepw'), /^a OK/);
  const text = await metrics();
  assert.equal(ldapOps(text), before1, 'warm logins cost zero LDAP operations');
  assert.match(text, /mail_auth_cache_hits_total\{level="local",result="positive"\} 5/);

  // A password changed in LDAP: the cached old one works until `mailnode auth-cache-flush` (doveadm auth cache flush).
  const admin = await slapd.admin();
  await admin.modify(`uid=alice,cn=users,${slapd.suffix}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['alice-new'] }) }));
  await admin.unbind();
  assert.match(await login(imapPort, 'alice@example.org', 'alicepw'), /^a OK/, 'cached within the positive TTL');
  const flush = await runMain(['auth-cache-flush', '--config', configPath, 'alice@example.org'], '');
  assert.equal(flush.code, 0, flush.stderr);
  assert.match(flush.stdout, /auth cache flushed \(alice@example.org\)/);
  let refused = '';
  for (let i = 0; i < 50 && !refused.startsWith('a NO'); i++) {
    refused = await login(imapPort, 'alice@example.org', 'alicepw');
    if (!refused.startsWith('a NO')) await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(refused, /^a NO \[AUTHENTICATIONFAILED\]/, 'old password refused after the flush reached the node');
  assert.match(await login(imapPort, 'alice@example.org', 'alice-new'), /^a OK/);

  svc.child.kill('SIGUSR2');
  await svc.waitFor(/auth cache statistics/);
  assert.match(svc.stdout(), /"authCache":\{"hits":\d+,"misses":\d+/);
});
