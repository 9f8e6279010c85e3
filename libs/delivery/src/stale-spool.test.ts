import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleSpool } from './stale-spool.js';

test('removeStaleSpool: files of dead pids and our pid\'s from before we started go; a live process\'s, our current ones and other files stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-spool-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const names = {
      dead: `lmtp-${dead}-00112233aabbccdd.eml`,
      own: `lmtp-${process.pid}-0011223344556677.eml`,
      ownNow: `lmtp-${process.pid}-1111223344556677.eml`,
      live: `lmtp-${process.ppid}-8899aabbccddeeff.eml`,
      other: 'notes.txt',
    };
    for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
    // A predecessor with our pid (container restart) wrote it before this process started.
    const before = new Date(performance.timeOrigin - 60_000);
    utimesSync(join(dir, names.own), before, before);
    assert.equal(await removeStaleSpool(dir), 2);
    assert.deepEqual(readdirSync(dir).sort(), [names.live, names.ownNow, names.other].sort());
    assert.equal(await removeStaleSpool(join(dir, 'missing')), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
