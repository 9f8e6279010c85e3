/** fastio's slow-storage switch: calls that block count, so storage that stalls turns sync I/O off. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { syncCall, syncIo } from './fastio.js';

describe('fastio slow-storage switch', () => {
  it('fast calls keep sync I/O on; calls blocked (asleep, not preempted) for > 30 ms turn it off', () => {
    for (let i = 0; i < 100; i++) syncCall(() => statSync('/'));
    assert.equal(syncIo(), true);
    // A call that sleeps in the kernel as an uncached disk or NFS read would: off the run queue,
    // so the preemption discount must not explain it away.
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 3; i++) syncCall(() => Atomics.wait(cell, 0, 0, 45));
    assert.equal(syncIo(), false);
  });
});
