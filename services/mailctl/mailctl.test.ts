/** mailctl against a real admin API server whose ops sit on a real registry (two nodes in Redis). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startAdminServer } from '../../libs/admin/src/server.js';
import { RedisRegistry } from '../../libs/registry/src/redis.js';
import { EXIT, run } from './mailctl.js';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLI = fileURLToPath(new URL('./main.js', import.meta.url));
const KEY = randomBytes(16).toString('hex');
const prefix = `test:mailctl:${randomBytes(4).toString('hex')}:`;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('mailctl who / kick / errors', () => {
  let a: RedisRegistry, b: RedisRegistry;
  let admin: { port: number; close(): Promise<void> };
  let url: string;
  const kicked: string[] = [];
  before(async () => {
    a = await RedisRegistry.open({ url: REDIS, prefix, node: 'proxy-a' });
    b = await RedisRegistry.open({ url: REDIS, prefix, node: 'proxy-b' });
    const reg = (r: RedisRegistry, user: string, ip: string, service: 'imap' | 'pop3') =>
      r.register({ service, user, ip, maxUserIp: 0, onKick: () => kicked.push(`${r.node}:${user}`) });
    await reg(a, 'alice@example.org', '127.0.0.2', 'imap');
    await reg(b, 'alice@example.org', '127.0.0.3', 'pop3');
    await reg(b, 'bob@example.org', '127.0.0.3', 'imap');
    await reg(a, 'carol@other.test', '127.0.0.4', 'imap');
    admin = await startAdminServer({
      host: '127.0.0.1', port: 0, apiKey: KEY,
      ops: { who: (f) => a.list(f), kick: (f) => a.kick(f) },
    });
    url = `http://127.0.0.1:${admin.port}`;
  });
  after(async () => {
    await admin.close(); await a.close(); await b.close();
    const r = new Redis(REDIS); const keys = await r.keys(`${prefix}*`); if (keys.length) await r.del(...keys); r.disconnect();
  });

  it('who groups sessions of both nodes by user with counts, services, IPs and nodes', async () => {
    const r = await cli(['--url', url, 'who', '*@example.org'], { MAILCTL_API_KEY: KEY });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^username\s+#\s+services\s+\(ips\)\s+\(nodes\)$/);
    const alice = lines.find((l) => l.startsWith('alice@example.org'))!;
    assert.match(alice, /alice@example\.org\s+2\s+imap pop3\s+\(127\.0\.0\.2 127\.0\.0\.3\)\s+\(proxy-a proxy-b\)/);
    assert.ok(lines.some((l) => /^bob@example\.org\s+1\s/.test(l)));
    assert.ok(!r.stdout.includes('carol'), 'mask filters');
  });

  it('who -1 prints one line per connection; --json is machine-readable; --ip filters', async () => {
    const out: string[] = [];
    assert.equal(await run(['--url', url, '--api-key', KEY, 'who', '-1'], {}, (s) => out.push(s)), 0);
    assert.equal(out.join('').trim().split('\n').length, 1 + 4);
    const j: string[] = [];
    await run(['--url', url, '--api-key', KEY, '--json', 'who', '--ip', '127.0.0.3'], {}, (s) => j.push(s));
    const parsed = JSON.parse(j.join('')) as { sessions: { user: string }[] };
    assert.deepEqual(parsed.sessions.map((s) => s.user).sort(), ['alice@example.org', 'bob@example.org']);
  });

  it('kick MASK closes matching sessions on whichever node holds them and reports how many', async () => {
    const r = await cli(['--url', url, '--api-key', KEY, 'kick', 'alice@*']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kicked 2 connection\(s\) \(2\/2 nodes answered\)/);
    assert.deepEqual(kicked.sort(), ['proxy-a:alice@example.org', 'proxy-b:alice@example.org']);
    const none = await cli(['--url', url, '--api-key', KEY, 'kick', 'nobody@*']);
    assert.equal(none.code, EXIT.notFound);
  });

  it('exit codes: wrong key 77, unreachable 69, usage 64, unserved verb 64 with a message', async () => {
    assert.equal((await cli(['--url', url, '--api-key', 'wrong', 'who'])).code, EXIT.denied);
    assert.equal((await cli(['--url', 'http://127.0.0.1:1', '--api-key', KEY, 'who'])).code, EXIT.unreachable);
    assert.equal((await cli(['--url', url, 'frobnicate'], { MAILCTL_API_KEY: KEY })).code, EXIT.usage);
    const q = await cli(['--url', url, '--api-key', KEY, 'quota', 'get', '-A']);
    assert.equal(q.code, EXIT.usage);
    assert.match(q.stderr, /quotaGet is not served by this node/);
    const h = await cli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /kick MASK/);
  });
});
