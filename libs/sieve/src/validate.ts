/**
 * Semantic checks after parsing (what Pigeonhole's compiler reports): known commands and tests,
 * extensions required before use, argument types and counts, exclusive tags, if/elsif/else order,
 * and constant values that can be checked early (comparators, relational operators, regexes,
 * date parts, variable names). Errors are thrown as SieveSyntaxError with the offending position.
 */
import { SieveSyntaxError } from './lexer.js';
import { COMMANDS, TESTS, splitArgs, strings, type Signature } from './grammar.js';
import { validRedirectAddress } from './address.js';
import { compileRegex, COMPARATORS, RELATIONAL_OPS } from './match.js';
import type { Arg, CommandNode, Pos, Script, TestNode } from './types.js';

const VAR_NAME = /^[a-z_][a-z0-9_]*$/i;
const FIELD_NAME = /^[!-9;-~]+$/; // RFC 5322 §3.6.8 ftext: printable US-ASCII except ':'

function fail(p: Pos, msg: string): never { throw new SieveSyntaxError(p.line, p.column, msg); }

export function validateScript(script: Script, allowed: Set<string>): void {
  const req = new Set<string>();
  let pastRequires = false;
  for (const c of script.commands) {
    if (c.name === 'require') {
      if (pastRequires) fail(c, "'require' must come before all other commands");
      for (const a of c.args) {
        for (const s of strings(a)) {
          const ext = s.value.toLowerCase();
          if (!allowed.has(ext)) fail(s, `unsupported extension '${s.value}'`);
          req.add(ext);
        }
      }
    } else pastRequires = true;
  }
  const v = new Validator(req);
  v.block(script.commands, true);
}

class Validator {
  private readonly vars: boolean;
  constructor(private readonly req: Set<string>) { this.vars = req.has('variables'); }

  private has(exts: string[] | undefined): boolean { return !exts || exts.some((e) => this.req.has(e)); }

  block(cmds: CommandNode[], top: boolean): void {
    let prev: string | null = null;
    for (const c of cmds) {
      if (c.name === 'require' && !top) fail(c, "'require' is only allowed at the top of the script");
      if ((c.name === 'elsif' || c.name === 'else') && prev !== 'if' && prev !== 'elsif') {
        fail(c, `'${c.name}' without a preceding 'if'`);
      }
      this.command(c);
      prev = c.name;
    }
  }

  private command(c: CommandNode): void {
    const sig = COMMANDS[c.name];
    if (!sig) fail(c, TESTS[c.name] ? `'${c.name}' is a test, not a command` : `unknown command '${c.name}'`);
    if (!this.has(sig.ext)) fail(c, `command '${c.name}' needs require "${sig.ext![0]}"`);
    this.args(c, c.name, c.args, sig);
    if (sig.test === 'one' && !c.test) fail(c, `command '${c.name}' needs a test`);
    if (sig.test === undefined && (c.test || c.tests.length > 0)) fail(c.test ?? c.tests[0]!, `command '${c.name}' takes no test`);
    if (c.tests.length > 0) fail(c.tests[0]!, `command '${c.name}' takes one test, not a test list`);
    if (c.test) this.test(c.test);
    if (sig.block && !c.block) fail(c, `command '${c.name}' needs a block`);
    if (!sig.block && c.block) fail(c, `command '${c.name}' takes no block`);
    if (c.block) this.block(c.block, false);
    this.commandSpecific(c);
  }

  private test(t: TestNode): void {
    const sig = TESTS[t.name];
    if (!sig) fail(t, COMMANDS[t.name] ? `'${t.name}' is a command, not a test` : `unknown test '${t.name}'`);
    if (!this.has(sig.ext)) fail(t, `test '${t.name}' needs require "${sig.ext![0]}"`);
    this.args(t, t.name, t.args, sig);
    if (sig.test === 'one' && t.tests.length !== 1) fail(t, `test '${t.name}' needs exactly one test`);
    if (sig.test === 'list' && t.tests.length === 0) fail(t, `test '${t.name}' needs a test list`);
    if (!sig.test && t.tests.length > 0) fail(t.tests[0]!, `test '${t.name}' takes no tests`);
    for (const sub of t.tests) this.test(sub);
    this.testSpecific(t);
  }

  private args(at: Pos, name: string, args: Arg[], sig: Signature): void {
    const groups = new Map<string, string>();
    const seen = new Set<string>();
    const pos: Arg[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.kind !== 'tag') { pos.push(a); continue; }
      if (pos.length > 0) fail(a, `tagged argument ':${a.name}' must come before the positional arguments of '${name}'`);
      const spec = sig.tags[a.name];
      if (!spec || !this.has(spec.ext)) {
        fail(a, spec ? `':${a.name}' needs require "${spec.ext![0]}"` : `unknown tagged argument ':${a.name}' for '${name}'`);
      }
      if (seen.has(a.name)) fail(a, `':${a.name}' given twice`);
      seen.add(a.name);
      if (spec.group) {
        const other = groups.get(spec.group);
        if (other) fail(a, `':${a.name}' cannot be combined with ':${other}'`);
        groups.set(spec.group, a.name);
      }
      if (spec.arg) {
        const next = args[i + 1];
        if (!next || next.kind === 'tag' || !fits(next, spec.arg)) fail(next ?? a, `':${a.name}' needs a ${spec.arg} argument`);
        i++;
      }
    }
    const max = sig.positional.length;
    const min = max - (sig.optionalLeading ?? 0) - (sig.optionalTrailing ?? 0);
    if (pos.length < min || pos.length > max) {
      fail(pos[max] ?? at, `'${name}' takes ${min === max ? max : `${min} to ${max}`} positional argument${max === 1 ? '' : 's'}, got ${pos.length}`);
    }
    const offset = pos.length < max && sig.optionalLeading ? max - pos.length : 0;
    pos.forEach((a, k) => {
      const want = sig.positional[k + offset]!;
      if (!fits(a, want)) fail(a, `argument ${k + 1} of '${name}' must be a ${want}`);
    });
    this.matching(name, args, sig);
  }

  /** Comparator names, relational operators, regex keys (RFC 5228 §2.7.3, RFC 5231 §4, regex draft §3). */
  private matching(name: string, args: Arg[], sig: Signature): void {
    if (!sig.tags.comparator) return;
    const { tags, positional } = splitArgs(args, sig);
    const cmp = tags.get('comparator')?.arg;
    let cmpName = 'i;ascii-casemap';
    if (cmp && cmp.kind === 'string') {
      cmpName = cmp.value.toLowerCase();
      if (!COMPARATORS.has(cmpName)) fail(cmp, `unknown comparator '${cmp.value}'`);
      if (!this.req.has(`comparator-${cmpName}`) && cmpName === 'i;ascii-numeric') fail(cmp, `comparator '${cmp.value}' needs require "comparator-${cmpName}"`);
    }
    for (const rel of ['count', 'value']) {
      const r = tags.get(rel)?.arg;
      if (r && r.kind === 'string' && !(this.vars && r.value.includes('${')) && !RELATIONAL_OPS.has(r.value.toLowerCase())) {
        fail(r, `unknown relational operator '${r.value}'`);
      }
    }
    if (cmpName === 'i;ascii-numeric' && (tags.has('contains') || tags.has('matches') || tags.has('regex'))) {
      fail(cmp!, `comparator 'i;ascii-numeric' supports only :is, :value and :count`);
    }
    if (tags.has('regex')) {
      const keys = positional[positional.length - 1];
      if (name === 'deleteheader' && positional.length < 2) return;
      for (const k of strings(keys)) {
        if (this.vars && k.value.includes('${')) continue;
        if (!compileRegex(k.value, cmpName === 'i;ascii-casemap')) fail(k, `invalid regular expression '${k.value}'`);
      }
    }
  }

  private commandSpecific(c: CommandNode): void {
    const sig = COMMANDS[c.name]!;
    const { tags, positional } = splitArgs(c.args, sig);
    const constant = (s: { value: string }) => !(this.vars && s.value.includes('${'));
    switch (c.name) {
      case 'set': {
        const n = positional[0];
        if (n && n.kind === 'string' && !VAR_NAME.test(n.value) && !/^global\.[a-z_][a-z0-9_]*$/i.test(n.value)) fail(n, `invalid variable name '${n.value}'`);
        break;
      }
      case 'setflag': case 'addflag': case 'removeflag': {
        if (positional.length === 2) {
          const n = positional[0]!;
          if (n.kind === 'string' && !VAR_NAME.test(n.value)) fail(n, `invalid variable name '${n.value}'`);
        }
        break;
      }
      case 'global':
        for (const s of strings(positional[0])) if (!VAR_NAME.test(s.value)) fail(s, `invalid variable name '${s.value}'`);
        if (!this.req.has('variables')) fail(c, `command 'global' needs require "variables"`);
        break;
      case 'include': {
        const n = positional[0];
        if (n && n.kind === 'string' && constant(n) && (n.value === '' || n.value.includes('/') || n.value.includes('\0'))) fail(n, `invalid script name '${n.value}'`);
        break;
      }
      case 'addheader': case 'deleteheader': {
        const n = positional[0];
        if (n && n.kind === 'string' && constant(n) && !FIELD_NAME.test(n.value)) fail(n, `invalid header field name '${n.value}'`);
        const idx = tags.get('index')?.arg;
        if (idx && idx.kind === 'number' && idx.value < 1) fail(idx, ':index must be 1 or more');
        if (c.name === 'deleteheader' && tags.has('last') && !tags.has('index')) fail(tags.get('last')!, "':last' needs ':index'");
        break;
      }
      case 'redirect': {
        const m = positional[0];
        if (m && m.kind === 'string' && constant(m) && !validRedirectAddress(m.value.trim())) fail(m, `invalid redirect address '${m.value}'`);
        break;
      }
      case 'fileinto': {
        const m = positional[0];
        if (m && m.kind === 'string' && constant(m) && m.value === '') fail(m, 'empty mailbox name');
        break;
      }
    }
  }

  private testSpecific(t: TestNode): void {
    const sig = TESTS[t.name]!;
    const { tags, positional } = splitArgs(t.args, sig);
    const constant = (s: { value: string }) => !(this.vars && s.value.includes('${'));
    if (tags.has('last') && !tags.has('index')) fail(tags.get('last')!, "':last' needs ':index'");
    const idx = tags.get('index')?.arg;
    if (idx && idx.kind === 'number' && idx.value < 1) fail(idx, ':index must be 1 or more');
    switch (t.name) {
      case 'size':
        if (!tags.has('over') && !tags.has('under')) fail(t, "'size' needs ':over' or ':under'");
        break;
      case 'envelope':
        for (const s of strings(positional[0])) {
          if (constant(s) && !['from', 'to', 'auth'].includes(s.value.toLowerCase())) fail(s, `unknown envelope part '${s.value}'`);
        }
        break;
      case 'date': case 'currentdate': {
        const part = positional[t.name === 'date' ? 1 : 0];
        // An unknown date part is not a compile error in Pigeonhole (the test is just false); stay compatible.
        void part;
        const z = tags.get('zone')?.arg;
        if (z && z.kind === 'string' && constant(z) && !/^[+-]\d{4}$/.test(z.value)) fail(z, `invalid time zone '${z.value}'`);
        const h = t.name === 'date' ? positional[0] : undefined;
        if (h && h.kind === 'string' && constant(h) && !FIELD_NAME.test(h.value)) fail(h, `invalid header name '${h.value}'`);
        break;
      }
      case 'header': case 'exists': case 'address':
        for (const s of strings(positional[0])) {
          if (constant(s) && !FIELD_NAME.test(s.value)) fail(s, `invalid header name '${s.value}'`);
        }
        break;
      case 'body':
        if (tags.has('count')) fail(tags.get('count')!, "':count' cannot be used with 'body'");
        break;
      case 'hasflag':
        if (positional.length === 2) for (const s of strings(positional[0])) if (!VAR_NAME.test(s.value)) fail(s, `invalid variable name '${s.value}'`);
        break;
    }
  }
}

function fits(a: Arg, want: 'string' | 'stringlist' | 'number'): boolean {
  if (want === 'number') return a.kind === 'number';
  if (want === 'string') return a.kind === 'string';
  return a.kind === 'string' || a.kind === 'stringlist';
}
