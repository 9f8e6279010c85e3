/**
 * Reading FETCH responses as the raw client collects them (literal octets inlined after
 * "{N}\r\n", RFC 3501 §4.3): item name → value, for the few items the harness asks for.
 * Values: literals and quoted strings as text, NIL as "", numbers and atoms as text,
 * parenthesised lists (FLAGS, BODYSTRUCTURE) as their raw text.
 */
export interface FetchItem { seq: number; items: Map<string, string> }

/** Parses one untagged response ("12 FETCH (...)"); null if it is not a FETCH. */
export function parseFetch(untagged: string): FetchItem | null {
  const m = /^(\d+) FETCH \(/i.exec(untagged);
  if (!m) return null;
  const items = new Map<string, string>();
  let i = m[0].length;
  const s = untagged;
  const skipSp = () => { while (s[i] === ' ') i++; };
  const value = (): string => {
    skipSp();
    const c = s[i];
    if (c === '{') {
      const close = s.indexOf('}', i);
      const n = Number(s.slice(i + 1, close).replace('+', ''));
      const start = close + 3; // "}\r\n"
      i = start + n;
      return s.slice(start, start + n);
    }
    if (c === '~' && s[i + 1] === '{') { i++; return value(); } // RFC 3516 literal8
    if (c === '"') {
      let out = '';
      i++;
      while (i < s.length && s[i] !== '"') { if (s[i] === '\\') i++; out += s[i++]; }
      i++;
      return out;
    }
    if (c === '(') {
      const start = i;
      let depth = 0;
      while (i < s.length) {
        const ch = s[i];
        if (ch === '"') { i++; while (i < s.length && s[i] !== '"') { if (s[i] === '\\') i++; i++; } i++; continue; }
        if (ch === '{') { const close = s.indexOf('}', i); const n = Number(s.slice(i + 1, close).replace('+', '')); i = close + 3 + n; continue; }
        if (ch === '(') depth++;
        if (ch === ')') { depth--; if (depth === 0) { i++; break; } }
        i++;
      }
      return s.slice(start, i);
    }
    const start = i;
    while (i < s.length && s[i] !== ' ' && s[i] !== ')') i++;
    const atom = s.slice(start, i);
    return atom.toUpperCase() === 'NIL' ? '' : atom;
  };
  for (;;) {
    skipSp();
    if (i >= s.length || s[i] === ')') break;
    // Item name: atom, possibly with [section] (which may contain spaces and parens) and <origin>.
    const start = i;
    while (i < s.length && s[i] !== ' ' && s[i] !== '[' && s[i] !== ')') i++;
    if (s[i] === '[') {
      let depth = 0;
      while (i < s.length) { if (s[i] === '[') depth++; if (s[i] === ']') { depth--; if (depth === 0) { i++; break; } } i++; }
      while (i < s.length && s[i] !== ' ') i++; // <origin>
    }
    const name = s.slice(start, i).toUpperCase();
    if (!name) break;
    items.set(name, value());
  }
  return { seq: Number(m[1]), items };
}

/** The value of the first item whose name starts with `prefix` (e.g. "BODY[HEADER.FIELDS"). */
export function itemStarting(f: FetchItem, prefix: string): string | undefined {
  for (const [k, v] of f.items) if (k.startsWith(prefix)) return v;
  return undefined;
}

/** Tracks EXISTS / EXPUNGE in untagged responses: the message count of the selected mailbox. */
export function applyMailboxUpdates(untagged: string[], count: number): number {
  for (const u of untagged) {
    const m = /^(\d+) (EXISTS|EXPUNGE)\b/i.exec(u);
    if (!m) continue;
    if (m[2]!.toUpperCase() === 'EXISTS') count = Number(m[1]);
    else count = Math.max(0, count - 1);
  }
  return count;
}
