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
import { closeSync, openSync } from 'node:fs';
import { MailError } from '../../core/src/errors.js';
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

/** Slow-storage path: the header through the promise API, re-finding a renamed file. */
async function envelopeOfFileAsync(state: FolderState, uid: number): Promise<Envelope> {
  const { fh } = await state.openFile(uid);
  try {
    const p = new HeaderEnvelopeParser();
    const buf = Buffer.allocUnsafe(FIRST_READ);
    let at = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0 || p.write(buf.subarray(0, bytesRead))) break;
      at += bytesRead;
    }
    return p.end();
  } finally {
    await fh.close();
  }
}

/**
 * ENVELOPE text (RFC 3501 §7.4.2) of each of `uids`, in order; null for a message that is not (or
 * no longer) in the folder.
 */
export async function envelopeTexts(state: FolderState, uids: readonly number[]): Promise<Array<string | null>> {
  const out: Array<string | null> = new Array(uids.length);
  const cache = state.cache.envelopes;
  let refreshed = false;
  for (let i = 0; i < uids.length; i++) {
    const uid = uids[i]!;
    const rec = state.byUid.get(uid);
    if (!rec) { out[i] = null; continue; }
    const sync = syncIo();
    let text = sync ? cache.get(uid) : await cache.getAsync(uid);
    if (text === null && !refreshed) {
      // One look per batch for records appended since (by this process or another one).
      refreshed = true;
      if (sync) cache.refresh(); else await cache.refreshAsync();
      text = sync ? cache.get(uid) : await cache.getAsync(uid);
    }
    if (text === null) {
      let env = sync ? envelopeOfFileSync(state.pathOf(rec)) : undefined;
      if (env === undefined) {
        try {
          env = await envelopeOfFileAsync(state, uid);
        } catch (e) {
          if (e instanceof MailError && e.code === 'EXPUNGED') { out[i] = null; continue; }
          throw e;
        }
      }
      text = formatEnvelope(env);
      cache.put(uid, text);
    }
    out[i] = text;
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldIfBusy();
  }
  if (syncIo()) cache.flush(); else await cache.flushAsync();
  return out;
}
