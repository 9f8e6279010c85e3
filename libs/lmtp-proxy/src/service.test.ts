// The LMTP proxy as part of the proxy node (services/proxy/main.js, a process) in front of two real
// backend mail nodes, with the delivered-members store in real Redis: a cross-site group whose
// site-B member is down gets 451, and the retry (through a second proxy process: the record is
// cluster-wide) delivers to B without a second copy on A.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LmtpTestClient } from '../../lmtp-server/src/testing.js';
import { startProc, type Proc } from '../../../services/proxy/testing.js';
import { SITE_A, SITE_B, bodies, mailOf, startBackend, writeUsers, type Backend } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'lmtp-proxy-svc-'));
const prefix = `test-lmtpproxy-${randomBytes(4).toString('hex')}:`;
let A: Backend;
let B: Backend;
const proxies: Proc[] = [];

function proxyConfig(name: string): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `node: { hostname: ${name}, dataDir: ${data} }
directory: { path: ${join(dir, 'users.yaml')} }
http: { port: null }
log: { level: warn }
redis: { url: "redis://127.0.0.1:6379", prefix: "${prefix}" }
sasl: { port: null, socket: false }
proxy:
  host: 127.0.0.1
  masterUser: proxy
  masterPassword: unused
  connectTimeout: 500ms
  breakerFailures: 5
  lmtpPort: 0
  lmtpSocket: null
  lmtpBackends:
    ${SITE_A}: 127.0.0.1:${A.port}
    ${SITE_B}: 127.0.0.1:${B.port}
`);
  return path;
}

before(async () => {
  writeUsers(dir);
  [A, B] = await Promise.all([startBackend(dir, SITE_A), startBackend(dir, SITE_B)]);
});

after(async () => {
  await Promise.all([...proxies.map((p) => p.stop()), A?.proc.stop(), B?.proc.stop()]);
  const r = new Redis('redis://127.0.0.1:6379');
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function startProxy(name: string): Promise<{ proc: Proc; port: number }> {
  const proc = startProc('proxy', proxyConfig(name));
  proxies.push(proc);
  await proc.waitFor(/proxy node .* ready/);
  return { proc, port: proc.port('lmtp') };
}

async function deliver(target: { port: number } | { path: string }, rcpts: string[], body: string): Promise<number[]> {
  const c = await LmtpTestClient.open(target);
  try {
    c.write(`LHLO mx.test\r\nMAIL FROM:<s@example.net>\r\n${rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`);
    const head = await c.replies(3 + rcpts.length);
    assert.equal(head[head.length - 1]!.code, 354, head.map((h) => h.text).join(''));
    c.write(`${body}\r\n.\r\n`);
    return (await c.replies(rcpts.length)).map((r) => r.code);
  } finally { c.close(); }
}

test('proxy node: LMTP on TCP and its UNIX socket; a group retry through another proxy delivers each member exactly once', async () => {
  const p1 = await startProxy('proxy1');
  assert.deepEqual(await deliver({ port: p1.port }, ['alice@example.org', 'bob@example.org'], 'Subject: s1\r\n\r\nhello s1'), [250, 250]);
  assert.deepEqual(await deliver({ path: join(dir, 'proxy1', 'lmtp-proxy.sock') }, ['bob@example.org'], 'Subject: s2\r\n\r\nhello s2'), [250]);
  assert.equal(bodies(mailOf(A, 'alice@example.org')).filter((t) => t.includes('hello s1')).length, 1);
  assert.equal(bodies(mailOf(B, 'bob@example.org')).filter((t) => t.includes('hello s')).length, 2);

  await B.proc.stop();
  const msg = 'Subject: s3\r\nMessage-ID: <s3@example.net>\r\n\r\nhello s3';
  assert.deepEqual(await deliver({ port: p1.port }, ['team@example.org'], msg), [451]);
  assert.equal(bodies(mailOf(A, 'alice@example.org')).filter((t) => t.includes('hello s3')).length, 1);
  B = await startBackend(dir, SITE_B, B.port);
  const p2 = await startProxy('proxy2');
  assert.deepEqual(await deliver({ port: p2.port }, ['team@example.org'], msg), [250]);
  assert.equal(bodies(mailOf(A, 'alice@example.org')).filter((t) => t.includes('hello s3')).length, 1, 'no second copy for alice');
  assert.equal(bodies(mailOf(B, 'bob@example.org')).filter((t) => t.includes('hello s3')).length, 1);
  assert.equal(bodies(mailOf(B, 'dave@example.org')).filter((t) => t.includes('hello s3')).length, 1);
});
