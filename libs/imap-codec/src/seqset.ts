/**
 * Sequence sets (RFC 3501 §9 sequence-set; "$" is SEARCHRES, RFC 5182).
 * Pure helpers: parse the wire form, format it back, and resolve it against the largest number in use.
 */
import type { SeqRange, SeqSet } from './types.js';

/** RFC 3501 §9 nz-number is a 32-bit unsigned number. */
export const MAX_SEQ_NUMBER = 4294967295;

function parseNumber(s: string): number | '*' | null {
  if (s === '*') return '*';
  if (!/^[1-9][0-9]{0,9}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_SEQ_NUMBER ? n : null;
}

/** Parses "1:3,5,7:*" or "$"; returns null when the text is not a valid sequence set. */
export function parseSeqSet(s: string): SeqSet | null {
  if (s === '$') return { kind: 'saved' };
  if (s.length === 0) return null;
  const ranges: SeqRange[] = [];
  let i = 0;
  while (i <= s.length) {
    let j = s.indexOf(',', i);
    if (j < 0) j = s.length;
    const part = s.slice(i, j);
    const colon = part.indexOf(':');
    if (colon < 0) {
      const n = parseNumber(part);
      if (n === null) return null;
      ranges.push({ start: n, end: n });
    } else {
      const a = parseNumber(part.slice(0, colon));
      const b = parseNumber(part.slice(colon + 1));
      if (a === null || b === null) return null;
      ranges.push({ start: a, end: b });
    }
    if (j === s.length) break;
    i = j + 1;
    if (i === s.length) return null; // trailing comma
  }
  return { kind: 'set', ranges };
}

/** Formats a set back to its wire form; single-number ranges print as one number. */
export function formatSeqSet(set: SeqSet): string {
  if (set.kind === 'saved') return '$';
  return set.ranges.map((r) => (r.start === r.end ? String(r.start) : `${r.start}:${r.end}`)).join(',');
}

/**
 * Resolves a set against `max` (EXISTS for sequence numbers, largest UID for UIDs): '*' becomes max,
 * reversed ranges are swapped (RFC 3501 §9: 4:2 == 2:4), numbers are clamped to 1..max, and
 * overlapping/adjacent ranges merged. Result: sorted, disjoint inclusive [from, to] pairs.
 * Callers that must reject numbers above max (message sequence numbers) check `seqSetMax` first.
 * "$" resolves to nothing here; the server substitutes its saved result before resolving.
 */
export function resolveSeqSet(set: SeqSet, max: number): Array<[number, number]> {
  if (set.kind === 'saved' || max < 1) return [];
  const rs: Array<[number, number]> = [];
  for (const r of set.ranges) {
    let a = r.start === '*' ? max : r.start;
    let b = r.end === '*' ? max : r.end;
    if (a > b) [a, b] = [b, a];
    if (a > max) continue;
    if (b > max) b = max;
    rs.push([a, b]);
  }
  rs.sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) { if (r[1] > last[1]) last[1] = r[1]; } else out.push([r[0], r[1]]);
  }
  return out;
}

/** Expands a resolved set to a sorted list of unique numbers (use only when max is bounded, e.g. EXISTS). */
export function seqSetToList(set: SeqSet, max: number): number[] {
  const out: number[] = [];
  for (const [a, b] of resolveSeqSet(set, max)) for (let i = a; i <= b; i++) out.push(i);
  return out;
}

/** Largest explicit number in the set ('*' counts as max); lets the server reject seq numbers > EXISTS. */
export function seqSetMax(set: SeqSet, max: number): number {
  if (set.kind === 'saved') return 0;
  let m = 0;
  for (const r of set.ranges) {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    if (a > m) m = a;
    if (b > m) m = b;
  }
  return m;
}

/** True when n is in the set once '*' is read as max. */
export function seqSetHas(set: SeqSet, n: number, max: number): boolean {
  if (set.kind === 'saved') return false;
  for (const r of set.ranges) {
    let a = r.start === '*' ? max : r.start;
    let b = r.end === '*' ? max : r.end;
    if (a > b) [a, b] = [b, a];
    if (n >= a && n <= b) return true;
  }
  return false;
}

/**
 * Compact form "1:3,7" of a list of numbers, keeping the given order (COPYUID source and destination
 * sets must pair up element by element, RFC 4315 §3); only ascending consecutive runs collapse.
 * Sort the input first for ESEARCH ALL (RFC 4731).
 */
export function compressUids(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i]!;
    let end = start;
    while (i + 1 < numbers.length && numbers[i + 1] === end + 1) { end++; i++; }
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}
