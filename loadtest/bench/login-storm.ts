/**
 * Login storm: IMAP logins per second against the LDAP directory (real slapd, UCS schema) behind
 * the auth cache, and how many LDAP operations one login costs.
 *   cold   — every user logs in once with an empty cache: every login asks LDAP (search + bind)
 *   warm   — the same users again: local cache hits, goal ZERO LDAP operations per login
 *   shared — a second "node" (empty local level, same Redis): Redis hits, also zero LDAP operations
 * Each login is a fresh TCP connection: greeting, LOGIN, LOGOUT. LDAP operations are counted by
 * LdapDirectory (every bind and search request it sends, including pool connects).
 * The IMAP server runs in this process (one event loop with the clients): compare runs, not absolutes.
 *
 *   npm run build && node dist/loadtest/bench/login-storm.js [--users 2000] [--logins 20000] [--concurrency 32] [--redis redis://127.0.0.1:6379|none] [--json out.json]
 *   smoke:  node dist/loadtest/bench/login-storm.js --users 50 --logins 300 --concurrency 8
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { BASE_LDIF, startSlapd } from '../../libs/testing/src/slapd.js';
import { startImapWith, type ImapWithDirectory } from '../../libs/testing/src/imap.js';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { LdapDirectory } from '../../libs/directory/src/ldap/index.js';
import { CachingDirectory, createAuthRedis, redisReady } from '../../libs/auth/src/index.js';
import { arg } from '../lib/bench-args.js';

const USERS = Number(arg('users', '2000'));
const LOGINS = Number(arg('logins', '20000'));
const CONCURRENCY = Number(arg('concurrency', '32'));
const REDIS = arg('redis', 'redis://127.0.0.1:6379');
const JSON_OUT = arg('json', '');
const PREFIX = `bench:login-storm:${randomBytes(4).toString('hex')}:`;

function usersLdif(n: number): string {
  const out = [BASE_LDIF];
  for (let i = 0; i < n; i++) {
    out.push(`
dn: uid=u${i},cn=users,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: univentionMail
uid: u${i}
cn: User ${i}
sn: ${i}
uidNumber: ${10000 + i}
gidNumber: 5000
homeDirectory: /home/u${i}
userPassword: pw${i}
mailPrimaryAddress: u${i}@example.org
univentionMailHomeServer: mail1.example.org
univentionMailUserQuota: 100
`);
  }
  return out.join('');
}

async function login(port: number, user: string, pw: string): Promise<boolean> {
  const c = await RawClient.connect(port);
  try {
    await c.line();
    const lines = await c.cmd('a', `LOGIN ${user} ${pw}`, 30_000);
    c.send('z LOGOUT\r\n');
    return lines[lines.length - 1]!.startsWith('a OK');
  } finally {
    c.sock.destroy();
  }
}

interface Phase { name: string; logins: number; failed: number; seconds: number; loginsPerSec: number; ldapOps: number; ldapOpsPerLogin: number }

async function storm(name: string, imap: ImapWithDirectory, ldap: LdapDirectory, picks: number[]): Promise<Phase> {
  const ops0 = ldap.operations.bind + ldap.operations.search;
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, picks.length) }, async () => {
    while (next < picks.length) {
      const i = picks[next++]!;
      if (!(await login(imap.port, `u${i}@example.org`, `pw${i}`))) failed++;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ldapOps = ldap.operations.bind + ldap.operations.search - ops0;
  return { name, logins: picks.length, failed, seconds, loginsPerSec: picks.length / seconds, ldapOps, ldapOpsPerLogin: ldapOps / picks.length };
}

async function main(): Promise<void> {
  process.stderr.write(`slapd with ${USERS} users...\n`);
  const slapd = await startSlapd({ ldif: usersLdif(USERS) });
  let redis: Redis | null = null;
  const closers: Array<() => Promise<unknown>> = [];
  try {
    if (REDIS !== 'none') { redis = createAuthRedis(REDIS); await redisReady(redis); }
    const secret = randomBytes(32);
    const mk = async () => {
      const ldap = new LdapDirectory({ uris: [slapd.url], base: slapd.suffix });
      const cache = new CachingDirectory(ldap, { redis, prefix: PREFIX, secret, metrics: new Registry(), maxEntries: Math.max(USERS * 2, 1000) });
      await cache.ready;
      const imap = await startImapWith(cache);
      closers.push(() => imap.close(), () => cache.close());
      return { ldap, cache, imap };
    };
    const a = await mk();
    const all = Array.from({ length: USERS }, (_, i) => i);
    const random = Array.from({ length: LOGINS }, () => Math.floor(Math.random() * USERS));
    const phases: Phase[] = [];
    phases.push(await storm('cold (every login asks LDAP)', a.imap, a.ldap, all));
    phases.push(await storm('warm (local cache)', a.imap, a.ldap, random));
    if (redis) {
      const b = await mk();
      phases.push(await storm('shared (2nd node, Redis level)', b.imap, b.ldap, all));
    }
    const w = (s: string, n: number) => s.padEnd(n);
    process.stdout.write(`\nlogin storm: ${USERS} users, concurrency ${CONCURRENCY}, Redis ${redis ? 'on' : 'off'}\n`);
    process.stdout.write(`${w('phase', 34)}${w('logins', 9)}${w('failed', 8)}${w('logins/s', 11)}LDAP ops/login\n`);
    for (const p of phases) {
      process.stdout.write(`${w(p.name, 34)}${w(String(p.logins), 9)}${w(String(p.failed), 8)}${w(p.loginsPerSec.toFixed(0), 11)}${p.ldapOpsPerLogin.toFixed(3)}\n`);
    }
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ users: USERS, concurrency: CONCURRENCY, redis: redis !== null, phases }, null, 2));
    const bad = phases.some((p) => p.failed > 0) || phases.slice(1).some((p) => p.ldapOps > 0);
    if (bad) { process.stderr.write('FAILED: failed logins or LDAP operations on warm logins\n'); process.exitCode = 1; }
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    if (redis) {
      const keys = await redis.keys(`${PREFIX}*`).catch(() => [] as string[]);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500)).catch(() => 0);
      redis.disconnect();
    }
    await slapd.close();
  }
}

main().catch((e: unknown) => { process.stderr.write(`login-storm: ${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
