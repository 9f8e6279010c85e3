/**
 * Structured MIME header values: Content-Type (RFC 2045 §5.1), Content-Disposition (RFC 2183),
 * parameters with RFC 2231 continuations, charsets and languages. Lenient and never throws.
 */
import type { ContentType, Disposition } from './types.js';
import { decodeCharset } from './charset.js';

/** Skips whitespace and RFC 822 comments from i; returns the new index. */
function skipCfws(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { i++; continue; }
    if (c === '(') {
      let depth = 1;
      i++;
      while (i < n && depth > 0) {
        if (s[i] === '\\') i++;
        else if (s[i] === '(') depth++;
        else if (s[i] === ')') depth--;
        i++;
      }
      continue;
    }
    break;
  }
  return i;
}

/** Reads a quoted-string starting at s[i] === '"'; returns [unquoted value, index after]. */
function readQuoted(s: string, i: number): [string, number] {
  let v = '';
  i++;
  while (i < s.length) {
    const d = s[i]!;
    if (d === '\\' && i + 1 < s.length) { v += s[i + 1]; i += 2; continue; }
    if (d === '"') { i++; break; }
    if (d !== '\r' && d !== '\n') v += d;
    i++;
  }
  return [v, i];
}

/** Reads a token (RFC 2045 §5.1) from i up to a delimiter in `stop`. */
function readToken(s: string, i: number, stop: string): [string, number] {
  let j = i;
  while (j < s.length && !stop.includes(s[j]!)) j++;
  return [s.slice(i, j), j];
}

/** Percent-decoding of an RFC 2231 extended value into bytes (bad escapes are kept literally). */
function percentBytes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

interface Section { num: number; extended: boolean; value: string }

/**
 * Parses "; a=b; c*0=..; c*1*=.." into [attribute, value] pairs: attributes lower-case, RFC 2231
 * continuations joined in section order and extended values decoded from their charset to text.
 * The first occurrence of an attribute wins; parameters without a value are dropped.
 */
export function parseParams(s: string, from: number): Array<[string, string]> {
  const plain: Array<[string, string]> = [];
  const ext = new Map<string, Section[]>();
  const order: string[] = [];
  let i = from;
  const n = s.length;
  while (i < n) {
    i = skipCfws(s, i);
    if (i >= n) break;
    if (s[i] === ';') { i++; continue; }
    let rawName: string;
    [rawName, i] = readToken(s, i, '=;');
    const name = rawName.trim().toLowerCase();
    if (i >= n || s[i] !== '=') continue; // parameter without a value: dropped
    i = skipCfws(s, i + 1);
    let value: string;
    if (s[i] === '"') {
      [value, i] = readQuoted(s, i);
    } else {
      // Lenient: an unquoted value runs to the next ';' (spaces and tspecials kept, as clients expect).
      [value, i] = readToken(s, i, ';');
      value = value.replace(/\([^)]*\)\s*$/, '').trim();
    }
    while (i < n && s[i] !== ';') i++;
    if (name.length === 0 || /[\s"]/.test(name)) continue;
    const m = /^([^*]+)\*(?:(\d+)(\*)?|)$/.exec(name) ?? /^([^*]+)\*(\d+)?(\*)?$/.exec(name);
    if (name.includes('*') && m) {
      const base = m[1]!;
      const numbered = m[2] !== undefined;
      const sec: Section = {
        num: numbered ? Number(m[2]) : 0,
        extended: numbered ? m[3] === '*' : true,
        value,
      };
      let list = ext.get(base);
      if (!list) { list = []; ext.set(base, list); order.push(base); }
      if (!list.some((s) => s.num === sec.num)) list.push(sec);
      continue;
    }
    if (!plain.some(([k]) => k === name)) plain.push([name, value]);
  }
  const out = plain;
  for (const base of order) {
    const list = ext.get(base)!.sort((a, b) => a.num - b.num);
    const anyExtended = list.some((x) => x.extended);
    let joined = '';
    for (let k = 0; k < list.length; k++) {
      const sec = list[k]!;
      if (sec.num !== k) break; // RFC 2231 §3: sections must be consecutive from 0
      // Plain sections of an extended value are percent-encoded so the joined value stays one
      // RFC 2231 §4 extended value (charset'language'%XX...).
      joined += anyExtended && !sec.extended ? pctEncode(sec.value) : sec.value;
    }
    if (anyExtended && !list[0]!.extended) joined = "''" + joined;
    out.push([anyExtended ? base + '*' : base, joined]);
  }
  return out;
}

function pctEncode(v: string): string {
  let o = '';
  for (const b of Buffer.from(v, 'utf8')) {
    const c = String.fromCharCode(b);
    o += b > 0x20 && b < 0x7f && !"*'%()<>@,;:\\\"/[]?=".includes(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return o;
}

/**
 * Decodes an RFC 2231 §4 extended value "charset'language'%XX.." to text (lenient: a value without
 * the two quotes is treated as percent-encoded UTF-8/unknown).
 */
export function decodeExtendedValue(v: string): { value: string; charset: string | null; language: string | null } {
  const q1 = v.indexOf("'");
  const q2 = q1 >= 0 ? v.indexOf("'", q1 + 1) : -1;
  let charset: string | null = null;
  let language: string | null = null;
  if (q2 >= 0) {
    charset = v.slice(0, q1) || null;
    language = v.slice(q1 + 1, q2) || null;
    v = v.slice(q2 + 1);
  }
  return { value: decodeCharset(percentBytes(v), charset), charset, language };
}

/**
 * The text of parameter `name` (lower-case): an RFC 2231 "name*" value decoded from its charset wins
 * over a plain "name" (RFC 2231 §4); otherwise the plain value. Null when absent.
 */
export function decodeParam(params: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  for (const [k, v] of params) if (k === name + '*') return decodeExtendedValue(v).value;
  for (const [k, v] of params) if (k === name) return v;
  return null;
}

const TOKEN_RE = /^[a-z0-9!#$%&'*+\-.^_`{|}~]+$/;

/**
 * Content-Type value → ContentType, or null when it is unparseable (then the RFC 2045 §5.2
 * default applies). type/subtype are lower-cased.
 */
export function parseContentType(value: string | null): ContentType | null {
  if (value === null) return null;
  let i = skipCfws(value, 0);
  let type: string;
  [type, i] = readToken(value, i, '/; \t\r\n(');
  i = skipCfws(value, i);
  if (value[i] !== '/') return null;
  i = skipCfws(value, i + 1);
  let subtype: string;
  [subtype, i] = readToken(value, i, '; \t\r\n(');
  type = type.toLowerCase();
  subtype = subtype.toLowerCase();
  if (!TOKEN_RE.test(type) || !TOKEN_RE.test(subtype)) return null;
  return { type, subtype, params: parseParams(value, i) };
}

/** Content-Disposition (RFC 2183): type as given, parameters as for Content-Type. */
export function parseDisposition(value: string | null): Disposition | null {
  if (value === null) return null;
  let i = skipCfws(value, 0);
  let type: string;
  [type, i] = readToken(value, i, '; \t\r\n(');
  if (type.length === 0) return null;
  return { type, params: parseParams(value, i) };
}

/** Content-Language (RFC 3282): comma-separated tags. */
export function parseLanguage(value: string | null): string[] | null {
  if (value === null) return null;
  const tags = value.replace(/\([^)]*\)/g, ' ').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return tags.length > 0 ? tags : null;
}

/** Lookup of a parameter value by (lower-case) attribute. */
export function paramValue(params: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  for (const [k, v] of params) if (k === name) return v;
  return null;
}
