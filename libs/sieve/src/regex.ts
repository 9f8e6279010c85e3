/**
 * POSIX extended regular expressions for `:regex` (draft-ietf-sieve-regex; Pigeonhole uses
 * regcomp REG_EXTENDED) run by a Pike VM: time is O(subject × program), whatever the pattern,
 * so a hostile script cannot hang delivery the way a backtracking engine (ReDoS) can. The caller
 * is told how much work each match took and charges it to the run's step budget.
 * Leftmost match, earlier alternatives and greedy repetition preferred (as JS/Perl, which for the
 * usual Sieve patterns gives the same groups as POSIX).
 */

type Pred = (c: number) => boolean;
type Node =
  | { t: 'char'; p: Pred }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'group'; node: Node; index: number }
  | { t: 'bol' } | { t: 'eol' };

type Inst =
  | { op: 'char'; p: Pred }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'bol' } | { op: 'eol' } | { op: 'match' };

export interface Program { insts: Inst[]; groups: number }

/** RE_DUP_MAX in glibc is 0x7fff; we keep programs small instead. */
const MAX_REPEAT = 255;
const MAX_PROGRAM = 5000;

class RegexSyntax extends Error {}

const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
const upper = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);

const CLASSES: Record<string, Pred> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  cntrl: (c) => c < 32 || c === 127,
  print: (c) => c >= 32 && c !== 127,
  graph: (c) => c > 32 && c !== 127,
};
const WORD: Pred = (c) => CLASSES.alnum!(c) || c === 95;

class Parser {
  private i = 0;
  groups = 0;
  constructor(private readonly s: number[], private readonly fold: boolean) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.s.length) throw new RegexSyntax('unmatched )');
    return n;
  }

  private peek(): number | undefined { return this.s[this.i]; }

  private alt(): Node {
    const items = [this.branch()];
    while (this.peek() === 0x7c /* | */) { this.i++; items.push(this.branch()); }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private branch(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c || c === 0x29 /* ) */) break;
      let atom = this.atom();
      for (;;) {
        const q = this.quantifier();
        if (!q) break;
        if (atom.t === 'bol' || atom.t === 'eol') throw new RegexSyntax('repetition of an anchor');
        atom = { t: 'rep', node: atom, min: q[0], max: q[1] };
      }
      items.push(atom);
    }
    return { t: 'cat', items };
  }

  private quantifier(): [number, number] | null {
    const c = this.peek();
    if (c === 0x2a) { this.i++; return [0, Infinity]; }
    if (c === 0x2b) { this.i++; return [1, Infinity]; }
    if (c === 0x3f) { this.i++; return [0, 1]; }
    if (c === 0x7b /* { */) {
      const rest = String.fromCodePoint(...this.s.slice(this.i, this.i + 16));
      const m = /^\{(\d+|\d*(?=,))(,(\d*))?\}/.exec(rest);
      if (!m) throw new RegexSyntax('unmatched {'); // glibc: "{" must start an interval (escape it for a literal)
      const min = Number(m[1] || '0'); // glibc reads "{,n}" as "{0,n}"
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) throw new RegexSyntax('bad interval');
      this.i += m[0].length;
      return [min, max];
    }
    return null;
  }

  private lit(c: number): Node {
    if (!this.fold) return { t: 'char', p: (x) => x === c };
    const l = lower(c);
    return { t: 'char', p: (x) => lower(x) === l };
  }

  private atom(): Node {
    const c = this.s[this.i++]!;
    switch (c) {
      case 0x28: { // (
        const index = ++this.groups;
        const node = this.alt();
        if (this.s[this.i++] !== 0x29) throw new RegexSyntax('unmatched (');
        return { t: 'group', node, index };
      }
      case 0x2e: return { t: 'char', p: () => true }; // . (REG_NEWLINE not set: matches newline too)
      case 0x5e: return { t: 'bol' };
      case 0x24: return { t: 'eol' };
      case 0x5b: return this.bracket();
      case 0x5c: { // backslash
        const e = this.s[this.i++];
        if (e === undefined) throw new RegexSyntax('trailing backslash');
        // GNU extensions that glibc regcomp understands.
        if (e === 0x77) return { t: 'char', p: WORD };                     // \w
        if (e === 0x57) return { t: 'char', p: (x) => !WORD(x) };          // \W
        if (e === 0x73) return { t: 'char', p: CLASSES.space! };            // \s
        if (e === 0x53) return { t: 'char', p: (x) => !CLASSES.space!(x) }; // \S
        if (e === 0x62 || e === 0x42 || e === 0x3c || e === 0x3e || (e >= 0x31 && e <= 0x39)) {
          throw new RegexSyntax('word boundaries and back-references are not supported');
        }
        return this.lit(e);
      }
      case 0x2a: case 0x2b: case 0x3f:
        throw new RegexSyntax('invalid preceding regular expression'); // as glibc with REG_EXTENDED
      case 0x7b: // "{" with nothing before it
        throw new RegexSyntax('invalid preceding regular expression');
      default:
        return this.lit(c);
    }
  }

  private bracket(): Node {
    let neg = false;
    if (this.peek() === 0x5e) { neg = true; this.i++; }
    const preds: Pred[] = [];
    let first = true;
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw new RegexSyntax('unmatched [');
      if (c === 0x5d && !first) break;
      first = false;
      if (c === 0x5b && this.peek() === 0x3a) { // [:class:]
        const rest = String.fromCodePoint(...this.s.slice(this.i, this.i + 12));
        const m = /^:([a-z]+):\]/.exec(rest);
        if (!m || !CLASSES[m[1]!]) throw new RegexSyntax('unknown character class');
        const p = CLASSES[m[1]!]!;
        preds.push(m[1] === 'upper' || m[1] === 'lower' ? (this.fold ? CLASSES.alpha! : p) : p);
        this.i += m[0].length;
        continue;
      }
      if (c === 0x5b && (this.peek() === 0x2e || this.peek() === 0x3d)) throw new RegexSyntax('collating elements are not supported');
      let hi = c;
      if (this.peek() === 0x2d && this.s[this.i + 1] !== undefined && this.s[this.i + 1] !== 0x5d) {
        hi = this.s[this.i + 1]!;
        this.i += 2;
        if (hi < c) throw new RegexSyntax('invalid range');
      }
      const lo = c;
      preds.push(this.fold
        ? (x) => (x >= lo && x <= hi) || (lower(x) >= lo && lower(x) <= hi) || (upper(x) >= lo && upper(x) <= hi)
        : (x) => x >= lo && x <= hi);
    }
    return { t: 'char', p: neg ? (x) => !preds.some((p) => p(x)) : (x) => preds.some((p) => p(x)) };
  }
}

function emit(n: Node, out: Inst[]): void {
  if (out.length > MAX_PROGRAM) throw new RegexSyntax('regular expression too large');
  switch (n.t) {
    case 'char': out.push({ op: 'char', p: n.p }); return;
    case 'bol': out.push({ op: 'bol' }); return;
    case 'eol': out.push({ op: 'eol' }); return;
    case 'cat': for (const x of n.items) emit(x, out); return;
    case 'group':
      out.push({ op: 'save', n: 2 * n.index });
      emit(n.node, out);
      out.push({ op: 'save', n: 2 * n.index + 1 });
      return;
    case 'alt': {
      const jumps: Array<{ op: 'jmp'; x: number }> = [];
      n.items.forEach((item, k) => {
        if (k < n.items.length - 1) {
          const split = { op: 'split' as const, x: out.length + 1, y: 0 };
          out.push(split);
          emit(item, out);
          const j = { op: 'jmp' as const, x: 0 };
          out.push(j);
          jumps.push(j);
          split.y = out.length;
        } else emit(item, out);
      });
      for (const j of jumps) j.x = out.length;
      return;
    }
    case 'rep': {
      for (let k = 0; k < n.min; k++) emit(n.node, out);
      if (n.max === Infinity) {
        const split = { op: 'split' as const, x: out.length + 1, y: 0 };
        const at = out.length;
        out.push(split);
        emit(n.node, out);
        out.push({ op: 'jmp', x: at });
        split.y = out.length;
      } else {
        const splits: Array<{ op: 'split'; x: number; y: number }> = [];
        for (let k = n.min; k < n.max; k++) {
          const split = { op: 'split' as const, x: out.length + 1, y: 0 };
          out.push(split);
          splits.push(split);
          emit(n.node, out);
        }
        for (const s of splits) s.y = out.length;
      }
      return;
    }
  }
}

/** Compiles a pattern; null when it is not a valid (supported) POSIX ERE. */
export function compilePosix(pattern: string, fold: boolean): Program | null {
  try {
    const p = new Parser(Array.from(pattern, (ch) => ch.codePointAt(0)!), fold);
    const ast = p.parse();
    const insts: Inst[] = [{ op: 'save', n: 0 }];
    emit(ast, insts);
    insts.push({ op: 'save', n: 1 }, { op: 'match' });
    if (insts.length > MAX_PROGRAM) return null;
    return { insts, groups: p.groups };
  } catch (e) {
    if (e instanceof RegexSyntax || e instanceof RangeError) return null;
    throw e;
  }
}

interface Thread { pc: number; caps: number[] }

/**
 * Runs the program over `subject`; returns the matched text and groups (${0}..${n}, "" for groups
 * that did not take part) or null. `work` is increased by the number of VM steps taken.
 */
export function execPosix(prog: Program, subject: string, work: { n: number }): string[] | null {
  const input = Array.from(subject, (ch) => ch.codePointAt(0)!);
  const n = input.length;
  const insts = prog.insts;
  const mark = new Int32Array(insts.length).fill(-1);
  let gen = 0;
  let clist: Thread[] = [];
  let nlist: Thread[] = [];
  let matched: number[] | null = null;
  const stack: Thread[] = [];

  // Follows jumps, splits, saves and anchors from pc; adds the char/match threads to `list` in priority order.
  const add = (list: Thread[], pc0: number, caps0: number[], pos: number) => {
    stack.push({ pc: pc0, caps: caps0 });
    while (stack.length > 0) {
      const { pc, caps } = stack.pop()!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      work.n++;
      const ins = insts[pc]!;
      switch (ins.op) {
        case 'jmp': stack.push({ pc: ins.x, caps }); break;
        case 'split': stack.push({ pc: ins.y, caps }, { pc: ins.x, caps }); break; // x first: popped first
        case 'save': { const c = caps.slice(); c[ins.n] = pos; stack.push({ pc: pc + 1, caps: c }); break; }
        case 'bol': if (pos === 0) stack.push({ pc: pc + 1, caps }); break;
        case 'eol': if (pos === n) stack.push({ pc: pc + 1, caps }); break;
        default: list.push({ pc, caps });
      }
    }
  };

  const empty = new Array<number>(2 * (prog.groups + 1)).fill(-1);
  gen++;
  add(clist, 0, empty, 0);
  for (let pos = 0; pos <= n; pos++) {
    gen++;
    for (const th of clist) {
      work.n++;
      const ins = insts[th.pc]!;
      if (ins.op === 'match') { matched = th.caps; break; } // lower-priority threads lose
      if (ins.op === 'char' && pos < n && ins.p(input[pos]!)) add(nlist, th.pc + 1, th.caps, pos + 1);
    }
    // Leftmost: new attempts start only while nothing has matched yet.
    if (matched === null && pos < n) add(nlist, 0, empty, pos + 1);
    [clist, nlist] = [nlist, []];
    if (clist.length === 0 && matched !== null) break;
  }
  if (!matched) return null;
  const out: string[] = [];
  for (let g = 0; g <= prog.groups; g++) {
    const s = matched[2 * g]!, e = matched[2 * g + 1]!;
    out.push(s >= 0 && e >= s ? input.slice(s, e).map((c) => String.fromCodePoint(c)).join('') : '');
  }
  return out;
}
