import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, runCli, messageFiles, type TestNode } from '../cli/testing.js';
import type { RunResult } from '../report/result.js';

let node: TestNode;
const out = mkdtempSync(join(tmpdir(), 'loadtest-out-'));
before(async () => { node = await startNode(6); });
after(async () => { await node?.stop(); rmSync(out, { recursive: true, force: true }); });

const base = () => ['--imap-port', String(node.imap), '--user-range', '1-6', '--password', 'pass', '--clients', '4', '--quiet'];
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;

test('imap-mixed (imaptest default mix) over STARTTLS: runs, stops at its duration, reads everything back, no loss, exit 0', async () => {
  const json = join(out, 'mixed.json'), html = join(out, 'mixed.html');
  const t0 = Date.now();
  const r = await runCli(['imap-mixed', ...base(), '--duration', '4s', '--copybox', 'Copies', '--seed', '7', '--output', json, '--html', html]).done;
  const res = read(json);
  const why = JSON.stringify({ lost: res.lost, lostIds: res.lostIds, duplicatedIds: res.duplicatedIds, corruptedIds: res.corruptedIds, protocolErrors: res.protocolErrors, errors: res.errorSamples, readErrors: res.readErrors, unexpected: res.unexpected });
  assert.equal(r.code, 0, `${why}\n${r.stderr}`);
  assert.ok(Date.now() - t0 < 30_000, 'run + verify finished promptly');
  assert.equal(res.lost, 0); assert.equal(res.duplicated, 0); assert.equal(res.corrupted, 0); assert.equal(res.protocolErrors, 0);
  assert.equal(res.passed, true);
  assert.equal(res.verified, true);
  assert.ok(res.checkedMessages > 0, 'messages were appended and checked');
  assert.equal(res.totals.sessionsAtEnd, 0, 'every connection closed by the end');
  for (const cmd of ['LOGIN', 'SELECT', 'FETCH', 'APPEND', 'LOGOUT']) {
    assert.ok(res.commands[cmd] && res.commands[cmd].count > 0, `${cmd} counted`);
    for (const k of ['p50Ms', 'p95Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const) assert.equal(typeof res.commands[cmd]![k], 'number');
  }
  assert.ok(res.commands.COPY && res.commands.COPY.count > 0, 'COPY runs when a copybox is given (imaptest)');
  assert.ok(res.timeline.length >= 3, 'per-second timeline');
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<svg[^>]*aria-label="Throughput"/);
  assert.match(page, /<svg[^>]*aria-label="Latency over time"/);
  assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no scripts, no external resources');
});

test('injected loss: a message file removed from the Maildir behind the server during the run is reported as lost, exit 1', async () => {
  const json = join(out, 'loss.json');
  // No DELETE/EXPUNGE in the mix: every appended message must still be there at the end.
  const run = runCli(['imap-mixed', ...base(), '--duration', '5s', '--mix', 'DELETE=0,EXPUNGE=0', '--msgs', '1000', '--run-id', 'lossrun', '--output', json]);
  let removed = '';
  for (let i = 0; i < 60 && !removed; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const files = messageFiles(node.mailRoot, 'X-Loadtest-Id: lossrun.');
    if (files.length > 3) { removed = files[0]!; unlinkSync(removed); }
  }
  assert.ok(removed, 'found a message file to remove');
  const r = await run.done;
  assert.equal(r.code, 1, `exit code says failure\n${r.stdout}\n${r.stderr}`);
  const res = read(json);
  assert.ok(res.lost >= 1, `lost reported (${res.lost})`);
  assert.equal(res.passed, false);
});

test('injected corruption: a body byte changed on disk is reported as corrupted, exit 1', async () => {
  const json = join(out, 'corrupt.json');
  const run = runCli(['imap-mixed', ...base(), '--duration', '4s', '--mix', 'DELETE=0,EXPUNGE=0', '--msgs', '1000', '--run-id', 'corruptrun', '--output', json]);
  let changed = '';
  for (let i = 0; i < 60 && !changed; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const files = messageFiles(node.mailRoot, 'X-Loadtest-Id: corruptrun.');
    if (files.length > 3) {
      const f = files[files.length - 1]!;
      const data = readFileSync(f);
      const at = data.indexOf('\n\n') >= 0 ? data.indexOf('\n\n') + 10 : data.indexOf('\r\n\r\n') + 10;
      data[at] = data[at] === 0x78 ? 0x79 : 0x78; // same size, different body
      writeFileSync(f, data);
      changed = f;
    }
  }
  assert.ok(changed, 'found a message file to change');
  const r = await run.done;
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const res = read(json);
  assert.ok(res.corrupted >= 1, `corrupted reported (${res.corrupted})`);
  assert.equal(res.lost, 0, 'a corrupted message is not also lost');
});
