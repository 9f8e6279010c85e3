/**
 * Synchronous file I/O in short slices, for the small, page-cache-hot reads that dominate IMAP
 * (stat of 100,000 new files on a first SELECT, reading a 5 KB message to parse it, a 256 KB
 * window of the structure cache). Measured on a loaded 2-core machine, a sync open+read+close of
 * a small file costs ~25 µs where the promise API's three thread-pool round trips cost ~250 µs.
 *
 * Two guards keep one slow user from stalling every other session of the process:
 * - slices: callers `await yieldIfBusy()` between items; after SLICE_MS of sync work in one turn
 *   the event loop gets a turn (sockets of other sessions are served);
 * - slow storage: a few sync calls slower than SLOW_CALL_MS within seconds (disk not cached, NFS)
 *   switch this process to the async API for a minute; a call that was only slow because the
 *   thread sat preempted on the run queue (a busy machine) does not count (runQueueWaitMs).
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync, type Stats } from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
// The module's binding, not the global: Node 20's global `performance` is an accessor, and timed()
// reads the clock twice per sync call.
import { performance } from 'node:perf_hooks';

const SLICE_MS = 4;
const SLOW_CALL_MS = 30;
/** Slow calls within SLOW_SPAN_MS before switching (one slow call may just be a busy CPU). */
const SLOW_HITS = 3;
const SLOW_SPAN_MS = 10_000;
const SLOW_BACKOFF_MS = 60_000;

let sliceStart = 0;
let slowUntil = 0;
let slowHits = 0;
let firstSlowAt = 0;

/** Whether sync I/O is currently allowed (storage has been fast). */
export function syncIo(): boolean {
  return slowUntil === 0 || Date.now() >= slowUntil;
}

/**
 * This thread's time spent runnable but not running (ms), from /proc/thread-self/schedstat (one
 * pread on a kept descriptor); null where there is no such file. A busy machine preempts the
 * process for tens of ms at a time: a sync call that took long for that reason says nothing about
 * the storage, and switching to the (costlier) async API would only make the overload worse.
 */
let schedFd = -2;
const schedBuf = Buffer.alloc(96);
function runQueueWaitMs(): number | null {
  if (schedFd === -2) { try { schedFd = openSync('/proc/thread-self/schedstat', 'r'); } catch { schedFd = -1; } }
  if (schedFd < 0) return null;
  try {
    const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
    const w = Number(schedBuf.toString('latin1', 0, n).split(' ')[1]) / 1e6;
    return Number.isFinite(w) ? w : null;
  } catch {
    return null;
  }
}
/** Run-queue wait sampled at most this often before a call (slow calls compare against it). */
const WAIT_MARK_MS = 50;
let waitMarkAt = 0;
let waitMark = 0;

/** True when the thread waited on the run queue since the mark about as long as the call was slow. */
function preempted(ms: number): boolean {
  if (waitMarkAt === 0) return false;
  const w = runQueueWaitMs();
  return w !== null && w - waitMark >= ms - SLOW_CALL_MS;
}

function timed<T>(fn: () => T): T {
  const t0 = performance.now();
  if (t0 - waitMarkAt > WAIT_MARK_MS) {
    const w = runQueueWaitMs();
    if (w !== null) { waitMark = w; waitMarkAt = t0; }
  }
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    if (ms > SLOW_CALL_MS && !preempted(ms)) {
      const now = Date.now();
      if (now - firstSlowAt > SLOW_SPAN_MS) { firstSlowAt = now; slowHits = 0; }
      if (++slowHits >= SLOW_HITS) { slowUntil = now + SLOW_BACKOFF_MS; slowHits = 0; }
    }
    if (sliceStart === 0) sliceStart = t0;
  }
}

/**
 * Runs one small synchronous fs call (rename, unlink, utimes, a lock file) under the slow-storage
 * watch: callers use it only while syncIo() says storage is fast.
 */
export function syncCall<T>(fn: () => T): T {
  return timed(fn);
}

/** Gives the event loop a turn when this turn has done more than a slice of sync work. */
export async function yieldIfBusy(): Promise<void> {
  if (sliceStart !== 0 && performance.now() - sliceStart > SLICE_MS) {
    sliceStart = 0;
    await turn();
  }
}

/** statSync that returns null for ENOENT (throws other errors). */
export function statQuick(path: string): Stats | null {
  return timed(() => {
    try {
      return statSync(path, { throwIfNoEntry: false }) ?? null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  });
}

/**
 * Reads a whole small file in one go; null when it is larger than `max` (the caller streams it).
 * Throws ENOENT like open().
 */
export function readSmallFile(path: string, max: number): Buffer | null {
  return timed(() => {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > max) return null;
      const buf = Buffer.allocUnsafe(size);
      let n = 0;
      while (n < size) {
        const r = readSync(fd, buf, n, size - n, n);
        if (r === 0) break;
        n += r;
      }
      return n === size ? buf : buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  });
}

/** pread on an open descriptor. */
export function readAtSync(fd: number, buf: Buffer, position: number): number {
  return timed(() => readSync(fd, buf, 0, buf.length, position));
}

/** One write() of a whole buffer on an O_APPEND descriptor (loops only on a short write). */
export function writeAllSync(fd: number, data: Buffer): void {
  timed(() => {
    let n = 0;
    while (n < data.length) n += writeSync(fd, data, n, data.length - n);
  });
}
