/**
 * Who logs in: a pattern with %d and a numeric range (user%d@example.org, 1-100) with one password,
 * or a credentials file (user:password per line, # comments). Workers of a coordinated run take
 * disjoint slices, so each worker's read-back sees only its own users' changes.
 */
import { readFileSync } from 'node:fs';

export interface Credential { user: string; pass: string; index: number }

export interface UserSource {
  count: number;
  /** This worker's users. */
  list: Credential[];
  get(i: number): Credential;
  /** A random user of this source. */
  pick(rand: () => number): Credential;
}

/** "1-100" or "100" (= 1-100). */
export function parseRange(spec: string): { start: number; end: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`bad range "${spec}" (expected N or A-B)`);
  const start = m[2] === undefined ? 1 : Number(m[1]);
  const end = m[2] === undefined ? Number(m[1]) : Number(m[2]);
  if (start > end || start < 0) throw new Error(`bad range "${spec}"`);
  return { start, end };
}

/** Expands one %d (optionally %0Nd) in the pattern. */
export function expandPattern(pattern: string, n: number): string {
  return pattern.replace(/%(0?\d*)d/, (_m, w: string) => (w ? String(n).padStart(Number(w), '0') : String(n)));
}

export function patternUsers(pattern: string, range: { start: number; end: number }, pass: string): Credential[] {
  const out: Credential[] = [];
  for (let n = range.start; n <= range.end; n++) out.push({ user: expandPattern(pattern, n), pass, index: out.length });
  return out;
}

export function readCredentialsFile(path: string): Credential[] {
  const out: Credential[] = [];
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`${path}: line without "user:password": ${line.slice(0, 40)}`);
    out.push({ user: line.slice(0, i), pass: line.slice(i + 1), index: out.length });
  }
  if (out.length === 0) throw new Error(`${path}: no credentials`);
  return out;
}

/** Slice `worker` of `workers` (round robin by position), so workers never share a user. */
export function userSource(all: Credential[], worker = 0, workers = 1): UserSource {
  const mine = all.filter((_c, i) => i % workers === worker);
  if (mine.length === 0) throw new Error(`worker ${worker} of ${workers} has no users: give at least ${workers} users`);
  return {
    count: mine.length,
    list: mine,
    get: (i) => mine[i % mine.length]!,
    pick: (rand) => mine[Math.floor(rand() * mine.length)]!,
  };
}
