/**
 * Header block helpers (RFC 5322 §2.2, §3.2.2 folding). Pure: Buffers in, strings/Buffers out.
 * Values are "raw": RFC 2047 words are left encoded; only the folding CRLFs are removed
 * (the whitespace after them stays, as RFC 5322 §2.2.3 unfolding says and Dovecot's ENVELOPE does).
 */

import { isAscii } from 'node:buffer';

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** Header bytes as a JS string: UTF-8 when valid (RFC 6532), else latin1 so no byte is lost. Never throws. */
export function headerBytesToString(buf: Buffer): string {
  if (isAscii(buf)) return buf.toString('latin1');
  try {
    return utf8Fatal.decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}

/** One header field as it sits in the block: name, raw lines (with their original folding) and positions. */
export interface RawHeaderField {
  name: string;        // as written, without trailing whitespace before the colon (obs-optional, RFC 5322 §4.5.3)
  start: number;       // byte offset of the first line in the block
  end: number;         // byte offset after the last line's line ending
  valueStart: number;  // byte offset just after the colon
}

function isWsp(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/** A field name as headerBytesToString gives it; short and nearly always ASCII, so no Buffer view is made. */
function nameString(buf: Buffer, a: number, b: number): string {
  for (let i = a; i < b; i++) if (buf[i]! >= 0x80) return headerBytesToString(buf.subarray(a, b));
  return buf.toString('latin1', a, b);
}

/**
 * Splits a header block into fields. Stops at the first empty line (so a whole message may be passed).
 * Continuation lines (starting with SP/HTAB) belong to the previous field. A line without a colon is
 * skipped (garbage), as Dovecot's header parser does; a continuation before any field is skipped too.
 */
export function splitHeaderFields(buf: Buffer): RawHeaderField[] {
  const out: RawHeaderField[] = [];
  let pos = 0;
  let cur: RawHeaderField | null = null;
  const n = buf.length;
  while (pos < n) {
    let lf = buf.indexOf(0x0a, pos);
    const lineEnd = lf < 0 ? n : lf + 1;
    let contentEnd = lf < 0 ? n : lf;
    if (contentEnd > pos && buf[contentEnd - 1] === 0x0d) contentEnd--;
    if (contentEnd === pos) break; // empty line: end of header
    if (isWsp(buf[pos])) {
      if (cur) cur.end = lineEnd;
    } else {
      cur = null;
      const colon = buf.indexOf(0x3a, pos);
      if (colon >= 0 && colon < contentEnd) {
        let nameEnd = colon;
        while (nameEnd > pos && isWsp(buf[nameEnd - 1])) nameEnd--;
        if (nameEnd > pos) {
          cur = { name: nameString(buf, pos, nameEnd), start: pos, end: lineEnd, valueStart: colon + 1 };
          out.push(cur);
        }
      }
    }
    pos = lineEnd;
    if (lf < 0) break;
  }
  return out;
}

/**
 * Unfolds a header value (RFC 5322 §2.2.3) and trims surrounding whitespace. Each line break with the
 * whitespace after it becomes one space, as Dovecot's ENVELOPE does.
 */
export function unfold(value: string): string {
  // Same result as value.replace(/(?:\r?\n|\r)[ \t]*/g, ' ') then trimming SP/HTAB, without regexes
  // (this runs for every header field of every parsed message).
  const n = value.length;
  let out = '';
  let from = 0;
  let i = 0;
  let lf = value.indexOf('\n');
  let cr = value.indexOf('\r');
  while (lf >= 0 || cr >= 0) {
    i = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    const c = value.charCodeAt(i);
    out += value.slice(from, i) + ' ';
    i += c === 0x0d && value.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    from = i;
    if (lf >= 0 && lf < i) lf = value.indexOf('\n', i);
    if (cr >= 0 && cr < i) cr = value.indexOf('\r', i);
  }
  out = from === 0 ? value : out + value.slice(from);
  let a = 0;
  let b = out.length;
  while (a < b && (out.charCodeAt(a) === 0x20 || out.charCodeAt(a) === 0x09)) a++;
  while (b > a && (out.charCodeAt(b - 1) === 0x20 || out.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === out.length ? out : out.slice(a, b);
}

/** Raw unfolded value of a field found by splitHeaderFields. */
export function fieldValue(buf: Buffer, f: RawHeaderField): string {
  return unfold(headerBytesToString(buf.subarray(f.valueStart, f.end)));
}

/** Parses a header block into [name, raw unfolded value] pairs in order. Never throws. */
export function parseHeaderBlock(buf: Buffer): Array<[string, string]> {
  return splitHeaderFields(buf).map((f) => [f.name, fieldValue(buf, f)] as [string, string]);
}

/** First value of a header (case-insensitive name) from parsed pairs, or null. */
export function getHeader(fields: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  const want = name.toLowerCase();
  for (const [k, v] of fields) if (k.toLowerCase() === want) return v;
  return null;
}

/** All values of a header (case-insensitive name), in order. */
export function getHeaders(fields: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of fields) if (k.toLowerCase() === want) out.push(v);
  return out;
}

/** Appends `src` to `parts` with every line ending as CRLF (bare LF gets a CR). */
function pushCrlf(parts: Buffer[], src: Buffer): void {
  let from = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x0a && (i === 0 || src[i - 1] !== 0x0d)) {
      parts.push(src.subarray(from, i), CRLF);
      from = i + 1;
    }
  }
  parts.push(src.subarray(from));
}

const CRLF = Buffer.from('\r\n');

/**
 * BODY[HEADER.FIELDS (names)] / BODY[HEADER.FIELDS.NOT (names)] (RFC 3501 §6.4.5): the matching
 * fields with their original lines (folding kept), CRLF line endings, followed by the empty line.
 * `headerBuf` may be the header block or the whole message; the body is never included.
 */
export function selectHeaderFields(headerBuf: Buffer, names: readonly string[], not = false): Buffer {
  const want = new Set(names.map((s) => s.toLowerCase()));
  const parts: Buffer[] = [];
  for (const f of splitHeaderFields(headerBuf)) {
    if (want.has(f.name.toLowerCase()) === not) continue;
    const raw = headerBuf.subarray(f.start, f.end);
    pushCrlf(parts, raw);
    if (raw.length === 0 || raw[raw.length - 1] !== 0x0a) parts.push(CRLF); // last line without line ending
  }
  // RFC 3501 §6.4.5: the blank line is included in all header fetches, "except in the case of a
  // message which has no body and no blank line".
  if (headerBlockLength(headerBuf) >= 0) parts.push(CRLF);
  return Buffer.concat(parts);
}

/**
 * Length of the header block in `buf` including the empty line (what RFC 3501 BODY[HEADER] returns),
 * or -1 if the block is not complete in `buf`. Accepts LF or CRLF line endings.
 */
export function headerBlockLength(buf: Buffer): number {
  let pos = 0;
  while (pos < buf.length) {
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) return -1;
    if (lf === pos || (lf === pos + 1 && buf[pos] === 0x0d)) return lf + 1;
    pos = lf + 1;
  }
  return -1;
}
