/**
 * Token-level parser over one framed command: the command's line text (all line segments joined)
 * plus the literals that were announced at segment ends. A literal "{N}" at text position p is valid
 * only where the framer saw it end a line (litPos[k] === position after "}"); anywhere else it is a syntax error.
 * Grammar names follow RFC 3501 §9 (ABNF).
 */
import { mutf7Decode } from '../../core/src/mutf7.js';

export class ParseError extends Error {}

export interface ParserOptions {
  maxNesting: number;
  maxArgs: number;
  utf8Accept: boolean;
}

/** RFC 3501 §9 ATOM-CHAR: CHAR (0x01-0x7f) except atom-specials ( ) { SP CTL % * " \ ]. */
export function isAtomChar(c: number): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  return c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== 0x22 && c !== 0x5c && c !== 0x5d;
}

/** ASTRING-CHAR = ATOM-CHAR / resp-specials ("]"). */
function isAstringChar(c: number): boolean {
  return c === 0x5d || isAtomChar(c);
}

/** list-char = ATOM-CHAR / list-wildcards / resp-specials. */
function isListChar(c: number): boolean {
  return c === 0x25 || c === 0x2a || isAstringChar(c);
}

/** RFC 3501 §2.3.2 system flags, matched case-insensitively and returned in canonical case. */
const SYSTEM_FLAGS = new Map(['Seen', 'Answered', 'Flagged', 'Deleted', 'Draft', 'Recent'].map((f) => [f.toUpperCase(), f]));

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

export class Parser {
  pos = 0;
  private lit = 0;
  private args = 0;
  private depth = 0;

  constructor(
    readonly text: string,
    private readonly litPos: readonly number[],
    private readonly literals: readonly Buffer[],
    readonly opts: ParserOptions,
  ) {}

  fail(msg: string): never {
    throw new ParseError(msg);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  peekStr(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  sp(): void {
    if (this.text.charCodeAt(this.pos) !== 0x20) this.fail(this.atEnd() ? 'Missing argument' : 'Expected space');
    this.pos++;
  }

  trySp(): boolean {
    if (this.text.charCodeAt(this.pos) === 0x20) { this.pos++; return true; }
    return false;
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail(`Expected "${ch}"`);
    this.pos++;
  }

  expectEnd(): void {
    if (!this.atEnd()) this.fail('Unexpected extra arguments');
  }

  private count(): void {
    if (++this.args > this.opts.maxArgs) this.fail('Too many arguments');
  }

  open(): void {
    this.expect('(');
    if (++this.depth > this.opts.maxNesting) this.fail('Too deep nesting');
  }

  close(): void {
    this.expect(')');
    this.depth--;
  }

  /** Enter one level of non-parenthesised recursion (NOT/OR chains) under the same nesting bound. */
  enter(): void {
    if (++this.depth > this.opts.maxNesting) this.fail('Too deep nesting');
  }

  leave(): void {
    this.depth--;
  }

  private takeWhile(pred: (c: number) => boolean): string {
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length && pred(t.charCodeAt(this.pos))) this.pos++;
    return t.slice(start, this.pos);
  }

  atom(): string {
    const s = this.takeWhile(isAtomChar);
    if (s === '') this.fail(this.atEnd() ? 'Missing argument' : 'Invalid characters in atom');
    this.count();
    return s;
  }

  /** Atom upper-cased, for keywords. */
  word(): string {
    return this.atom().toUpperCase();
  }

  /** A keyword made of letters, digits, "." and "-" only (FETCH att names stop before "[" and "<"). */
  name(): string {
    const s = this.takeWhile((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d);
    if (s === '') this.fail('Expected keyword');
    this.count();
    return s.toUpperCase();
  }

  quoted(): string {
    this.expect('"');
    const t = this.text;
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('Unterminated quoted string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const n = t.charCodeAt(this.pos + 1);
        if (n !== 0x22 && n !== 0x5c) this.fail('Invalid escape in quoted string');
        out += t.slice(start, this.pos);
        start = this.pos + 1;
        this.pos += 2;
        continue;
      }
      if (c === 0x0d || c === 0x0a || c === 0) this.fail('Invalid character in quoted string');
      this.pos++;
    }
    out += t.slice(start, this.pos);
    this.pos++;
    this.count();
    return out;
  }

  /** A literal "{N}" / "{N+}" (or literal8 "~{N}" when allowed) at this position: its octets. */
  literal(allowBinary = false): { data: Buffer; binary: boolean } {
    let binary = false;
    if (this.peek() === 0x7e) {
      if (!allowBinary) this.fail('literal8 not allowed here');
      binary = true;
      this.pos++;
    }
    const m = /^\{(\d{1,20})(\+?)\}/.exec(this.text.slice(this.pos, this.pos + 25));
    if (!m) this.fail('Invalid literal');
    this.pos += m[0].length;
    if (this.litPos[this.lit] !== this.pos) this.fail('Literal must end the line');
    const data = this.literals[this.lit++]!;
    if (data.length !== Number(m[1])) this.fail('Literal size mismatch');
    if (!binary && data.includes(0)) this.fail('NUL in literal');
    this.count();
    return { data, binary };
  }

  isStringStart(): boolean {
    const c = this.peek();
    return c === 0x22 || c === 0x7b;
  }

  string(): string {
    if (this.peek() === 0x22) return this.quoted();
    if (this.peek() === 0x7b) return this.literal().data.toString('utf8');
    return this.fail(this.atEnd() ? 'Missing argument' : 'Expected string');
  }

  astring(): string {
    if (this.isStringStart()) return this.string();
    const s = this.takeWhile(isAstringChar);
    if (s === '') this.fail(this.atEnd() ? 'Missing argument' : 'Invalid characters in atom');
    this.count();
    return s;
  }

  nstring(): string | null {
    if (!this.isStringStart() && this.text.slice(this.pos, this.pos + 3).toUpperCase() === 'NIL' && !isAstringChar(this.text.charCodeAt(this.pos + 3))) {
      this.pos += 3;
      return null;
    }
    return this.string();
  }

  /** list-mailbox: 1*list-char / string (RFC 3501 §9). */
  listMailbox(): string {
    if (this.isStringStart()) return this.string();
    const s = this.takeWhile(isListChar);
    if (s === '') this.fail('Expected mailbox pattern');
    this.count();
    return s;
  }

  /** Decodes a mailbox name (mUTF-7 unless UTF8=ACCEPT) and canonicalises INBOX (RFC 3501 §5.1). */
  decodeMailbox(raw: string, inbox = true): string {
    let name = raw;
    if (!this.opts.utf8Accept) {
      try { name = mutf7Decode(raw); } catch { this.fail('Mailbox name is not valid modified UTF-7'); }
    }
    if (inbox && name.length === 5 && name.toUpperCase() === 'INBOX') return 'INBOX';
    return name;
  }

  mailbox(): string {
    return this.decodeMailbox(this.astring());
  }

  /** number (RFC 3501: 32-bit unsigned) or, with big=true, a 63-bit mod-sequence-value / size. */
  number(big = false): number {
    const s = this.takeWhile((c) => c >= 0x30 && c <= 0x39);
    if (s === '') this.fail('Expected number');
    if (s.length > 19) this.fail('Number too large');
    // mod-sequence-value is up to 2^63-1 (RFC 7162 §7); above 2^53 the JS number is rounded, which only
    // matters for values far beyond any modseq we issue (such values compare as "newer than all").
    if (big ? BigInt(s) > 9223372036854775807n : Number(s) > 4294967295) this.fail('Number too large');
    const n = Number(s);
    this.count();
    return n;
  }

  nzNumber(big = false): number {
    const n = this.number(big);
    if (n === 0) this.fail('Number must be non-zero');
    return n;
  }

  /** Raw sequence-set characters (validated by parseSeqSet). */
  seqSetText(): string {
    const s = this.takeWhile((c) => (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2a || c === 0x2c || c === 0x24);
    if (s === '') this.fail('Expected sequence set');
    this.count();
    return s;
  }

  /** flag = "\" atom / atom (keyword); "\*" only when allowStar (PERMANENTFLAGS-style contexts). */
  flag(allowStar = false): string {
    if (this.peek() === 0x5c) {
      this.pos++;
      if (allowStar && this.peek() === 0x2a) { this.pos++; return '\\*'; }
      const a = this.atom();
      return '\\' + (SYSTEM_FLAGS.get(a.toUpperCase()) ?? a);
    }
    return this.atom();
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  flagList(): string[] {
    this.open();
    const flags: string[] = [];
    if (this.peek() !== 0x29) {
      flags.push(this.flag());
      while (this.trySp()) flags.push(this.flag());
    }
    this.close();
    return flags;
  }

  /** date = date-text / DQUOTE date-text DQUOTE; date-text = 1*2DIGIT "-" Mon "-" 4DIGIT. Returns YYYY-MM-DD. */
  date(): string {
    const q = this.peek() === 0x22;
    if (q) this.pos++;
    const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})/.exec(this.text.slice(this.pos, this.pos + 11));
    if (!m) this.fail('Invalid date');
    this.pos += m[0].length;
    if (q) this.expect('"');
    const day = Number(m[1]);
    const mon = MONTHS.indexOf(m[2]!.toUpperCase());
    const year = Number(m[3]);
    if (mon < 0 || day < 1 || day > daysIn(year, mon)) this.fail('Invalid date');
    this.count();
    return `${m[3]}-${String(mon + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }

  /**
   * date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
   * (RFC 3501 §9), returned as epoch milliseconds.
   */
  dateTime(): number {
    const s = this.quoted();
    const m = /^([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
    if (!m) this.fail('Invalid date-time');
    const day = Number(m[1]!.trim());
    const mon = MONTHS.indexOf(m[2]!.toUpperCase());
    const year = Number(m[3]);
    const hh = Number(m[4]), mm = Number(m[5]), ss = Number(m[6]);
    const zh = Number(m[8]), zm = Number(m[9]);
    if (mon < 0 || day < 1 || day > daysIn(year, mon) || hh > 23 || mm > 59 || ss > 60 || zm > 59) this.fail('Invalid date-time');
    const zone = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm) * 60000;
    return Date.UTC(year, mon, day, hh, mm, ss) - zone;
  }
}

function daysIn(year: number, mon: number): number {
  return new Date(Date.UTC(year, mon + 1, 0)).getUTCDate();
}
