/**
 * Runs bench:proxy itself (the compiled program, as `npm run bench:proxy` does) at a tiny size, so the
 * benchmark cannot rot: all four set-ups (our backend, our proxy, Dovecot, Dovecot proxy=y) must give a
 * result for both variants, with commands done, messages read back and not a single error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dovecotVersion } from '../lib/dovecot.js';
import { SETUPS } from './proxy-setups.js';
import type { BenchOutput } from './proxy-compare.js';

test('bench:proxy at a tiny size: four set-ups x two variants, zero errors, ledger clean', { timeout: 60_000 }, async () => {
  if (!dovecotVersion()) throw new Error('dovecot is not installed: apt-get install dovecot-imapd (scripts/test-deps.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-test-'));
  try {
    const out = join(dir, 'out.json');
    const script = new URL('./proxy-compare.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [script, '--duration', '1500ms', '--rounds', '1', '--users', '3', '--clients', '3', '--output', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /^PASS$/m);
    const r = JSON.parse(readFileSync(out, 'utf8')) as BenchOutput;
    assert.equal(r.passed, true);
    assert.deepEqual(Object.keys(r.variants).sort(), ['loggedin', 'login']);
    for (const [variant, v] of Object.entries(r.variants)) {
      for (const s of SETUPS) {
        const runs = v.runs[s];
        assert.equal(runs.length, 1, `${variant} ${s}`);
        const run = runs[0]!;
        assert.ok(run.ops > 0 && run.opsPerSec > 0, `${variant} ${s}: no commands done`);
        assert.ok((run.commands.LOGIN?.count ?? 0) > 0, `${variant} ${s}: no LOGIN`);
        assert.ok((run.commands.SELECT?.count ?? 0) > 0, `${variant} ${s}: no SELECT`);
        const errors = { lost: run.lost, duplicated: run.duplicated, corrupted: run.corrupted, protocolErrors: run.protocolErrors, unexpected: run.unexpected, connectErrors: run.connectErrors };
        assert.deepEqual(errors, { lost: 0, duplicated: 0, corrupted: 0, protocolErrors: 0, unexpected: 0, connectErrors: 0 }, `${variant} ${s}: ${run.errorSamples.join('; ')}`);
        assert.ok(run.checkedMessages > 0, `${variant} ${s}: nothing read back`);
        assert.ok(run.backendCpuMsPer1k > 0, `${variant} ${s}: backend CPU not measured`);
        // Only the proxied set-ups have a proxy whose CPU is measured.
        if (s.endsWith('-proxy')) assert.ok((run.proxyCpuMsPer1k ?? 0) > 0, `${variant} ${s}: proxy CPU not measured`);
        else assert.equal(run.proxyCpuMsPer1k, null);
      }
      assert.ok(v.ours.throughputRatio !== null && v.dovecot.throughputRatio !== null);
      assert.equal(typeof v.ours.addedP99Ms.LOGIN, 'number');
      assert.equal(typeof v.dovecot.addedP99Ms.LOGIN, 'number');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
