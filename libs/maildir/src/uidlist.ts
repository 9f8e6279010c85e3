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
  const lines = text.split('\n');
  // The last element is '' for a complete file; otherwise it is a line being appended right now
  // (or torn by a crash): not ours to read yet (Dovecot does the same).
  lines.pop();
  const header = lines.shift();
  if (header === undefined) throw new UidlistParseError('empty');
  const h = header.split(' ');
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
  const entries: UidlistEntry[] = [];
  let last = 0;
  for (const line of lines) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    if (sp <= 0) throw new UidlistParseError('bad line');
    const uid = parseU32(line.slice(0, sp), 'uid');
    if (uid === 0 || uid <= last) throw new UidlistParseError('uids not ascending');
    last = uid;
    let rest = line.slice(sp + 1);
    const ext: string[] = [];
    let base: string;
    if (version === 3) {
      // Fields up to the one starting with ':'; the base is everything after that ':'.
      for (;;) {
        if (rest.startsWith(':')) { base = rest.slice(1); break; }
        const n = rest.indexOf(' ');
        if (n < 0) throw new UidlistParseError('line without basename');
        ext.push(rest.slice(0, n));
        rest = rest.slice(n + 1);
      }
    } else {
      base = rest;
    }
    if (base === '' || base.includes('/') || base.includes('\0')) throw new UidlistParseError('bad basename');
    entries.push({ uid, base, ext });
  }
  if (last >= nextUid) nextUid = last + 1;
  return { uidValidity, nextUid, guid, extraHeader, entries };
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
