/**
 * FETCH ENVELOPE for a batch of messages of one folder: the cached text (envelope-cache.ts), else
 * the envelope of the message's header alone (libs/mime/src/envelope-header.ts), formatted and
 * cached. Dovecot does the same: ENVELOPE never needs the body, so the first FETCH 1:* (ENVELOPE)
 * of a 100,000-message folder reads one small block per message instead of parsing every file.
 *
 * While storage is fast (fastio.ts) everything here is synchronous, a batch costs one promise, and
 * the event loop gets a turn whenever a slice of sync work is used up. In slow-storage mode the
 * same is done with the promise API.
 */
import { close, closeSync, open, openSync, read } from 'node:fs';
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import { HeaderEnvelopeParser, headerEnvelope } from '../../mime/src/envelope-header.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';
import type { Envelope } from '../../mime/src/types.js';
import { readAtSync, syncIo, yieldIfBusy } from './fastio.js';
import type { FolderState } from './folder.js';

/** First read of a message: holds the header of nearly all mail (Dovecot reads 8 KB blocks too). */
const FIRST_READ = 8 * 1024;
/** Later reads of a long header. */
const NEXT_READ = 64 * 1024;
/** Messages between checks whether this turn's slice of sync work is used up. */
const YIELD_EVERY = 16;

/** One read buffer for the process: headers are parsed before the next read (the parser copies). */
let shared: Buffer | null = null;

/**
 * Envelope of the file at `path` from its header; undefined when the file is not there (renamed by
 * a flag change meanwhile: the caller re-finds it). Reads until the blank line or the end.
 */
function envelopeOfFileSync(path: string): Envelope | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  try {
    const buf = (shared ??= Buffer.allocUnsafe(NEXT_READ));
    let n = readAtSync(fd, buf.subarray(0, FIRST_READ), 0);
    const fast = headerEnvelope(buf.subarray(0, n));
    if (fast) return fast;
    const p = new HeaderEnvelopeParser();
    let at = 0;
    while (n > 0 && !p.write(buf.subarray(0, n))) {
      at += n;
      n = readAtSync(fd, buf, at);
    }
    return p.end();
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

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
    const buf = Buffer.allocUnsafe(FIRST_READ);
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
  const misses: number[] = [];
  let refreshed = false;
  for (let i = 0; i < uids.length; i++) {
    const uid = uids[i]!;
    if (!state.byUid.has(uid)) continue;
    const sync = syncIo();
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
  const slow: number[] = [];
  for (let k = 0; k < misses.length; k++) {
    const i = misses[k]!;
    const rec = state.byUid.get(uids[i]!);
    if (!rec) continue;
    // The path as FolderState.pathOf makes it, without path.join's normalising (dir is absolute).
    const env = syncIo() ? envelopeOfFileSync(`${state.dir}/${rec.inNew ? 'new' : 'cur'}/${rec.name}`) : undefined;
    if (env === undefined) { slow.push(i); continue; }
    out[i] = formatEnvelope(env);
    cache.put(uids[i]!, out[i]!);
    if (k % YIELD_EVERY === YIELD_EVERY - 1) await yieldIfBusy();
  }
  // Slow-storage mode, or a file renamed meanwhile (openFile re-finds it): the promise API, a few
  // at a time so the thread pool overlaps them.
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
  if (syncIo()) cache.flush(); else await cache.flushAsync();
  return out;
}
