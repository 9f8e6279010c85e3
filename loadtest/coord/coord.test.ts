import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startNode, runCli, type TestNode } from '../cli/testing.js';
import type { RunResult } from '../report/result.js';

const REDIS = 'redis://127.0.0.1:6379';
const prefix = `loadtest-test-${process.pid}-${Date.now().toString(36)}:`;
let node: TestNode;
let redis: Redis;
const out = mkdtempSync(join(tmpdir(), 'loadtest-coord-'));

before(async () => {
  redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try { await redis.connect(); } catch (e) { throw new Error(`this test needs the real Redis on 127.0.0.1:6379: ${(e as Error).message}`); }
  node = await startNode(4);
});
after(async () => {
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  await node?.stop();
  rmSync(out, { recursive: true, force: true });
});

test('two generator processes under one run id, coordinated through Redis, merge into one report', async () => {
  const runId = 'coordtest';
  const common = ['imap-mixed', '--imap-port', String(node.imap), '--user-range', '1-4', '--password', 'pass', '--clients', '2',
    '--duration', '3s', '--coordinator', REDIS, '--run-id', runId, '--workers', '2', '--key-prefix', prefix];
  const a = runCli([...common, '--output', join(out, 'a.json'), '--html', join(out, 'a.html')]);
  const b = runCli([...common, '--output', join(out, 'b.json'), '--html', join(out, 'b.html')]);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, `${ra.stdout}\n${ra.stderr}`);
  assert.equal(rb.code, 0, `${rb.stdout}\n${rb.stderr}`);
  // Exactly one worker (the last to finish) writes the merged files.
  const written = ['a', 'b'].filter((w) => existsSync(join(out, `${w}.json`)));
  assert.equal(written.length, 1, `merged report written once, got ${written.join(',')}`);
  assert.ok(existsSync(join(out, `${written[0]}.html`)));
  const merged = JSON.parse(readFileSync(join(out, `${written[0]}.json`), 'utf8')) as RunResult;
  assert.equal(merged.workers, 2);
  assert.equal(merged.worker, null);
  const parts = (await redis.lrange(`${prefix}${runId}:results`, 0, -1)).map((s) => JSON.parse(s) as RunResult);
  assert.deepEqual(parts.map((p) => p.worker).sort(), [0, 1], 'both workers reported, with distinct indexes');
  assert.equal(merged.totals.ops, parts[0]!.totals.ops + parts[1]!.totals.ops);
  assert.equal(merged.commands.LOGIN!.count, parts[0]!.commands.LOGIN!.count + parts[1]!.commands.LOGIN!.count);
  assert.equal(merged.checkedMessages, parts[0]!.checkedMessages + parts[1]!.checkedMessages);
  assert.equal(merged.lost + merged.duplicated + merged.corrupted + merged.protocolErrors, 0);
  assert.ok(merged.passed);
  // Workers used disjoint users (every 2nd user each): their message ids never share a worker tag.
  assert.ok(parts[0]!.checkedMessages > 0 && parts[1]!.checkedMessages > 0);

  // `loadtest merge` rebuilds the merged report from Redis at any time.
  const m = await runCli(['merge', '--coordinator', REDIS, '--run-id', runId, '--key-prefix', prefix, '--workers', '2', '--output', join(out, 'm.json'), '--quiet']).done;
  assert.equal(m.code, 0, m.stderr);
  const again = JSON.parse(readFileSync(join(out, 'm.json'), 'utf8')) as RunResult;
  assert.equal(again.totals.ops, merged.totals.ops);
});

test('a third worker joining a two-worker run is refused (exit 4)', async () => {
  const r = await runCli(['imap-mixed', '--imap-port', String(node.imap), '--user-range', '1-4', '--password', 'pass',
    '--duration', '1s', '--coordinator', REDIS, '--run-id', 'coordtest', '--workers', '2', '--key-prefix', prefix, '--quiet']).done;
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /already has 2 workers/);
});
