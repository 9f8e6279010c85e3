/**
 * Sieve parser (RFC 5228 §8.2): tokens → AST, then validation against the signature table.
 * Never throws: every problem becomes { ok: false, error: { line, column, message } }.
 */
import { LIMITS } from '../../core/src/limits.js';
import { tokenize, SieveSyntaxError, type Token } from './lexer.js';
import { SUPPORTED_EXTENSIONS } from './extensions.js';
import { validateScript } from './validate.js';
import type { Arg, CommandNode, ParseOptions, ParseResult, Script, StringArg, TestNode } from './types.js';

/** Parses and validates a script. Never throws. */
export function parseScript(text: string, opts: ParseOptions = {}): ParseResult {
  const maxSize = opts.maxSize ?? LIMITS.sieveMaxScriptSize;
  if (typeof text !== 'string') return { ok: false, error: { line: 1, column: 1, message: 'script is not text' } };
  if (text.length > maxSize) return { ok: false, error: { line: 1, column: 1, message: `script is too large (max ${maxSize} characters)` } };
  try {
    const toks = tokenize(text);
    const p = new Parser(toks);
    const commands = p.commands(0);
    p.expectEof();
    const requires: string[] = [];
    for (const c of commands) {
      if (c.name !== 'require') continue;
      for (const s of c.args.flatMap((a) => (a.kind === 'string' ? [a] : a.kind === 'stringlist' ? a.values : []))) {
        requires.push(s.value.toLowerCase());
      }
    }
    const script: Script = { requires, commands, size: text.length };
    const allowed = new Set((opts.extensions ?? SUPPORTED_EXTENSIONS).map((e) => e.toLowerCase()));
    // Comparators are not a policy choice: i;octet and i;ascii-casemap are always there (RFC 5228 §2.7.3).
    for (const e of SUPPORTED_EXTENSIONS) if (e.startsWith('comparator-')) allowed.add(e);
    validateScript(script, allowed);
    if (requires.includes('encoded-character')) decodeEncodedCharacters(commands);
    return { ok: true, script };
  } catch (e) {
    if (e instanceof SieveSyntaxError) return { ok: false, error: { line: e.line, column: e.column, message: e.message } };
    if (e instanceof RangeError) return { ok: false, error: { line: 1, column: 1, message: 'script is too deeply nested' } };
    throw e;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token { return this.toks[this.i]!; }
  private next(): Token { return this.toks[this.i++]!; }
  private fail(t: Token, msg: string): never { throw new SieveSyntaxError(t.line, t.column, msg); }
  private describe(t: Token): string {
    return t.t === 'eof' ? 'end of script' : t.t === 'string' ? 'string' : t.t === 'number' ? `number ${t.v}` : t.t === 'tag' ? `':${t.v}'` : `'${t.v}'`;
  }

  expectEof(): void {
    const t = this.peek();
    if (t.t !== 'eof') this.fail(t, `unexpected ${this.describe(t)}`);
  }

  commands(depth: number): CommandNode[] {
    if (depth > LIMITS.sieveMaxNesting) this.fail(this.peek(), 'blocks are nested too deeply');
    const out: CommandNode[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'eof' || (t.t === 'special' && t.v === '}')) return out;
      out.push(this.command(depth));
    }
  }

  private command(depth: number): CommandNode {
    const id = this.next();
    if (id.t !== 'ident') this.fail(id, `expected a command but found ${this.describe(id)}`);
    const args = this.arguments();
    let test: TestNode | null = null;
    let tests: TestNode[] = [];
    const t = this.peek();
    if (t.t === 'ident') test = this.test(depth + 1);
    else if (t.t === 'special' && t.v === '(') tests = this.testList(depth + 1);
    const end = this.next();
    if (end.t === 'special' && end.v === ';') {
      return { name: id.v, args, test, tests, block: null, line: id.line, column: id.column };
    }
    if (end.t === 'special' && end.v === '{') {
      const block = this.commands(depth + 1);
      const close = this.next();
      if (!(close.t === 'special' && close.v === '}')) this.fail(close, `expected '}' but found ${this.describe(close)}`);
      return { name: id.v, args, test, tests, block, line: id.line, column: id.column };
    }
    return this.fail(end, `expected ';' or '{' after command '${id.v}' but found ${this.describe(end)}`);
  }

  private arguments(): Arg[] {
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'string') { this.i++; args.push({ kind: 'string', value: t.v, line: t.line, column: t.column }); continue; }
      if (t.t === 'number') { this.i++; args.push({ kind: 'number', value: t.v, line: t.line, column: t.column }); continue; }
      if (t.t === 'tag') { this.i++; args.push({ kind: 'tag', name: t.v, line: t.line, column: t.column }); continue; }
      if (t.t === 'special' && t.v === '[') { args.push(this.stringList()); continue; }
      return args;
    }
  }

  private stringList(): Arg {
    const open = this.next();
    const values: StringArg[] = [];
    for (;;) {
      const s = this.next();
      if (s.t !== 'string') this.fail(s, `expected a string in the string list but found ${this.describe(s)}`);
      values.push({ kind: 'string', value: s.v, line: s.line, column: s.column });
      const sep = this.next();
      if (sep.t === 'special' && sep.v === ']') break;
      if (!(sep.t === 'special' && sep.v === ',')) this.fail(sep, `expected ',' or ']' but found ${this.describe(sep)}`);
    }
    return { kind: 'stringlist', values, line: open.line, column: open.column };
  }

  private test(depth: number): TestNode {
    if (depth > LIMITS.sieveMaxNesting) this.fail(this.peek(), 'tests are nested too deeply');
    const id = this.next();
    if (id.t !== 'ident') this.fail(id, `expected a test but found ${this.describe(id)}`);
    const args = this.arguments();
    let tests: TestNode[] = [];
    const t = this.peek();
    if (t.t === 'ident') tests = [this.test(depth + 1)];
    else if (t.t === 'special' && t.v === '(') tests = this.testList(depth + 1);
    return { name: id.v, args, tests, line: id.line, column: id.column };
  }

  private testList(depth: number): TestNode[] {
    this.next(); // '('
    const tests: TestNode[] = [];
    for (;;) {
      tests.push(this.test(depth));
      const sep = this.next();
      if (sep.t === 'special' && sep.v === ')') return tests;
      if (!(sep.t === 'special' && sep.v === ',')) this.fail(sep, `expected ',' or ')' in the test list but found ${this.describe(sep)}`);
    }
  }
}

// ---------------------------------------------------------------- encoded-character (RFC 5228 §2.4.2.4)

class EncodedCharError extends Error {}

const ENCODED = /\$\{(hex|unicode):([\s0-9a-fA-F]*)\}/gi;

/** Replaces ${hex:..} and ${unicode:..} in a string; malformed sequences stay as written. */
export function decodeEncoded(s: string): string {
  if (!s.includes('${')) return s;
  return s.replace(ENCODED, (whole, kind: string, body: string) => {
    const parts = body.trim().split(/\s+/).filter((x) => x.length > 0);
    if (parts.length === 0) return whole;
    if (kind.toLowerCase() === 'hex') {
      const bytes: number[] = [];
      for (const p of parts) {
        if (p.length % 2 !== 0 && p.length !== 1) return whole;
        const hp = p.length % 2 === 1 ? '0' + p : p;
        for (let k = 0; k < hp.length; k += 2) bytes.push(parseInt(hp.slice(k, k + 2), 16));
      }
      return Buffer.from(bytes).toString('utf8');
    }
    let out = '';
    for (const p of parts) {
      const digits = p.replace(/^0+(?=.)/, '');
      const cp = parseInt(digits, 16);
      // §2.4.2.4: code points above U+10FFFF or surrogates are an error; keep the text instead of failing.
      // §2.4.2.4: "It is an error for a script to use a hexadecimal value that isn't in either the
      // range 0 to D7FF or the range E000 to 10FFFF" (Pigeonhole refuses the script too).
      if (digits.length > 6 || !(cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) throw new EncodedCharError(`invalid unicode character ${p} in encoded character`);
      out += String.fromCodePoint(cp);
    }
    return out;
  });
}

function decodeEncodedCharacters(cmds: CommandNode[]): void {
  const fix = (s: StringArg) => {
    try {
      s.value = decodeEncoded(s.value);
    } catch (e) {
      if (e instanceof EncodedCharError) throw new SieveSyntaxError(s.line, s.column, e.message);
      throw e;
    }
  };
  const fixArgs = (args: Arg[]) => {
    for (const a of args) {
      if (a.kind === 'string') fix(a);
      else if (a.kind === 'stringlist') for (const v of a.values) fix(v);
    }
  };
  const fixTest = (t: TestNode) => { fixArgs(t.args); t.tests.forEach(fixTest); };
  for (const c of cmds) {
    if (c.name === 'require') continue;
    fixArgs(c.args);
    if (c.test) fixTest(c.test);
    c.tests.forEach(fixTest);
    if (c.block) decodeEncodedCharacters(c.block);
  }
}
