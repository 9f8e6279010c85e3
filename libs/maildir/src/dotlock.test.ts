/** Dotlock.replace: the content written in place of the target, from one string or several Buffers. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dotlock } from './dotlock.js';

for (const sync of [false, true]) it(`replace${sync ? 'Sync' : ''} writes the parts in order over the target (writev), cuts the lock content, releases the lock`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dotlock-'));
  const replace = (lock: Dotlock, parts: Buffer[]): Promise<void> | void => sync ? lock.replaceSync(parts, true) : lock.replace(parts, false);
  try {
    const target = join(dir, 'dovecot-uidlist');
    await writeFile(target, 'old content that is long\n');
    // Larger than the "<pid>:<host>" the lock file starts with, several Buffers, one of them empty.
    const parts = [Buffer.from('3 V1 N4\n'), Buffer.alloc(0), Buffer.from('1 :a\n'.repeat(30000)), Buffer.from('3 :c\n')];
    let lock = sync ? Dotlock.tryAcquireSync(target)! : await Dotlock.acquire(target);
    await replace(lock, parts);
    assert.equal(await readFile(target, 'utf8'), Buffer.concat(parts).toString());
    assert.equal(existsSync(`${target}.lock`), false, 'the rename released the lock');
    // Shorter than the "<pid>:<host>" written at acquire: the rest is cut.
    lock = await Dotlock.acquire(target);
    await replace(lock, [Buffer.from('x')]);
    assert.equal(await readFile(target, 'utf8'), 'x');
    lock = await Dotlock.acquire(target);
    await (sync ? lock.replaceSync([Buffer.from('3 V2 N1\n')]) : lock.replace('3 V2 N1\n', false));
    assert.equal(await readFile(target, 'utf8'), '3 V2 N1\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
