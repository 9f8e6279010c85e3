/**
 * Dovecot's `dovecot-keywords`: one line per keyword, `<index> <name>`; index 0 is letter 'a'
 * in the Maildir info suffix, up to 25 = 'z' (LIMITS.maildirMaxKeywords). Pure functions.
 */
import { LIMITS } from '../../core/src/limits.js';

/** Parses the file; malformed lines and indexes >= 26 are ignored (as Dovecot does). */
export function parseKeywords(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9]{1,2}) (\S+)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const i = Number(m[1]);
    if (i >= LIMITS.maildirMaxKeywords) continue;
    out[i] = m[2]!;
  }
  // Holes stay undefined; callers use `kw[i]` lookups.
  return out;
}

export function formatKeywords(kw: readonly (string | undefined)[]): string {
  let s = '';
  kw.forEach((name, i) => { if (name !== undefined) s += `${i} ${name}\n`; });
  return s;
}

/** Is `kw` a valid IMAP keyword atom (RFC 3501 §9 flag-keyword = atom, minus the flag specials)? */
export function isValidKeyword(kw: string): boolean {
  return kw.length > 0 && kw.length <= 128 && /^[\x21-\x7e]+$/.test(kw) && !/[(){%*"\\\]]/.test(kw);
}
