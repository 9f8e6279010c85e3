/**
 * Sieve lexer (RFC 5228 §8.1): identifiers, tags, numbers with K/M/G, quoted strings,
 * multi-line `text:` strings and the special characters; comments are skipped. Every token
 * carries its 1-based line and column so parse errors point at the exact spot.
 */
import type { Pos } from './types.js';

export type Token =
  | (Pos & { t: 'ident'; v: string })
  | (Pos & { t: 'tag'; v: string })
  | (Pos & { t: 'number'; v: number })
  | (Pos & { t: 'string'; v: string })
  | (Pos & { t: 'special'; v: string })
  | (Pos & { t: 'eof'; v: '' });

export class SieveSyntaxError extends Error {
  constructor(readonly line: number, readonly column: number, message: string) { super(message); }
}

const SPECIALS = '[](),;{}';
const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

function isAlpha(c: string): boolean { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_'; }
function isDigit(c: string): boolean { return c >= '0' && c <= '9'; }

/** Splits a whole script into tokens; throws SieveSyntaxError with line/column on bad input. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;
  const col = (at: number) => at - lineStart + 1;
  const fail = (at: number, msg: string): never => { throw new SieveSyntaxError(line, col(at), msg); };
  const newline = (at: number) => { line++; lineStart = at + 1; };

  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '\n') { newline(i); i++; continue; }
    if (c === '#') { while (i < n && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const start = i;
      const startLine = line, startCol = col(i);
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) { if (src[i] === '\n') newline(i); i++; }
      if (i >= n) throw new SieveSyntaxError(startLine, startCol, 'unterminated comment');
      i += 2;
      void start;
      continue;
    }
    const tokLine = line, tokCol = col(i);
    if (SPECIALS.includes(c)) { out.push({ t: 'special', v: c, line: tokLine, column: tokCol }); i++; continue; }
    if (c === ':') {
      let j = i + 1;
      if (j >= n || !isAlpha(src[j]!)) fail(i, "expected a tag name after ':'");
      while (j < n && (isAlpha(src[j]!) || isDigit(src[j]!))) j++;
      out.push({ t: 'tag', v: src.slice(i + 1, j).toLowerCase(), line: tokLine, column: tokCol });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < n && isDigit(src[j]!)) j++;
      let v = Number(src.slice(i, j));
      const q = src[j]?.toUpperCase();
      if (q === 'K') { v *= 1024; j++; } else if (q === 'M') { v *= 1024 * 1024; j++; } else if (q === 'G') { v *= 1024 * 1024 * 1024; j++; }
      if (j < n && (isAlpha(src[j]!) || isDigit(src[j]!))) fail(j, 'invalid character in number');
      if (!(v <= MAX_NUMBER)) fail(i, 'number is too large');
      out.push({ t: 'number', v, line: tokLine, column: tokCol });
      i = j;
      continue;
    }
    if (isAlpha(c)) {
      let j = i;
      while (j < n && (isAlpha(src[j]!) || isDigit(src[j]!))) j++;
      const word = src.slice(i, j);
      // RFC 5228 §8.1: "text:" *(SP / HTAB) (hash-comment / CRLF) starts a multi-line string.
      if (word.toLowerCase() === 'text' && src[j] === ':') {
        i = multiline(j + 1, tokLine, tokCol);
        continue;
      }
      out.push({ t: 'ident', v: word.toLowerCase(), line: tokLine, column: tokCol });
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= n) throw new SieveSyntaxError(tokLine, tokCol, 'unterminated string');
        const d = src[j]!;
        if (d === '"') break;
        if (d === '\\') {
          // RFC 5228 §2.4.2: "\\" and "\"" are escapes; any other "\x" stands for x.
          const e = src[j + 1];
          if (e === undefined) throw new SieveSyntaxError(tokLine, tokCol, 'unterminated string');
          if (e === '\n') newline(j + 1);
          v += e;
          j += 2;
          continue;
        }
        if (d === '\n') {
          // A line break inside a quoted string is CRLF whatever the file uses (as Pigeonhole).
          newline(j);
          v += src[j - 1] === '\r' ? '\n' : '\r\n';
          j++;
          continue;
        }
        v += d;
        j++;
      }
      out.push({ t: 'string', v, line: tokLine, column: tokCol });
      i = j + 1;
      continue;
    }
    fail(i, `unexpected character '${c}'`);
  }
  out.push({ t: 'eof', v: '', line, column: col(i) });
  return out;

  function multiline(from: number, tokLine: number, tokCol: number): number {
    let j = from;
    while (j < n && (src[j] === ' ' || src[j] === '\t')) j++;
    if (src[j] === '#') { while (j < n && src[j] !== '\n') j++; }
    else if (src[j] === '\r' && src[j + 1] === '\n') j++;
    if (src[j] !== '\n') fail(j, "expected end of line after 'text:'");
    newline(j);
    j++;
    let value = '';
    for (;;) {
      if (j >= n) throw new SieveSyntaxError(tokLine, tokCol, 'unterminated multi-line string');
      let e = src.indexOf('\n', j);
      if (e < 0) e = n;
      let text = src.slice(j, e);
      const cr = text.endsWith('\r');
      if (cr) text = text.slice(0, -1);
      if (text === '.') {
        if (e < n) newline(e);
        j = e + 1;
        break;
      }
      if (e >= n) throw new SieveSyntaxError(tokLine, tokCol, 'unterminated multi-line string');
      // Dot-stuffing: a line starting with ".." stands for one starting with ".". Each line ends
      // with CRLF (RFC 5228 §8.1), also in a script saved with bare LFs (as Pigeonhole).
      value += (text.startsWith('..') ? text.slice(1) : text) + '\r\n';
      void cr;
      newline(e);
      j = e + 1;
    }
    out.push({ t: 'string', v: value, line: tokLine, column: tokCol });
    return j;
  }
}
