// The auth cache and penalty against real components: OpenLDAP slapd (libs/testing/src/slapd.ts),
// the machine's Redis on 127.0.0.1:6379 (own key prefix per run) or a private redis-server for the
// "Redis stopped" test, and logins through the real IMAP server over TCP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { startSlapd, type Slapd } from '../../testing/src/slapd.js';
import { startRedis } from '../../testing/src/redis.js';
import { startImapWith, type ImapWithDirectory } from '../../testing/src/imap.js';
import { RawClient } from '../../imap-server/src/testing.js';
import { LdapDirectory } from '../../directory/src/ldap/index.js';
import { isMailError } from '../../core/src/errors.js';
import { CachingDirectory, type CachingDirectoryOptions } from './caching-directory.js';
import { AuthPenalty } from './penalty.js';
import { createAuthRedis, redisReady } from './redis.js';

const PREFIX = `test:auth:${randomBytes(6).toString('hex')}:`;
const SECRET = randomBytes(32);
let slapd: Slapd;
let redis: Redis;
const closers: Array<() => Promise<unknown>> = [];

before(async () => {
  slapd = await startSlapd();
  redis = createAuthRedis('redis://127.0.0.1:6379');
  await redisReady(redis);
});
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  if (redis) {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await slapd?.close();
});

function ldap(over: { aliasLogin?: boolean } = {}): LdapDirectory {
  return new LdapDirectory({ uris: [slapd.url], base: slapd.suffix, timeoutMs: 2000, connectTimeoutMs: 500, ...over });
}
async function node(over: Partial<CachingDirectoryOptions> = {}, inner = ldap({ aliasLogin: true })) {
  const metrics = new Registry();
  const cache = new CachingDirectory(inner, { redis, prefix: PREFIX, secret: SECRET, metrics, ...over });
  await cache.ready;
  closers.push(() => cache.close());
  return { cache, inner, metrics };
}
async function imap(directory: CachingDirectory): Promise<ImapWithDirectory> {
  const s = await startImapWith(directory);
  closers.push(() => s.close());
  return s;
}
/** IMAP LOGIN over TCP; returns the tagged reply line. */
async function login(port: number, user: string, pw: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.line();
    const lines = await c.cmd('a', `LOGIN "${user}" "${pw}"`, 10_000);
    c.send('z LOGOUT\r\n');
    return lines[lines.length - 1]!;
  } finally {
    c.sock.destroy();
  }
}
async function setPassword(uid: string, pw: string): Promise<void> {
  const c = await slapd.admin();
  try {
    await c.modify(`uid=${uid},cn=users,${slapd.suffix}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [pw] }) }));
  } finally {
    await c.unbind();
  }
}
const ops = (d: LdapDirectory) => d.operations.bind + d.operations.search;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('IMAP LOGIN through the cache: primary address and alias log in, wrong password is AUTHENTICATIONFAILED', async () => {
  const { cache } = await node();
  const s = await imap(cache);
  assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
  assert.match(await login(s.port, 'postmaster@example.org', 'alicepw'), /^a OK/);
  assert.match(await login(s.port, 'alice@example.org', 'bad'), /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match(await login(s.port, 'carol@example.org', 'carolpw'), /^a NO \[AUTHENTICATIONFAILED\]/, 'disabled user');
  assert.match(await login(s.port, '*)(uid=*', 'alicepw'), /^a NO \[AUTHENTICATIONFAILED\]/, 'injection finds nobody');
});

test('a warm login costs zero LDAP operations; hits/misses/entries as metrics; the password is never stored', async () => {
  const { cache, inner, metrics } = await node();
  assert.ok(await cache.authenticate('bob@example.org', 'bobpw'));
  const before1 = ops(inner);
  for (let i = 0; i < 20; i++) assert.equal((await cache.authenticate('bob@example.org', 'bobpw'))?.user, 'bob@example.org');
  assert.equal(ops(inner) - before1, 0);
  const st = cache.stats();
  assert.equal(st.misses, 1);
  assert.equal(st.hits, 20);
  const text = await metrics.metrics();
  assert.match(text, /mail_auth_cache_hits_total\{level="local",result="positive"\} 20/);
  assert.match(text, /mail_auth_cache_misses_total 1/);
  assert.match(text, /mail_auth_cache_entries 1/);
  for (const k of await redis.keys(`${PREFIX}*`)) {
    const type = await redis.type(k);
    const v = type === 'string' ? await redis.get(k) : (await redis.smembers(k)).join(' ');
    assert.ok(!k.includes('bobpw') && !v!.includes('bobpw'), `password in ${k}`);
  }
});

test('shared level: node B hits what node A cached (no LDAP); flush on B empties A too (pub/sub); password change', async () => {
  const a = await node();
  const b = await node();
  const s = await imap(a.cache);
  assert.match(await login(s.port, 'dave@example.org', 'davepw'), /^a NO/, 'dave is locked');
  // alice logs in on A; B gets her from Redis without asking LDAP.
  assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
  const bOps = ops(b.inner);
  assert.equal((await b.cache.authenticate('alice@example.org', 'alicepw'))?.user, 'alice@example.org');
  assert.equal(ops(b.inner) - bOps, 0, 'no LDAP operation on node B');
  assert.equal(b.cache.stats().sharedHits, 1);

  await setPassword('alice', 'alice-new');
  try {
    // Within the positive TTL, without a flush, the old password still works (Dovecot auth cache semantics).
    assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
    assert.match(await login(s.port, 'alice@example.org', 'alice-new'), /^a OK/);
    const flushed = await b.cache.flush(['alice@example.org']);
    assert.ok(flushed >= 1);
    await sleep(100); // the pub/sub message reaches node A
    assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a NO \[AUTHENTICATIONFAILED\]/, 'old password refused after flush');
    assert.match(await login(s.port, 'alice@example.org', 'alice-new'), /^a OK/);
  } finally {
    await setPassword('alice', 'alicepw');
    await b.cache.flush();
  }
});

test('flush of everything reaches every node; positive TTL expiry makes a password change effective without flush', async () => {
  const a = await node({ ttlMs: 400 });
  const b = await node({ ttlMs: 400 });
  assert.ok(await a.cache.authenticate('bob@example.org', 'bobpw'));
  assert.equal(a.cache.stats().entries, 1);
  await b.cache.flush();
  await sleep(150);
  assert.equal(a.cache.stats().entries, 0, 'node A emptied by node B\'s flush');

  assert.ok(await a.cache.authenticate('bob@example.org', 'bobpw'));
  await setPassword('bob', 'bob-new');
  try {
    assert.ok(await a.cache.authenticate('bob@example.org', 'bobpw'), 'cached within TTL');
    await sleep(500);
    assert.equal(await a.cache.authenticate('bob@example.org', 'bobpw'), null, 'after the positive TTL the old password is refused');
    assert.equal((await a.cache.authenticate('bob@example.org', 'bob-new'))?.user, 'bob@example.org');
  } finally {
    await setPassword('bob', 'bobpw');
    await a.cache.flush();
  }
});

test('slapd stopped mid-test: a cached user still logs in over IMAP, others get NO [UNAVAILABLE]', async () => {
  const { cache } = await node();
  const s = await imap(cache);
  assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
  await slapd.stop();
  try {
    assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
    assert.match(await login(s.port, 'bob@example.org', 'bobpw'), /^a NO \[UNAVAILABLE\]/);
    assert.match(await login(s.port, 'alice@example.org', 'wrong-while-down'), /^a NO \[UNAVAILABLE\]/, 'never a wrong-password answer while LDAP is down');
  } finally {
    await slapd.start();
  }
  assert.match(await login(s.port, 'bob@example.org', 'bobpw'), /^a OK/);
});

test('Redis stopped mid-test (private redis-server): logins go on through LDAP and the local cache, quickly', async () => {
  const priv = await startRedis();
  closers.push(() => priv.close());
  const r = createAuthRedis(priv.url);
  closers.push(async () => r.disconnect());
  await redisReady(r);
  const { cache } = await node({ redis: r });
  const s = await imap(cache);
  assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/);
  await priv.stop();
  const t0 = Date.now();
  assert.match(await login(s.port, 'alice@example.org', 'alicepw'), /^a OK/, 'local level');
  assert.match(await login(s.port, 'bob@example.org', 'bobpw'), /^a OK/, 'LDAP without Redis');
  assert.match(await login(s.port, 'bob@example.org', 'nope'), /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.ok(Date.now() - t0 < 3000, `no hang without Redis (${Date.now() - t0} ms)`);
  await cache.flush(['bob@example.org']); // must not throw or hang either
});

test('auth penalty per IP: doubling from init to max, shared through Redis, reset by success', async () => {
  const p1 = new AuthPenalty({ redis, prefix: PREFIX, initMs: 100, maxMs: 400 });
  const p2 = new AuthPenalty({ redis, prefix: PREFIX, initMs: 100, maxMs: 400 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => p1.delayFor(n)), [0, 100, 200, 400, 400, 400]);
  const { cache } = await node({ penalty: p1 });
  const ip = '192.0.2.7';
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = Date.now();
    assert.equal(await cache.authenticate('alice@example.org', `wrong${i}`, { remoteIp: ip }), null);
    times.push(Date.now() - t);
  }
  assert.ok(times[0]! < 90, `first attempt not delayed (${times})`);
  assert.ok(times[1]! >= 95 && times[2]! >= 195 && times[3]! >= 395, `delays double (${times})`);
  assert.equal(await p2.failures(ip), 4, 'another node sees the count (Redis)');
  assert.equal(await p2.failures('192.0.2.8'), 0, 'other IPs are not penalised');
  assert.ok(await cache.authenticate('alice@example.org', 'alicepw', { remoteIp: ip }));
  assert.equal(await p2.failures(ip), 0, 'success resets');
  const local = new AuthPenalty({ initMs: 100 });
  await local.failed('192.0.2.9');
  assert.equal(await local.failures('192.0.2.9'), 1, 'in process without Redis');
});

test('the local level is bounded: evictions counted', async () => {
  const { cache, metrics } = await node({ maxEntries: 2, redis: null });
  for (const pw of ['x1', 'x2', 'x3', 'x4']) await cache.authenticate('alice@example.org', pw);
  const st = cache.stats();
  assert.equal(st.entries, 2);
  assert.equal(st.evictions, 2);
  assert.match(await metrics.metrics(), /mail_auth_cache_evictions_total 2/);
});

test('LDAP TEMP errors are not cached', async () => {
  const dead = new LdapDirectory({ uris: ['ldap://127.0.0.1:1'], base: slapd.suffix, connectTimeoutMs: 300 });
  const { cache } = await node({ redis: null }, dead);
  await assert.rejects(cache.authenticate('alice@example.org', 'alicepw'), (e) => isMailError(e) && e.code === 'TEMP');
  assert.equal(cache.stats().entries, 0);
});
