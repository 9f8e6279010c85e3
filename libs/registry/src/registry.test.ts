/** One contract suite for both registries, plus the cluster-only behaviour of the Redis one. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryRegistry } from './memory.js';
import { RedisRegistry } from './redis.js';
import { ipMatches, maskToRegExp } from './match.js';
import type { SessionRegistry } from './types.js';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefixes: string[] = [];
const newPrefix = () => { const p = `test:registry:${randomBytes(4).toString('hex')}:`; prefixes.push(p); return p; };

after(async () => {
  const r = new Redis(REDIS);
  for (const p of prefixes) {
    const keys = await r.keys(`${p}*`);
    if (keys.length) await r.del(...keys);
  }
  r.disconnect();
});

const noKick = () => {};

function contract(name: string, make: () => Promise<{ a: SessionRegistry; b: SessionRegistry; close(): Promise<void> }>) {
  describe(`SessionRegistry contract: ${name}`, () => {
    it('registers, lists with filters, and unregisters', async () => {
      const { a, close } = await make();
      try {
        const r1 = await a.register({ service: 'imap', user: 'Alice@Example.org', ip: '127.0.0.2', maxUserIp: 10, onKick: noKick });
        const r2 = await a.register({ service: 'pop3', user: 'bob@example.org', ip: '127.0.0.3', maxUserIp: 10, onKick: noKick });
        assert.ok(r1.ok && r2.ok);
        assert.equal((await a.list()).length, 2);
        assert.deepEqual((await a.list({ userMask: 'alice@*' })).map((s) => s.user), ['alice@example.org'], 'user stored lower-case, mask case-insensitive');
        assert.deepEqual((await a.list({ ip: '127.0.0.3' })).map((s) => s.service), ['pop3']);
        assert.equal((await a.list({ ip: '127.0.0.0/8' })).length, 2);
        assert.equal((await a.list({ service: 'imap' })).length, 1);
        const s = (await a.list({ userMask: 'alice*' }))[0]!;
        assert.equal(s.node, a.node);
        assert.ok(s.start <= Date.now() && s.start > Date.now() - 10_000);
        await r1.registration.unregister();
        await r1.registration.unregister(); // idempotent
        assert.deepEqual((await a.list()).map((x) => x.user), ['bob@example.org']);
        assert.equal(a.localCount(), 1);
      } finally { await close(); }
    });

    it('per user+IP limit (mail_max_userip_connections): the limit+1st is refused, a freed slot is reusable', async () => {
      const { a, b, close } = await make();
      try {
        const req = { service: 'imap' as const, user: 'carol@example.org', ip: '127.0.0.4', maxUserIp: 3, onKick: noKick };
        const regs = [await a.register(req), await b.register(req), await a.register(req)];
        assert.ok(regs.every((r) => r.ok));
        const refused = await b.register(req);
        assert.deepEqual(refused, { ok: false, reason: 'userip-limit', current: 3 });
        assert.ok((await a.register({ ...req, ip: '127.0.0.5' })).ok, 'another IP has its own count');
        assert.ok((await a.register({ ...req, service: 'pop3' })).ok, 'another service has its own count');
        if (regs[1]!.ok) await regs[1]!.registration.unregister();
        assert.ok((await b.register(req)).ok);
        assert.ok((await a.register({ ...req, maxUserIp: 0 })).ok, '0 = unlimited');
      } finally { await close(); }
    });

    it('kick with a wildcard mask closes matching sessions on every node and counts them', async () => {
      const { a, b, close } = await make();
      try {
        const kicked: string[] = [];
        const on = (who: string) => (reason: string) => { kicked.push(`${who}:${reason}`); };
        await a.register({ service: 'imap', user: 'dave@example.org', ip: '127.0.0.6', maxUserIp: 0, onKick: on('a-dave') });
        // The handler may be an object with kick() (what the proxy's sessions are).
        await b.register({ service: 'imap', user: 'erin@example.org', ip: '127.0.0.6', maxUserIp: 0, onKick: { kick: on('b-erin') } });
        await b.register({ service: 'imap', user: 'frank@other.test', ip: '127.0.0.6', maxUserIp: 0, onKick: on('b-frank') });
        const r = await a.kick({ userMask: '*@example.org' }, 'Kicked');
        assert.equal(r.kicked, 2);
        assert.equal(r.nodesAnswered, r.nodesAsked);
        assert.deepEqual(kicked.sort(), ['a-dave:Kicked', 'b-erin:Kicked']);
        assert.equal((await a.kick({ userMask: 'd?ve@example.org' })).kicked, 1, '? matches one character');
        assert.equal((await a.kick({ userMask: 'nobody' })).kicked, 0);
      } finally { await close(); }
    });
  });
}

contract('in-process', async () => {
  const a = new MemoryRegistry('solo');
  return { a, b: a, close: () => a.close() };
});

contract('Redis, two nodes', async () => {
  const prefix = newPrefix();
  const a = await RedisRegistry.open({ url: REDIS, prefix, node: 'proxy-a' });
  const b = await RedisRegistry.open({ url: REDIS, prefix, node: 'proxy-b' });
  return { a, b, close: async () => { await a.close(); await b.close(); } };
});

describe('Redis registry: cluster behaviour', () => {
  it('sessions of a node killed with SIGKILL vanish after the TTL; others stay', { timeout: 30_000 }, async () => {
    const prefix = newPrefix();
    const ttl = 1_500;
    const child = fork(fileURLToPath(new URL('./testing-child.js', import.meta.url)), [REDIS, prefix, 'doomed', '3', String(ttl)], { silent: true });
    await new Promise<void>((res, rej) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('READY')) res(); });
      child.on('exit', () => rej(new Error('child exited early')));
    });
    const live = await RedisRegistry.open({ url: REDIS, prefix, node: 'alive', ttlMs: ttl, heartbeatMs: 300 });
    try {
      await live.register({ service: 'imap', user: 'stay@example.org', ip: '127.0.0.9', maxUserIp: 0, onKick: noKick });
      assert.equal((await live.list({ userMask: 'crash*' })).length, 3);
      child.kill('SIGKILL');
      const t0 = Date.now();
      while ((await live.list({ userMask: 'crash*' })).length > 0) {
        assert.ok(Date.now() - t0 < ttl * 4, 'crashed node sessions must vanish within a few TTLs');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await live.list()).length, 1, 'the live node keeps its session (heartbeat)');
      // The crashed node's user+IP slots are free again.
      const again = await live.register({ service: 'imap', user: 'crash0@example.org', ip: '127.0.0.9', maxUserIp: 1, onKick: noKick });
      assert.ok(again.ok);
    } finally { child.kill('SIGKILL'); await live.close(); }
  });

  it('Redis unreachable: register fails open (logins go on), and the error is reported', { timeout: 15_000 }, async () => {
    const errors: string[] = [];
    const r = await RedisRegistry.open({ url: 'redis://127.0.0.1:1', prefix: newPrefix(), node: 'lonely', onError: (_e, op) => errors.push(op) });
    try {
      const reg = await r.register({ service: 'imap', user: 'x@example.org', ip: '127.0.0.1', maxUserIp: 1, onKick: noKick });
      assert.ok(reg.ok);
      assert.equal(r.localCount(), 1);
      assert.ok(errors.includes('register'));
      await assert.rejects(r.list(), 'who reports that the registry is unreachable');
    } finally { await r.close(); }
  });
});

describe('session filters', () => {
  it('masks: * and ? wildcards, regex characters literal, case-insensitive', () => {
    assert.ok(maskToRegExp('*@example.org').test('A@EXAMPLE.org'));
    assert.ok(!maskToRegExp('*@example.org').test('a@exampleXorg'));
    assert.ok(maskToRegExp('a?c').test('abc') && !maskToRegExp('a?c').test('abbc'));
    assert.ok(!maskToRegExp('(a|b)').test('a'));
  });
  it('IPs: exact, IPv4-mapped IPv6, CIDR; invalid patterns match nothing', () => {
    assert.ok(ipMatches('127.0.0.1', '::ffff:127.0.0.1'));
    assert.ok(ipMatches('10.1.0.0/16', '10.1.200.3') && !ipMatches('10.1.0.0/16', '10.2.0.1'));
    assert.ok(ipMatches('0.0.0.0/0', '192.0.2.1'));
    assert.ok(!ipMatches('10.0.0.0/40', '10.0.0.1') && !ipMatches('bogus/8', '10.0.0.1'));
  });
});
