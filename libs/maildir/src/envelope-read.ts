/**
 * Reading the ENVELOPE of one message file from its header, synchronously: the main thread uses it
 * while storage is fast, the reader thread (envelope-worker.ts) in slow-storage mode.
 */
import { closeSync, openSync } from 'node:fs';
import { HeaderEnvelopeParser, headerEnvelope } from '../../mime/src/envelope-header.js';
import type { Envelope } from '../../mime/src/types.js';
import { readAtSync } from './fastio.js';

/** First read of a message: holds the header of nearly all mail (Dovecot reads 8 KB blocks too). */
const FIRST_READ = 8 * 1024;
/** Later reads of a long header. */
const NEXT_READ = 64 * 1024;

/** One read buffer for the thread: headers are parsed before the next read (the parser copies). */
let shared: Buffer | null = null;

/**
 * Envelope of the file at `path` from its header; undefined when the file is not there (renamed by
 * a flag change meanwhile: the caller re-finds it). Reads until the blank line or the end.
 */
export function envelopeOfFileSync(path: string): Envelope | undefined {
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
