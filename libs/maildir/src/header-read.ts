/**
 * A message's top-level header block read synchronously from the start of its file: what FETCH
 * BODY[HEADER.FIELDS (...)], BODY[HEADER] and RFC822.HEADER serve. Dovecot reads only the header
 * for them, too; without this a FETCH of ten messages' header fields parsed ten whole messages
 * (MIME structure, cached as JSON) just to learn where each header ends.
 */
import { closeSync, openSync } from 'node:fs';
import { HeaderEnvelopeParser, headerEnvelope } from '../../mime/src/envelope-header.js';
import type { Envelope } from '../../mime/src/types.js';
import { CrlfNormalizer } from './crlf.js';
import { readAtSync } from './fastio.js';

/** One read: holds the header of nearly all mail (as envelope-read.ts; Dovecot reads 8 KB blocks too). */
const FIRST_READ = 8 * 1024;

/** One read buffer for the thread: the header is copied out of it before the next read. */
let shared: Buffer | null = null;

/**
 * End (exclusive, raw offset) of the header block at the start of `buf`: just after the first
 * empty line (LF or CRLF alone), as StructureParser ends a top-level header (RFC 5322 §2.1);
 * -1 when `buf` holds no empty line.
 */
export function headerEnd(buf: Buffer): number {
  let pos = 0;
  for (;;) {
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) return -1;
    if (lf === pos || (lf === pos + 1 && buf[pos] === 0x0d)) return lf + 1;
    pos = lf + 1;
  }
}

/**
 * The header block of the file at `path`, blank line included, as Mailbox.open serves it (`crlf`:
 * bare LF normalised to CRLF, for files not stored with CRLF): its length is the body's offset. A
 * file that is all header (no empty line) is returned whole. Undefined when the file is not there
 * (renamed by a flag change meanwhile) or the header is longer than one read: the caller takes the
 * general path.
 */
export function headerOfFileSync(path: string, crlf: boolean): Buffer | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  let n: number;
  const buf = (shared ??= Buffer.allocUnsafe(FIRST_READ));
  try {
    n = readAtSync(fd, buf, 0);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  let end = headerEnd(buf.subarray(0, n));
  if (end < 0) {
    if (n === FIRST_READ) return undefined;
    end = n;
  }
  // A copy (the read buffer is reused); the normaliser returns its input when there is no bare LF.
  const head = Buffer.from(buf.subarray(0, end));
  return crlf ? new CrlfNormalizer().push(head) : head;
}

/**
 * The ENVELOPE of a message from its header block (headerOfFileSync, or the structure path's
 * bytes), as envelopeOfFileSync makes it from the file: the fast reader, else the parser.
 */
export function envelopeOfHeader(header: Buffer): Envelope {
  const fast = headerEnvelope(header);
  if (fast) return fast;
  const p = new HeaderEnvelopeParser();
  p.write(header);
  return p.end();
}
