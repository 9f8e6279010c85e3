/**
 * Maildir file names as pure functions over strings (no fs here).
 *
 * A Maildir file name is `<base>[:2,<info>]` (cr.yp.to/proto/maildir.html). The base identifies the
 * message for its whole life; the info part after ":2," holds the flags as letters, sorted:
 * upper-case system flags (D draft, F flagged, P passed, R replied, S seen, T trashed) and, as
 * Dovecot does, lower-case letters a..z for keywords (mapped through `dovecot-keywords`).
 * Dovecot appends `,S=<size>` (file size) and `,W=<vsize>` (size with CRLF) to the base so sizes are
 * known without stat or read; we do the same.
 */

/** IMAP system flag for each Maildir flag letter. 'P' (passed) has no IMAP flag and is preserved as-is. */
const LETTER_TO_FLAG: Record<string, string> = {
  D: '\\Draft',
  F: '\\Flagged',
  R: '\\Answered',
  S: '\\Seen',
  T: '\\Deleted',
};
const FLAG_TO_LETTER: Record<string, string> = {
  '\\draft': 'D',
  '\\flagged': 'F',
  '\\answered': 'R',
  '\\seen': 'S',
  '\\deleted': 'T',
};

export interface ParsedFilename {
  /** Everything before ":2," — the stable identity of the message. */
  readonly base: string;
  /** Info letters after ":2," (may be empty); null when the name has no info part. */
  readonly info: string | null;
  /** `,S=` value: file size on disk, when present. */
  readonly size: number | null;
  /** `,W=` value: size with CRLF line endings (RFC822.SIZE), when present. */
  readonly vsize: number | null;
}

/** Splits a file name into base and info; reads ,S= and ,W= from the base. */
export function parseFilename(name: string): ParsedFilename {
  const colon = name.indexOf(':');
  let base = name;
  let info: string | null = null;
  if (colon >= 0) {
    base = name.slice(0, colon);
    const rest = name.slice(colon + 1);
    info = rest.startsWith('2,') ? rest.slice(2) : '';
  }
  let size: number | null = null;
  let vsize: number | null = null;
  // The ,S= / ,W= fields follow the first ',' of the base (Dovecot maildir-filename.c). Scanned by
  // hand, no split or regex: a first SELECT parses 100,000 names.
  let at = base.indexOf(',');
  while (at >= 0) {
    const start = at + 1;
    const next = base.indexOf(',', start);
    const end = next < 0 ? base.length : next;
    const key = base.charCodeAt(start);
    if ((key === 0x53 || key === 0x57) && base.charCodeAt(start + 1) === 0x3d) { // S= / W=
      const v = digitsValue(base, start + 2, end);
      if (v >= 0) { if (key === 0x53) size = v; else vsize = v; }
    }
    at = next;
  }
  return { base, info, size, vsize };
}

/** The number spelt by s[from, to) when it is 1 to 15 ASCII digits, else -1. */
function digitsValue(s: string, from: number, to: number): number {
  if (to - from < 1 || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Base name of a file name (drops ":2,<info>"). */
export function baseOf(name: string): string {
  const colon = name.indexOf(':');
  return colon >= 0 ? name.slice(0, colon) : name;
}

/** Sorted, de-duplicated info letters (upper-case first as ASCII order puts them). */
export function sortInfo(letters: string): string {
  return [...new Set(letters.split(''))].filter((c) => /^[A-Za-z]$/.test(c)).sort().join('');
}

/** File name for a base with the given info letters (always with ":2,", as messages in cur/ have). */
export function formatFilename(base: string, info: string): string {
  return `${base}:2,${sortInfo(info)}`;
}

/**
 * Info letters → IMAP flags. `keywordAt(i)` gives the keyword name for letter index i
 * ('a' = 0), or undefined when the keyword file does not define it (then the letter is dropped).
 */
export function infoToFlags(info: string | null, keywordAt: (i: number) => string | undefined): string[] {
  if (!info) return [];
  const out = new Set<string>();
  for (const c of info) {
    const sys = LETTER_TO_FLAG[c];
    if (sys) out.add(sys);
    else if (c >= 'a' && c <= 'z') {
      const kw = keywordAt(c.charCodeAt(0) - 97);
      if (kw !== undefined) out.add(kw);
    }
  }
  return [...out].sort();
}

/**
 * IMAP flags → info letters. Keeps letters of `oldInfo` that carry no IMAP meaning (e.g. 'P').
 * `letterFor(keyword)` returns the letter index for a keyword (assigning one if needed), or -1 when
 * no letter is available.
 */
export function flagsToInfo(flags: readonly string[], letterFor: (kw: string) => number, oldInfo: string | null = null): string {
  let s = '';
  for (const c of oldInfo ?? '') {
    if (c >= 'A' && c <= 'Z' && !LETTER_TO_FLAG[c]) s += c;
  }
  for (const f of flags) {
    const l = FLAG_TO_LETTER[f.toLowerCase()];
    if (l) s += l;
    else if (!f.startsWith('\\')) {
      const i = letterFor(f);
      if (i >= 0 && i < 26) s += String.fromCharCode(97 + i);
    }
  }
  return sortInfo(s);
}

/** Is this an IMAP system flag we store (\Recent is never stored)? Returns the canonical spelling. */
export function canonicalSystemFlag(f: string): string | null {
  const l = FLAG_TO_LETTER[f.toLowerCase()];
  return l ? LETTER_TO_FLAG[l]! : null;
}

/**
 * Host part of a unique name: the Maildir spec says to replace '/' with "\057" and ':' with "\072"
 * so the name stays one path component with no info separator. We also replace ',' ("\054") so
 * our ,S=/,W= fields parse unambiguously.
 */
export function escapeHost(host: string): string {
  return host.replace(/\//g, '\\057').replace(/:/g, '\\072').replace(/,/g, '\\054').replace(/[\x00-\x20\x7f]/g, '_');
}

/** `<secs>.M<usecs>P<pid>Q<counter>.<host>,S=<size>,W=<vsize>` (Maildir spec + Dovecot extensions). */
export function formatBase(p: { secs: number; usecs: number; pid: number; counter: number; host: string; size: number; vsize: number }): string {
  return `${p.secs}.M${p.usecs}P${p.pid}Q${p.counter}.${escapeHost(p.host)},S=${p.size},W=${p.vsize}`;
}

const NAME_TIME = /^(\d+)\.(?:[^.]*?M(\d+))?(?:[^.]*?Q(\d+))?/;

/**
 * Orders base names by delivery time, numerically (Dovecot maildir_filename_sort_cmp): seconds, then
 * the M<usecs> and Q<n> parts of unique names, then the text. New UIDs are given in this order, so a
 * rebuilt UID list keeps the messages in the order they arrived; a plain text sort would put
 * "M999" after "M1000", and readdir order is no order at all.
 */
export function compareByDeliveryTime(a: string, b: string): number {
  return compareKeyed(deliveryKey(a), deliveryKey(b));
}

interface DeliveryKey { name: string; t: [number, number, number] | null }

function deliveryKey(name: string): DeliveryKey {
  const m = NAME_TIME.exec(name);
  return { name, t: m ? [Number(m[1]), m[2] === undefined ? -1 : Number(m[2]), m[3] === undefined ? -1 : Number(m[3])] : null };
}

function compareKeyed(ka: DeliveryKey, kb: DeliveryKey): number {
  const a = ka.t;
  const b = kb.t;
  if (a && b) {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  } else if (a || b) {
    return a ? -1 : 1; // names in the Maildir format first
  }
  return ka.name < kb.name ? -1 : ka.name > kb.name ? 1 : 0;
}

/** `names` sorted as compareByDeliveryTime does, each name parsed once (100,000 new names on a first SELECT). */
export function sortByDeliveryTime(names: readonly string[]): string[] {
  return names.map(deliveryKey).sort(compareKeyed).map((k) => k.name);
}
