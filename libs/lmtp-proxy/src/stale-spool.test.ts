import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleSpool } from './stale-spool.js';

test('removeStaleSpool: files of dead pids and of our own pid go; a live process\'s files and other files stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-spool-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const names = {
      dead: `lmtp-${dead}-00112233aabbccdd.eml`,
      own: `lmtp-${process.pid}-0011223344556677.eml`,
      live: `lmtp-${process.ppid}-8899aabbccddeeff.eml`,
      other: 'notes.txt',
    };
    for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
    assert.equal(await removeStaleSpool(dir), 2);
    assert.deepEqual(readdirSync(dir).sort(), [names.live, names.other].sort());
    assert.equal(await removeStaleSpool(join(dir, 'missing')), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
