/**
 * The Sieve interpreter: runs a parsed script against one message and returns actions
 * (RFC 5228 §2.10). Pure: every lookup goes through SieveContext callbacks. A runtime error or
 * a hit limit ends the run with ok=false and implicit keep, so the message lands in INBOX.
 */
import { LIMITS } from '../../core/src/limits.js';
import { decodeWords } from '../../mime/src/index.js';
import { COMMANDS, splitArgs, strings, type SplitArgs } from './grammar.js';
import { HeaderView } from './header-view.js';
import { parseScript } from './parser.js';
import { evalTest, matcherOf, matchValues } from './tests.js';
import { addFlags, applyModifiers, clampValue, expandVariables, flagList, removeFlags } from './variables.js';
import { addressedToMe, stableHash, vacationBlocked } from './vacation.js';
import { addressKey, envelopeAddress, validRedirectAddress } from './address.js';
import type {
  Arg, CommandNode, EvaluateOptions, IncludeLocation, Pos, Script, SieveAction, SieveContext, SieveLimits, SieveResult,
} from './types.js';

export class RuntimeError extends Error {
  constructor(readonly pos: Pos, message: string) { super(message); }
}
class StopSignal { }
class ReturnSignal { }

/** Variable scope of one script: its own variables plus the names it declared global (RFC 6609 §3.4). */
export interface Scope {
  vars: Map<string, string>;
  globalNames: Set<string>;
  /** Whether this script required "variables" (expansion happens only then). */
  variables: boolean;
  name: string;
}

const PROTECTED_HEADERS = new Set(['received', 'auto-submitted']);
const FIELD_NAME = /^[!-9;-~]+$/;

export class Run {
  readonly actions: SieveAction[] = [];
  implicitKeep = true;
  /** imap4flags internal variable (RFC 5232 §3). */
  flags = '';
  redirects = 0;
  steps = 0;
  matchVars: string[] = [];
  readonly headers: HeaderView;
  readonly globals = new Map<string, string>();
  readonly limits: SieveLimits;
  readonly now: Date;
  private vacationSeen = false;
  private readonly includeStack: string[] = [];
  private readonly includedOnce = new Set<string>();
  private readonly scriptCache = new Map<string, Script>();
  scope: Scope;

  constructor(readonly ctx: SieveContext, readonly opts: EvaluateOptions, main: Script) {
    this.headers = new HeaderView(ctx.message);
    this.limits = {
      maxActions: LIMITS.sieveMaxActions, maxRedirects: LIMITS.sieveMaxRedirects, maxIncludeDepth: LIMITS.sieveMaxIncludeDepth,
      maxIncludes: LIMITS.sieveMaxIncludes, maxSteps: LIMITS.sieveMaxSteps, ...opts.limits,
    };
    this.now = ctx.now ?? new Date();
    this.scope = { vars: new Map(), globalNames: new Set(), variables: main.requires.includes('variables'), name: '' };
  }

  step(at: Pos, n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) throw new RuntimeError(at, 'script exceeded the step limit');
  }

  // ------------------------------------------------------------ variables

  lookup = (name: string): string | undefined => {
    if (/^[0-9]+$/.test(name)) return this.matchVars[Number(name)] ?? '';
    const lower = name.toLowerCase();
    if (lower.includes('.')) {
      const [ns, rest] = lower.split('.', 2) as [string, string];
      if (ns === 'global') return this.globals.get(rest) ?? '';
      return ''; // unknown namespace: empty, as Pigeonhole
    }
    if (this.scope.globalNames.has(lower)) return this.globals.get(lower) ?? '';
    return this.scope.vars.get(lower) ?? '';
  };

  setVar(name: string, value: string, at: Pos): void {
    const lower = name.toLowerCase();
    const v = clampValue(value);
    if (lower.startsWith('global.')) { this.globals.set(lower.slice(7), v); return; }
    if (this.scope.globalNames.has(lower)) { this.globals.set(lower, v); return; }
    if (!this.scope.vars.has(lower) && this.scope.vars.size >= LIMITS.sieveMaxVariables) {
      throw new RuntimeError(at, `too many variables (max ${LIMITS.sieveMaxVariables})`);
    }
    this.scope.vars.set(lower, v);
  }

  /** A string argument's value after variable expansion (only in scripts that require "variables"). */
  str(s: { value: string }): string {
    return this.scope.variables ? expandVariables(s.value, this.lookup) : s.value;
  }

  strs(a: Arg | undefined): string[] {
    return strings(a).map((s) => this.str(s));
  }

  // ------------------------------------------------------------ running

  async block(cmds: CommandNode[]): Promise<void> {
    let chainDone = true;
    for (const c of cmds) {
      this.step(c);
      if (c.name === 'if') {
        chainDone = await evalTest(this, c.test!);
        if (chainDone) await this.block(c.block!);
        continue;
      }
      if (c.name === 'elsif') {
        if (!chainDone) {
          chainDone = await evalTest(this, c.test!);
          if (chainDone) await this.block(c.block!);
        }
        continue;
      }
      if (c.name === 'else') {
        if (!chainDone) await this.block(c.block!);
        chainDone = true;
        continue;
      }
      await this.command(c, splitArgs(c.args, COMMANDS[c.name]!));
    }
  }

  /** Adds an action; returns false when it merged into an earlier duplicate (which then decides implicit keep). */
  private addAction(at: Pos, a: SieveAction): boolean {
    // RFC 5228 §2.10.3: the same keep/fileinto/redirect twice is done once.
    for (const b of this.actions) {
      if (a.type === 'keep' && b.type === 'keep') { b.flags = flagList([...b.flags, ...a.flags]); return false; }
      if (a.type === 'fileinto' && b.type === 'fileinto' && a.mailbox === b.mailbox) {
        b.flags = flagList([...b.flags, ...a.flags]); b.create ||= a.create; return false;
      }
      if (a.type === 'redirect' && b.type === 'redirect' && redirectKey(a.address) === redirectKey(b.address)) return false;
      if (a.type === 'discard' && b.type === 'discard') return false;
    }
    // RFC 5429 §2.2 / RFC 5230 §4.7: reject cannot be combined with actions that deliver or answer
    // the message (Pigeonhole counts redirect, even with :copy) nor with a second reject.
    const rejects = a.type === 'reject' || this.actions.some((b) => b.type === 'reject');
    if (rejects) {
      const bad = [a, ...this.actions].find((b) => b.type === 'keep' || b.type === 'fileinto' || b.type === 'vacation' || b.type === 'redirect' || (b.type === 'reject' && b !== a && a.type === 'reject'));
      if (bad) throw new RuntimeError(at, `reject cannot be combined with ${bad.type === 'reject' ? 'another reject' : bad.type}`);
    }
    if (this.actions.length >= this.limits.maxActions) throw new RuntimeError(at, `too many actions (max ${this.limits.maxActions})`);
    this.actions.push(a);
    return true;
  }

  private actionFlags(split: SplitArgs): string[] {
    const f = split.tags.get('flags');
    return f?.arg ? flagList(this.strs(f.arg)) : flagList([this.flags]);
  }

  private async command(c: CommandNode, a: SplitArgs): Promise<void> {
    const pos0 = a.positional[0];
    switch (c.name) {
      case 'require': return;
      case 'stop': throw new StopSignal();
      case 'return': throw new ReturnSignal();
      case 'keep':
        this.addAction(c, { type: 'keep', flags: this.actionFlags(a) });
        this.implicitKeep = false;
        return;
      case 'discard':
        this.addAction(c, { type: 'discard' });
        this.implicitKeep = false;
        return;
      case 'fileinto': {
        const mailbox = this.str(pos0 as { value: string });
        if (mailbox === '' || mailbox.includes('\0')) throw new RuntimeError(c, `invalid mailbox name '${mailbox}'`);
        const copy = a.tags.has('copy');
        if (this.addAction(c, { type: 'fileinto', mailbox, flags: this.actionFlags(a), create: a.tags.has('create'), copy }) && !copy) this.implicitKeep = false;
        return;
      }
      case 'redirect': {
        const address = this.str(pos0 as { value: string }).trim();
        if (!validRedirectAddress(address)) {
          throw new RuntimeError(c, `invalid redirect address '${address}'`);
        }
        const copy = a.tags.has('copy');
        if (!this.actions.some((b) => b.type === 'redirect' && redirectKey(b.address) === redirectKey(address))) {
          if (this.redirects >= this.limits.maxRedirects) throw new RuntimeError(c, `too many redirects (max ${this.limits.maxRedirects})`);
          this.redirects++;
        }
        if (this.addAction(c, { type: 'redirect', address, copy }) && !copy) this.implicitKeep = false;
        return;
      }
      case 'reject': case 'ereject':
        this.addAction(c, { type: 'reject', reason: this.str(pos0 as { value: string }), ereject: c.name === 'ereject' });
        this.implicitKeep = false;
        return;
      case 'vacation': return this.vacation(c, a);
      case 'set': {
        const name = this.str(pos0 as { value: string });
        const mods = new Set([...a.tags.keys()]);
        this.setVar(name, applyModifiers(this.str(a.positional[1] as { value: string }), mods), c);
        return;
      }
      case 'setflag': case 'addflag': case 'removeflag': {
        const varName = a.positional.length === 2 ? (pos0 as { value: string }).value : null;
        const list = this.strs(a.positional[a.positional.length - 1]);
        const current = varName === null ? this.flags : (this.lookup(varName) ?? '');
        const next = c.name === 'setflag' ? flagList(list).join(' ') : c.name === 'addflag' ? addFlags(current, list) : removeFlags(current, list);
        if (varName === null) this.flags = next; else this.setVar(varName, next, c);
        return;
      }
      case 'global':
        for (const n of strings(pos0)) this.scope.globalNames.add(n.value.toLowerCase());
        return;
      case 'include': return this.include(c, a);
      case 'addheader': {
        const name = this.str(pos0 as { value: string });
        let value = this.str(a.positional[1] as { value: string });
        if (!FIELD_NAME.test(name)) throw new RuntimeError(c, `invalid header field name '${name}'`);
        value = encodeHeaderValue(value);
        this.headers.add(name, value, a.tags.has('last'));
        return;
      }
      case 'deleteheader': {
        const name = this.str(pos0 as { value: string });
        if (!FIELD_NAME.test(name)) throw new RuntimeError(c, `invalid header field name '${name}'`);
        // RFC 5293 §6 (as Pigeonhole): Received and Auto-Submitted are never deleted; the command is ignored.
        if (PROTECTED_HEADERS.has(name.toLowerCase())) return;
        const patterns = a.positional.length > 1 ? this.strs(a.positional[1]) : null;
        const m = matcherOf(this, a);
        const idx = a.tags.get('index')?.arg;
        const total = this.headers.values(name).length;
        const target = idx && idx.kind === 'number' ? (a.tags.has('last') ? total - idx.value : idx.value - 1) : -1;
        this.headers.delete(name, (value, k) => {
          if (target >= 0 && k !== target) return false;
          if (idx && target < 0) return false;
          if (!patterns) return true;
          this.step(c);
          return matchValues(this, m, [decodeWords(value)], patterns, false);
        });
        return;
      }
    }
    throw new RuntimeError(c, `command '${c.name}' is not implemented`);
  }

  private async vacation(c: CommandNode, a: SplitArgs): Promise<void> {
    if (this.vacationSeen) throw new RuntimeError(c, 'only one vacation action is allowed per message');
    this.vacationSeen = true;
    const reason = this.str(a.positional[0] as { value: string });
    const tagStr = (n: string) => { const t = a.tags.get(n)?.arg; return t && t.kind === 'string' ? this.str(t) : null; };
    const subjectOpt = tagStr('subject');
    const fromOpt = tagStr('from');
    const mime = a.tags.has('mime');
    const handle = tagStr('handle') ?? 'v1-' + stableHash([reason, subjectOpt ?? '', fromOpt ?? '', mime ? 'mime' : ''].join('\0'));
    const secs = a.tags.get('seconds')?.arg;
    const days = a.tags.get('days')?.arg;
    // RFC 5230 §4.1: at least one day (default 7); vacation-seconds (RFC 6131) allows 0.
    const periodSeconds = secs && secs.kind === 'number' ? secs.value : Math.max(1, days && days.kind === 'number' ? days.value : 7) * 86400;
    const mine = new Set<string>();
    const addMine = (x: string) => { const k = addressKey(x); mine.add(k); const at = k.lastIndexOf('@'); const plus = k.indexOf('+'); if (plus >= 0 && plus < at) mine.add(k.slice(0, plus) + k.slice(at)); };
    for (const x of [this.ctx.user.address, ...(this.ctx.user.aliases ?? []), this.ctx.envelope.to]) addMine(x);
    for (const x of this.strs(a.tags.get('addresses')?.arg)) addMine(x);
    const sender = this.ctx.envelope.from;
    if (vacationBlocked(this.headers, sender, mine)) return;
    const me = addressedToMe(this.headers, mine);
    if (!me) return;
    if (this.ctx.vacationAnswered && (await this.ctx.vacationAnswered(sender, handle, periodSeconds))) return;
    const origSubject = this.headers.values('subject')[0];
    const subject = subjectOpt ?? (origSubject !== undefined ? `Auto: ${decodeWords(origSubject)}` : 'Automated reply');
    this.addAction(c, {
      type: 'vacation', to: sender, from: fromOpt ?? me, subject, body: reason, mime, handle, periodSeconds,
      inReplyTo: this.headers.values('message-id')[0] ?? null,
    });
  }

  private async include(c: CommandNode, a: SplitArgs): Promise<void> {
    const name = this.str(a.positional[0] as { value: string });
    const location: IncludeLocation = a.tags.has('global') ? 'global' : 'personal';
    const optional = a.tags.has('optional');
    const key = `${location}:${name}`;
    if (name === '' || name.includes('/')) throw new RuntimeError(c, `invalid script name '${name}'`);
    if (this.includeStack.includes(key)) throw new RuntimeError(c, `include loop: script '${name}' includes itself`);
    if (a.tags.has('once') && this.includedOnce.has(key)) return;
    if (this.includeStack.length >= this.limits.maxIncludeDepth) throw new RuntimeError(c, `includes nested too deeply (max ${this.limits.maxIncludeDepth})`);
    let script = this.scriptCache.get(key);
    if (!script) {
      if (this.scriptCache.size >= this.limits.maxIncludes) throw new RuntimeError(c, `too many included scripts (max ${this.limits.maxIncludes})`);
      const text = this.opts.includeResolver ? await this.opts.includeResolver(name, location) : null;
      if (text === null) {
        if (optional) return;
        throw new RuntimeError(c, `included ${location} script '${name}' does not exist`);
      }
      const parsed = parseScript(text, { extensions: this.opts.extensions });
      if (!parsed.ok) throw new RuntimeError(c, `included script '${name}' is invalid: line ${parsed.error.line}, column ${parsed.error.column}: ${parsed.error.message}`);
      script = parsed.script;
      this.scriptCache.set(key, script);
    }
    this.includedOnce.add(key);
    const saved = this.scope;
    this.scope = { vars: new Map(), globalNames: new Set(), variables: script.requires.includes('variables'), name };
    this.includeStack.push(key);
    try {
      await this.block(script.commands);
    } catch (e) {
      if (!(e instanceof ReturnSignal)) throw e;
    } finally {
      this.includeStack.pop();
      this.scope = saved;
    }
  }
}

/** Same redirect target: the local part is case-sensitive, the domain is not (RFC 5321 §2.4, as Pigeonhole). */
function redirectKey(address: string): string {
  const a = envelopeAddress(address);
  return a ? `${a.local}@${(a.domain ?? '').toLowerCase()}` : address;
}

/** RFC 5293 §4.1: non-ASCII values go out as RFC 2047 encoded words; line breaks are unfolded. */
function encodeHeaderValue(v: string): string {
  // Line breaks become spaces; trailing white space goes (as Pigeonhole), leading stays.
  const flat = v.replace(/\r?\n[ \t]*/g, ' ').replace(/[ \t]+$/, '');
  if (/^[\x20-\x7e\t]*$/.test(flat)) return flat;
  return `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** Runs a parsed script against one message. Never throws for script or message problems. */
export async function evaluate(script: Script, ctx: SieveContext, opts: EvaluateOptions = {}): Promise<SieveResult> {
  const run = new Run(ctx, opts, script);
  try {
    try {
      await run.block(script.commands);
    } catch (e) {
      if (!(e instanceof StopSignal) && !(e instanceof ReturnSignal)) throw e;
    }
  } catch (e) {
    const pos = e instanceof RuntimeError ? e.pos : { line: 0, column: 0 };
    const message = e instanceof RuntimeError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, actions: [], implicitKeep: true, keepFlags: [], headerEdits: null, errors: [{ ...pos, message }], steps: run.steps };
  }
  return {
    ok: true,
    actions: run.actions,
    implicitKeep: run.implicitKeep,
    keepFlags: run.implicitKeep ? flagList([run.flags]) : [],
    headerEdits: run.headers.edits(),
    errors: [],
    steps: run.steps,
  };
}
