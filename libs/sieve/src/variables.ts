/**
 * Variables (RFC 5229): ${name} / ${N} expansion, set modifiers, and the imap4flags flag-list
 * helpers (RFC 5232 §3) that store flags in variables.
 */
import { LIMITS } from '../../core/src/limits.js';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?|[0-9]+)\}/g;

/** Looks a variable up: returns its value, or undefined for an unknown namespace (left as written). */
export type VarLookup = (name: string) => string | undefined;

/** One pass of substitution (RFC 5229 §3): expanded text is never expanded again. */
export function expandVariables(s: string, lookup: VarLookup): string {
  if (!s.includes('${')) return s;
  return s.replace(REF, (whole, name: string) => {
    const v = lookup(name);
    return v === undefined ? whole : v;
  });
}

function upperFirst(s: string): string { const cp = s.codePointAt(0); if (cp === undefined) return s; const c = String.fromCodePoint(cp); return c.toUpperCase() + s.slice(c.length); }
function lowerFirst(s: string): string { const cp = s.codePointAt(0); if (cp === undefined) return s; const c = String.fromCodePoint(cp); return c.toLowerCase() + s.slice(c.length); }

/**
 * Applies `set` modifiers in precedence order (RFC 5229 §4.1): 40 :lower/:upper,
 * 30 :lowerfirst/:upperfirst, 20 :quotewildcard, 10 :length.
 */
export function applyModifiers(value: string, mods: Set<string>): string {
  let v = value;
  if (mods.has('lower')) v = v.toLowerCase();
  if (mods.has('upper')) v = v.toUpperCase();
  if (mods.has('lowerfirst')) v = lowerFirst(v);
  if (mods.has('upperfirst')) v = upperFirst(v);
  if (mods.has('quotewildcard')) v = v.replace(/[*?\\]/g, (c) => '\\' + c);
  if (mods.has('length')) v = String(Array.from(v).length);
  return v;
}

/** Values longer than the limit are cut (Pigeonhole truncates at sieve_variables_max_variable_size). */
export function clampValue(v: string): string {
  if (v.length <= LIMITS.sieveMaxVariableSize) return v;
  let cut = v.slice(0, LIMITS.sieveMaxVariableSize);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}

/** Splits flag strings on spaces and removes duplicates, case-insensitively (RFC 5232 §3). */
export function flagList(values: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    for (const f of v.split(' ')) {
      if (f === '') continue;
      const k = f.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(f);
    }
  }
  return out;
}

export function addFlags(current: string, add: string[]): string {
  return flagList([current, ...add]).join(' ');
}

export function removeFlags(current: string, remove: string[]): string {
  const drop = new Set(flagList(remove).map((f) => f.toLowerCase()));
  return flagList([current]).filter((f) => !drop.has(f.toLowerCase())).join(' ');
}
