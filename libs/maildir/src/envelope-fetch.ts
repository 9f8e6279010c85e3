/**
 * FETCH ENVELOPE for a batch of messages of one folder: the cached text (envelope-cache.ts), else
 * the envelope of the message's header alone (libs/mime/src/envelope-header.ts), formatted and
 * cached. Dovecot does the same: ENVELOPE never needs the body, so the first FETCH 1:* (ENVELOPE)
 * of a 100,000-message folder reads one small block per message instead of parsing every file.
 *
 * While storage is fast (fastio.ts) everything here is synchronous, a batch costs one promise, and
 * the event loop gets a turn whenever a slice of sync work is used up. In slow-storage mode the
 * cache is read with the promise API and a batch's headers are read by one worker thread
 * (envelope-worker.ts).
 */
import { close, open, read } from 'node:fs';
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import { HeaderEnvelopeParser } from '../../mime/src/envelope-header.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';
import type { Envelope } from '../../mime/src/types.js';
import { syncIo, yieldIfBusy } from './fastio.js';
import { envelopeOfFileSync } from './envelope-read.js';
import { readInWorker } from './envelope-worker.js';
import type { FolderState } from './folder.js';

/** Messages between checks whether this turn's slice of sync work is used up. */
const YIELD_EVERY = 16;
/** Buffer of an async header read (a long header takes several). */
const ASYNC_READ = 8 * 1024;

/** How this module does I/O; tests switch it to exercise the slow-storage path. */
export const envelopeIo = { syncIo };

const openCb = (path: string): Promise<number> => new Promise((res, rej) => open(path, 'r', (e, fd) => (e ? rej(e) : res(fd))));
const readCb = (fd: number, buf: Buffer, pos: number): Promise<number> =>
  new Promise((res, rej) => read(fd, buf, 0, buf.length, pos, (e, n) => (e ? rej(e) : res(n))));

/**
 * Slow-storage path: the header through the thread pool (plain descriptors: cheaper than FileHandle
 * objects), re-finding a file renamed meanwhile.
 */
async function envelopeOfFileAsync(state: FolderState, uid: number): Promise<Envelope> {
  const rec = state.byUid.get(uid);
  if (!rec) throw new MailError('EXPUNGED', 'Message was expunged');
  let fd: number;
  try {
    fd = await openCb(state.pathOf(rec));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // Renamed by a flag change meanwhile: openFile re-finds it (or says EXPUNGED).
    const { fh } = await state.openFile(uid);
    return envelopeOfFd(fh.fd, () => fh.close());
  }
  return envelopeOfFd(fd, () => new Promise<void>((res) => close(fd, () => res())));
}

async function envelopeOfFd(fd: number, done: () => Promise<void>): Promise<Envelope> {
  try {
    const p = new HeaderEnvelopeParser();
    const buf = Buffer.allocUnsafe(ASYNC_READ);
    let at = 0;
    for (;;) {
      const n = await readCb(fd, buf, at);
      if (n === 0 || p.write(buf.subarray(0, n))) break;
      at += n;
    }
    return p.end();
  } finally {
    await done();
  }
}

/**
 * ENVELOPE text (RFC 3501 §7.4.2) of each of `uids`, in order; null for a message that is not (or
 * no longer) in the folder.
 */
export async function envelopeTexts(state: FolderState, uids: readonly number[]): Promise<Array<string | null>> {
  const out: Array<string | null> = new Array(uids.length).fill(null);
  const cache = state.cache.envelopes;
  const sync = envelopeIo.syncIo();
  const misses: number[] = [];
  let refreshed = false;
  for (let i = 0; i < uids.length; i++) {
    const uid = uids[i]!;
    if (!state.byUid.has(uid)) continue;
    let text = sync ? cache.get(uid) : await cache.getAsync(uid);
    if (text === null && !refreshed) {
      // One look per batch for records appended since (by this process or another one).
      refreshed = true;
      if (sync) cache.refresh(); else await cache.refreshAsync();
      text = sync ? cache.get(uid) : await cache.getAsync(uid);
    }
    if (text === null) misses.push(i);
    else out[i] = text;
  }
  // The path as FolderState.pathOf makes it, without path.join's normalising (dir is absolute).
  const pathOf = (i: number): string | null => {
    const rec = state.byUid.get(uids[i]!);
    return rec ? `${state.dir}/${rec.inNew ? 'new' : 'cur'}/${rec.name}` : null;
  };
  const slow: number[] = [];
  if (sync) {
    for (let k = 0; k < misses.length; k++) {
      const i = misses[k]!;
      const path = pathOf(i);
      if (path === null) continue;
      const env = envelopeOfFileSync(path);
      if (env === undefined) { slow.push(i); continue; }
      out[i] = formatEnvelope(env);
      cache.put(uids[i]!, out[i]!);
      if (k % YIELD_EVERY === YIELD_EVERY - 1) await yieldIfBusy();
    }
  } else if (misses.length) {
    // Slow storage: the whole batch in the reader thread (envelope-worker.ts).
    const todo = misses.filter((i) => pathOf(i) !== null);
    const texts = await readInWorker(todo.map((i) => pathOf(i)!)).catch(() => null);
    todo.forEach((i, k) => {
      const t = texts?.[k] ?? null;
      if (t === null) { slow.push(i); return; }
      out[i] = t;
      cache.put(uids[i]!, t);
    });
  }
  // Files renamed meanwhile (openFile re-finds them) or a failed reader thread: the promise API,
  // a few at a time so the thread pool overlaps them.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < slow.length) {
      const i = slow[next++]!;
      try {
        out[i] = formatEnvelope(await envelopeOfFileAsync(state, uids[i]!));
        cache.put(uids[i]!, out[i]!);
      } catch (e) {
        if (!(e instanceof MailError && e.code === 'EXPUNGED')) throw e;
      }
    }
  };
  if (slow.length) await Promise.all(Array.from({ length: Math.min(LIMITS.imapFetchLookahead, slow.length) }, worker));
  if (envelopeIo.syncIo()) cache.flush(); else await cache.flushAsync();
  return out;
}
