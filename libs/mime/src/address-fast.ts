/**
 * A fast path for the address lists nearly all mail carries: `local@domain`, `Name <local@domain>`,
 * `"Last, First" <local@domain>`, comma-separated. One pass over the characters, no tokens; the
 * result is exactly parseAddressList's (envelope.ts) for the same value, which the property test in
 * address-fast.test.ts checks. Anything else (comments, groups, routes, quoted pairs, folding
 * whitespace runs, domain literals) returns undefined and the caller takes the full parser.
 */
import type { Address } from './types.js';

/**
 * Characters of an atom or dot-atom here: what RFC 5322 §3.2.3 atext allows plus '.' and 8-bit,
 * i.e. what envelope.ts's tokenizer keeps inside one word (or joins back without spaces).
 */
function wordChar(c: number): boolean {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z: the common case first
  if (c >= 0x40 && c <= 0x5a) return c !== 0x40; // A-Z (not '@')
  if (c >= 0x30 && c <= 0x39) return true;
  if (c > 0x7f) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b: case 0x2d:
    case 0x2e: case 0x2f: case 0x3d: case 0x3f: case 0x5e: case 0x5f: case 0x60: case 0x7b: case 0x7c:
    case 0x7d: case 0x7e:
      return true;
    default:
      return false;
  }
}

/** End of the dot-atom starting at i (i itself when there is none). */
function wordEnd(s: string, i: number): number {
  while (i < s.length && wordChar(s.charCodeAt(i))) i++;
  return i;
}

/** `local@domain` from i: [end, local, domain], or null. */
function addrSpecAt(s: string, i: number): [number, string, string] | null {
  const a = wordEnd(s, i);
  if (a === i || s.charCodeAt(a) !== 0x40) return null;
  const b = wordEnd(s, a + 1);
  if (b === a + 1) return null;
  return [b, s.slice(i, a), s.slice(a + 1, b)];
}

/** The address list of a header value, or undefined when it is not of the simple kinds above. */
export function parseAddressListFast(v: string): Address[] | undefined {
  const n = v.length;
  if (n === 0) return undefined;
  const out: Address[] = [];
  let i = 0;
  for (;;) {
    let name: string | null = null;
    let c = v.charCodeAt(i);
    if (c === 0x3c) {
      // "<addr>" without a display name.
    } else if (c === 0x22) {
      // One quoted string as the display name (no quoted pairs, no line breaks, no NUL).
      const q = v.indexOf('"', i + 1);
      if (q < 0) return undefined;
      for (let k = i + 1; k < q; k++) {
        const d = v.charCodeAt(k);
        if (d === 0x5c || d === 0x0d || d === 0x0a || d === 0) return undefined;
      }
      name = q > i + 1 ? v.slice(i + 1, q) : null;
      i = q + 1;
      while (v.charCodeAt(i) === 0x20) i++;
      if (v.charCodeAt(i) !== 0x3c) return undefined;
    } else {
      // Words separated by single spaces: either the display name before "<", or a bare addr-spec.
      const bare = addrSpecAt(v, i);
      if (bare && (bare[0] === n || v.charCodeAt(bare[0]) === 0x2c)) {
        out.push({ name: null, adl: null, mailbox: bare[1], host: bare[2] });
        i = bare[0];
        if (i === n) return out;
        i = nextItem(v, i);
        if (i < 0) return undefined;
        continue;
      }
      const start = i;
      for (;;) {
        const e = wordEnd(v, i);
        if (e === i) return undefined;
        i = e;
        if (v.charCodeAt(i) !== 0x20) break;
        if (v.charCodeAt(i + 1) === 0x3c) { i++; break; }
        i++;
      }
      if (v.charCodeAt(i) !== 0x3c) return undefined;
      name = v.slice(start, v.charCodeAt(i - 1) === 0x20 ? i - 1 : i);
    }
    const spec = addrSpecAt(v, i + 1);
    if (!spec || v.charCodeAt(spec[0]) !== 0x3e) return undefined;
    out.push({ name, adl: null, mailbox: spec[1], host: spec[2] });
    i = spec[0] + 1;
    if (i === n) return out;
    i = nextItem(v, i);
    if (i < 0) return undefined;
  }
}

/** After an item: "," and spaces, then the next item's start; -1 when anything else follows. */
function nextItem(v: string, i: number): number {
  if (v.charCodeAt(i) !== 0x2c) return -1;
  i++;
  while (v.charCodeAt(i) === 0x20) i++;
  return i < v.length ? i : -1;
}
