/**
 * Dovecot's `dovecot-uidlist` (pure parse/format; I/O lives in folder.ts).
 *
 * Version 3 (what Dovecot 2.x writes):
 *   3 V<uidvalidity> N<nextuid> G<mailbox guid, 32 hex>
 *   <uid> [<ext letter><value> ...] :<basename>
 * Extension fields we know: S<size> W<vsize>; others (G guid, P pop3 uidl, O pop3 order, M ...) are
 * preserved verbatim when we rewrite. Version 1 (`1 <uidvalidity> <nextuid>`, lines `<uid> <name>`)
 * is read for old installations and written back as version 3.
 */
import { digitsValue } from './maildir-filename.js';

export interface UidlistEntry {
  uid: number;
  base: string;
  /** Extension fields other than the base, verbatim ("W1234", "GABC..."). */
  ext: string[];
}

export interface Uidlist {
  uidValidity: number;
  nextUid: number;
  guid: string;
  /** Header fields we do not interpret, verbatim. */
  extraHeader: string[];
  entries: UidlistEntry[];   // ascending uid
}

export class UidlistParseError extends Error {}

const U32_MAX = 0xffffffff;

function parseU32(s: string, what: string): number {
  if (!/^[0-9]{1,10}$/.test(s)) throw new UidlistParseError(`bad ${what}: ${s.slice(0, 20)}`);
  const n = Number(s);
  if (n > U32_MAX) throw new UidlistParseError(`${what} out of range`);
  return n;
}

/** Parses a uidlist; throws UidlistParseError on anything malformed (the caller rebuilds). */
export function parseUidlist(text: string): Uidlist {
  const entries: UidlistEntry[] = [];
  const u = scanUidlist(text, (uid, base, ext) => { entries.push({ uid, base, ext: ext ?? [] }); }, true);
  u.entries = entries;
  return u;
}

/**
 * Reads a uidlist line by line, handing each record to `each` (its extension fields only when
 * `wantExt`, else null): reading 100,000 records into a base → uid map needs no entry objects.
 * Returns the header with `entries` empty. Throws UidlistParseError as parseUidlist does.
 */
export function scanUidlist(text: string, each: (uid: number, base: string, ext: string[] | null) => void, wantExt = false): Uidlist {
  // Only complete lines: a last line without its newline is being appended right now (or was
  // torn by a crash), not ours to read yet (Dovecot does the same).
  const end = text.lastIndexOf('\n') + 1;
  const nl = text.indexOf('\n');
  if (nl < 0 || nl >= end) throw new UidlistParseError('empty');
  const h = text.slice(0, nl).split(' ');
  let uidValidity = 0;
  let nextUid = 1;
  let guid = '';
  const extraHeader: string[] = [];
  let version: number;
  if (h[0] === '3') {
    version = 3;
    for (const f of h.slice(1)) {
      if (f === '') continue;
      const k = f[0];
      const v = f.slice(1);
      if (k === 'V') uidValidity = parseU32(v, 'uidvalidity');
      else if (k === 'N') nextUid = parseU32(v, 'nextuid');
      else if (k === 'G') guid = v;
      else extraHeader.push(f);
    }
  } else if (h[0] === '1' && h.length >= 3) {
    version = 1;
    uidValidity = parseU32(h[1]!, 'uidvalidity');
    nextUid = parseU32(h[2]!, 'nextuid');
  } else {
    throw new UidlistParseError('unsupported version');
  }
  if (uidValidity === 0) throw new UidlistParseError('uidvalidity 0');
  let last = 0;
  for (let pos = nl + 1; pos < end;) {
    const eol = text.indexOf('\n', pos);
    if (eol === pos) { pos++; continue; } // empty line
    const sp = text.indexOf(' ', pos);
    if (sp <= pos || sp >= eol) throw new UidlistParseError('bad line');
    const uid = digitsValue(text, pos, sp, 10); // /^[0-9]{1,10}$/
    if (uid < 0) throw new UidlistParseError(`bad uid: ${text.slice(pos, Math.min(sp, pos + 20))}`);
    if (uid > U32_MAX) throw new UidlistParseError('uid out of range');
    if (uid === 0 || uid <= last) throw new UidlistParseError('uids not ascending');
    last = uid;
    let at = sp + 1;
    let ext: string[] | null = null;
    if (version === 3) {
      // Fields up to the one starting with ':'; the base is everything after that ':'.
      while (text.charCodeAt(at) !== 0x3a || at >= eol) {
        const n = text.indexOf(' ', at);
        if (n < 0 || n >= eol) throw new UidlistParseError('line without basename');
        if (wantExt) (ext ??= []).push(text.slice(at, n));
        at = n + 1;
      }
      at++;
    }
    const base = text.slice(at, eol);
    if (base === '' || base.includes('/') || base.includes('\0')) throw new UidlistParseError('bad basename');
    each(uid, base, ext);
    pos = eol + 1;
  }
  if (last >= nextUid) nextUid = last + 1;
  return { uidValidity, nextUid, guid, extraHeader, entries: [] };
}

/** Parses appended record lines (complete lines only); throws on anything malformed or not ascending. */
export function parseUidlistLines(text: string, lastUid: number): UidlistEntry[] {
  const u = parseUidlist(`3 V1 N1\n${text}`);
  if (u.entries.length && u.entries[0]!.uid <= lastUid) throw new UidlistParseError('uids not ascending');
  return u.entries;
}

export function formatUidlistEntry(e: UidlistEntry): string {
  return e.ext.length ? `${e.uid} ${e.ext.join(' ')} :${e.base}\n` : `${e.uid} :${e.base}\n`;
}

/** The version 3 header line, without its newline. */
export function formatUidlistHeader(u: Omit<Uidlist, 'entries'>): string {
  const head = ['3', `V${u.uidValidity}`, `N${u.nextUid}`];
  if (u.guid) head.push(`G${u.guid}`);
  head.push(...u.extraHeader);
  return head.join(' ');
}

/** Formats as version 3. */
export function formatUidlist(u: Uidlist): string {
  const out: string[] = [formatUidlistHeader(u)];
  for (const e of u.entries) {
    out.push(e.ext.length ? `${e.uid} ${e.ext.join(' ')} :${e.base}` : `${e.uid} :${e.base}`);
  }
  return out.join('\n') + '\n';
}
