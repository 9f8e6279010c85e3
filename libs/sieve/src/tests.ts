/**
 * Sieve tests (RFC 5228 §5 and the extensions' tests): each turns message data into a list of
 * values and matches them against the keys with the test's comparator and match type.
 */
import { decodeWords, parseDateHeaderDetailed } from '../../mime/src/index.js';
import { TESTS, splitArgs, type SplitArgs } from './grammar.js';
import { matchCount, matchOne, type Matcher, type MatchType } from './match.js';
import { addressPart, envelopeAddress, headerAddresses } from './address.js';
import { datePart, parseZone } from './date.js';
import { flagList } from './variables.js';
import type { Run } from './interpreter.js';
import type { BodyRequest, Pos, TestNode } from './types.js';

const MATCH_TYPES: MatchType[] = ['is', 'contains', 'matches', 'regex', 'count', 'value'];

/** Comparator, match type and relational operator of a test (defaults: i;ascii-casemap, :is). */
export function matcherOf(run: Run, a: SplitArgs): Matcher {
  let type: MatchType = 'is';
  for (const t of MATCH_TYPES) if (a.tags.has(t)) type = t;
  const relArg = a.tags.get(type)?.arg;
  const rel = relArg && relArg.kind === 'string' ? run.str(relArg).toLowerCase() : 'eq';
  const cmpArg = a.tags.get('comparator')?.arg;
  const comparator = cmpArg && cmpArg.kind === 'string' ? run.str(cmpArg).toLowerCase() : 'i;ascii-casemap';
  return { type, rel, comparator };
}

/**
 * True if any value matches any key. A successful :matches/:regex sets the match variables
 * (RFC 5229 §3.2: only a successful match changes them).
 */
export function matchValues(run: Run, m: Matcher, values: string[], keys: string[], setVars = true, at?: Pos): boolean {
  if (m.type === 'count') { if (at) run.step(at); return matchCount(m, values.length, keys); }
  const work = { n: 0 };
  for (const v of values) {
    for (const k of keys) {
      if (at) run.step(at);
      work.n = 0;
      const r = matchOne(m, v, k, work);
      // Regex VM work counts against the step budget too (one step per 64 VM steps).
      if (at && work.n > 64) run.step(at, work.n >> 6);
      if (r) {
        if (setVars && (m.type === 'matches' || m.type === 'regex')) run.matchVars = r;
        return true;
      }
    }
  }
  return false;
}

/** Occurrences selected by :index/:last (RFC 5260 §6), else all. */
function indexed<T>(run: Run, a: SplitArgs, values: T[]): T[] {
  const idx = a.tags.get('index')?.arg;
  if (!idx || idx.kind !== 'number') return values;
  const k = a.tags.has('last') ? values.length - idx.value : idx.value - 1;
  void run;
  return k >= 0 && k < values.length ? [values[k]!] : [];
}

export async function evalTest(run: Run, t: TestNode): Promise<boolean> {
  run.step(t);
  switch (t.name) {
    case 'true': return true;
    case 'false': return false;
    case 'not': return !(await evalTest(run, t.tests[0]!));
    case 'allof':
      for (const s of t.tests) if (!(await evalTest(run, s))) return false;
      return true;
    case 'anyof':
      for (const s of t.tests) if (await evalTest(run, s)) return true;
      return false;
  }
  const a = splitArgs(t.args, TESTS[t.name]!);
  const m = t.name === 'size' || t.name === 'exists' || t.name === 'mailboxexists' ? null : matcherOf(run, a);
  const p = a.positional;
  const keys = () => run.strs(p[p.length - 1]);
  switch (t.name) {
    case 'size': {
      const over = a.tags.get('over')?.arg;
      const under = a.tags.get('under')?.arg;
      if (over && over.kind === 'number') return run.ctx.message.size > over.value;
      if (under && under.kind === 'number') return run.ctx.message.size < under.value;
      return false;
    }
    case 'exists':
      return run.strs(p[0]).every((n) => run.headers.values(n).length > 0);
    case 'header': {
      const values: string[] = [];
      // RFC 5228 §5.7: values are compared after RFC 2047 decoding.
      for (const n of run.strs(p[0])) values.push(...indexed(run, a, run.headers.values(n)).map(decodeWords));
      return matchValues(run, m!, values, keys(), true, t);
    }
    case 'address': {
      const part = addressPartOf(a);
      const values: string[] = [];
      for (const n of run.strs(p[0])) {
        for (const v of indexed(run, a, run.headers.values(n))) {
          for (const addr of headerAddresses(v)) { const x = addressPart(addr, part); if (x !== null) values.push(x); }
        }
      }
      return matchValues(run, m!, values, keys(), true, t);
    }
    case 'envelope': {
      const part = addressPartOf(a);
      const env = run.ctx.envelope;
      const values: string[] = [];
      for (const n of run.strs(p[0])) {
        const which = n.toLowerCase();
        // "to" is the original recipient when known (ORCPT / before alias expansion), as Pigeonhole does.
        const path = which === 'from' ? env.from : which === 'to' ? (env.origTo ?? env.to) : which === 'auth' ? env.auth : undefined;
        if (path === undefined) continue;
        const addr = envelopeAddress(path);
        // RFC 5228 §5.4: the null reverse-path compares as "" (with :all).
        if (!addr) { if (part === 'all') values.push(''); continue; }
        const x = addressPart(addr, part);
        if (x !== null) values.push(x);
      }
      return matchValues(run, m!, values, keys(), true, t);
    }
    case 'body': {
      const body = run.ctx.message.body;
      if (!body) return false;
      const req: BodyRequest = a.tags.has('raw') ? { transform: 'raw', contentTypes: [] }
        : a.tags.has('content') ? { transform: 'content', contentTypes: run.strs(a.tags.get('content')!.arg) }
        : { transform: 'text', contentTypes: [] };
      const ks = keys();
      const parts = await body.call(run.ctx.message, req);
      // RFC 5173 §6: the body test does not set match variables.
      for await (const text of parts as AsyncIterable<string>) {
        if (matchValues(run, m!, [text], ks, false, t)) return true;
      }
      return false;
    }
    case 'date': case 'currentdate': {
      const zoneArg = a.tags.get('zone')?.arg;
      const fixed = zoneArg && zoneArg.kind === 'string' ? parseZone(run.str(zoneArg)) : null;
      if (zoneArg && fixed === null) return false;
      const local = run.ctx.zoneOffsetMinutes ?? 0;
      const part = run.str(p[t.name === 'date' ? 1 : 0] as { value: string }).toLowerCase();
      const values: string[] = [];
      if (t.name === 'currentdate') {
        const v = datePart(run.now.getTime(), fixed ?? local, part);
        if (v !== null) values.push(v);
      } else {
        const name = run.str(p[0] as { value: string });
        for (const raw of indexed(run, a, run.headers.values(name))) {
          // RFC 5260 §4.1: in Received the date follows the last ';'.
          const text = name.toLowerCase() === 'received' ? raw.slice(raw.lastIndexOf(';') + 1) : raw;
          const d = parseDateHeaderDetailed(text);
          if (!d) continue;
          const off = a.tags.has('originalzone') ? d.offsetMinutes : fixed ?? local;
          const v = datePart(d.ms, off, part);
          if (v !== null) values.push(v);
        }
      }
      return matchValues(run, m!, values, keys(), true, t);
    }
    case 'mailboxexists': {
      for (const name of run.strs(p[0])) {
        run.step(t);
        const exists = run.ctx.mailboxExists ? await run.ctx.mailboxExists(name) : name.toUpperCase() === 'INBOX';
        if (!exists) return false;
      }
      return true;
    }
    case 'hasflag': {
      const sources = p.length === 2 ? run.strs(p[0]).map((n) => run.lookup(n) ?? '') : [run.flags];
      return matchValues(run, m!, flagList(sources), keys(), true, t);
    }
    case 'string': {
      let values = run.strs(p[0]);
      // RFC 5229 §5: :count counts only non-empty strings.
      if (m!.type === 'count') values = values.filter((v) => v !== '');
      return matchValues(run, m!, values, keys(), true, t);
    }
    case 'spamtest': {
      const s = run.ctx.scores;
      const v = a.tags.has('percent') ? (s?.spamPercent ?? 0) : (s?.spam ?? 0);
      return matchValues(run, m!, [String(Math.round(v))], keys(), true, t);
    }
    case 'virustest':
      return matchValues(run, m!, [String(Math.round(run.ctx.scores?.virus ?? 0))], keys(), true, t);
  }
  return false;
}

function addressPartOf(a: SplitArgs): string {
  for (const x of ['localpart', 'domain', 'user', 'detail']) if (a.tags.has(x)) return x;
  return 'all';
}
