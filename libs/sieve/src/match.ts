/**
 * Comparators (RFC 4790 via RFC 5228 §2.7.3), match types :is :contains :matches (RFC 5228 §2.7.1),
 * :regex (draft-ietf-sieve-regex, run by the linear-time VM in regex.ts), relational :value/:count (RFC 5231) and the match variables
 * they capture (RFC 5229 §3.2).
 */
import { LIMITS } from '../../core/src/limits.js';
import { compilePosix, execPosix, type Program } from './regex.js';

export const COMPARATORS = new Set(['i;octet', 'i;ascii-casemap', 'i;ascii-numeric']);
export const RELATIONAL_OPS = new Set(['gt', 'ge', 'lt', 'le', 'eq', 'ne']);

export type MatchType = 'is' | 'contains' | 'matches' | 'regex' | 'count' | 'value';

export interface Matcher {
  type: MatchType;
  /** Relational operator for :count/:value, lower-case. */
  rel: string;
  comparator: string;
}

/** i;ascii-casemap folds only A-Z (RFC 4790 §9.2), never other scripts. */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

function octetCompare(a: string, b: string): number {
  // UTF-16 order differs from UTF-8 octet order only for surrogates vs U+E000..U+FFFF; compare bytes then.
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** i;ascii-numeric (RFC 4790 §9.1): the leading digits as a number; no digits means positive infinity. */
function numericCompare(a: string, b: string): number {
  const na = /^\d+/.exec(a)?.[0]?.replace(/^0+(?=\d)/, '');
  const nb = /^\d+/.exec(b)?.[0]?.replace(/^0+(?=\d)/, '');
  if (na === undefined) return nb === undefined ? 0 : 1;
  if (nb === undefined) return -1;
  if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export function compare(comparator: string, a: string, b: string): number {
  if (comparator === 'i;ascii-numeric') return numericCompare(a, b);
  if (comparator === 'i;octet') return octetCompare(a, b);
  return octetCompare(asciiLower(a), asciiLower(b));
}

export function relational(rel: string, c: number): boolean {
  switch (rel) {
    case 'gt': return c > 0;
    case 'ge': return c >= 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    default: return false;
  }
}

/**
 * Matches one value against one key. Returns null for no match, else the match variables
 * (${0} is the whole value for :matches, the regex groups for :regex; empty for other types).
 */
export function matchOne(m: Matcher, value: string, key: string, work: { n: number } = { n: 0 }): string[] | null {
  const fold = m.comparator === 'i;ascii-casemap';
  switch (m.type) {
    case 'is':
      return compare(m.comparator, value, key) === 0 ? EMPTY : null;
    case 'contains':
      if (m.comparator === 'i;ascii-numeric') return null;
      return (fold ? asciiLower(value).includes(asciiLower(key)) : value.includes(key)) ? EMPTY : null;
    case 'matches':
      if (m.comparator === 'i;ascii-numeric') return null;
      return globMatch(value, key, fold);
    case 'regex': {
      if (m.comparator === 'i;ascii-numeric') return null;
      const prog = compileRegex(key, fold);
      if (!prog) return null;
      return execPosix(prog, value.length > LIMITS.sieveMaxRegexSubject ? value.slice(0, LIMITS.sieveMaxRegexSubject) : value, work);
    }
    case 'value':
      return relational(m.rel, compare(m.comparator, value, key)) ? EMPTY : null;
    case 'count':
      return null; // counts are compared by the caller (matchCount)
  }
}

const EMPTY: string[] = [];

/** RFC 5231 §4.2: compare the number of values with each key using the comparator. */
export function matchCount(m: Matcher, count: number, keys: string[]): boolean {
  const s = String(count);
  return keys.some((k) => relational(m.rel, compare(m.comparator, s, k)));
}

/**
 * :matches with `*` (any sequence) and `?` (one character), `\` quoting (RFC 5228 §2.7.1).
 * Each wildcard matches as little as possible from the left, the last absorbs the rest
 * (RFC 5229 §3.2 example: "[*] *" on "[acme-users] [fwd] x" gives "acme-users", "[fwd] x").
 * Linear backtracking to the last star only: O(n·m), no exponential blow-up.
 */
export function globMatch(value: string, pattern: string, fold: boolean): string[] | null {
  const toks: Array<{ w: 0 | 1 | 2; c: string; idx: number }> = []; // w: 0 literal, 1 '*', 2 '?'
  let nWild = 0;
  const pcs = Array.from(pattern);
  for (let k = 0; k < pcs.length; k++) {
    const ch = pcs[k]!;
    if (ch === '\\' && k + 1 < pcs.length) { k++; toks.push({ w: 0, c: fold ? asciiLower(pcs[k]!) : pcs[k]!, idx: -1 }); }
    else if (ch === '*') toks.push({ w: 1, c: '', idx: nWild++ });
    else if (ch === '?') toks.push({ w: 2, c: '', idx: nWild++ });
    else toks.push({ w: 0, c: fold ? asciiLower(ch) : ch, idx: -1 });
  }
  const v = Array.from(value);
  const vf = fold ? v.map((c) => asciiLower(c)) : v;
  const capStart = new Array<number>(nWild).fill(0);
  const capEnd = new Array<number>(nWild).fill(0);
  let i = 0, p = 0, starP = -1, starI = -1;
  while (i < v.length) {
    const t = toks[p];
    if (t && t.w === 0 && t.c === vf[i]) { i++; p++; continue; }
    if (t && t.w === 2) { capStart[t.idx] = i; capEnd[t.idx] = i + 1; i++; p++; continue; }
    if (t && t.w === 1) { starP = p; starI = i; capStart[t.idx] = i; capEnd[t.idx] = i; p++; continue; }
    if (starP >= 0) {
      starI++;
      capEnd[toks[starP]!.idx] = starI;
      i = starI;
      p = starP + 1;
      continue;
    }
    return null;
  }
  while (p < toks.length && toks[p]!.w === 1) { const t = toks[p]!; capStart[t.idx] = i; capEnd[t.idx] = i; p++; }
  if (p !== toks.length) return null;
  const caps = [value];
  for (let w = 0; w < nWild; w++) caps.push(v.slice(capStart[w], capEnd[w]).join(''));
  return caps;
}

const regexCache = new Map<string, Program | null>();

/** A `:regex` key compiled for the Pike VM (regex.ts); null when the pattern is invalid. Cached. */
export function compileRegex(pattern: string, fold: boolean): Program | null {
  const key = (fold ? 'i' : 'c') + pattern;
  const hit = regexCache.get(key);
  if (hit !== undefined) return hit;
  const prog = compilePosix(pattern, fold);
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(key, prog);
  return prog;
}
