// Limits: a broken, looping or huge script stops with an error and the message goes to INBOX
// (implicit keep), never hangs or loses the message. Include (RFC 6609) with its loop detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '../../core/src/limits.js';
import { parseScript, evaluate } from './index.js';
import { context, MSG, runScript, summarize } from './testing.js';
import type { IncludeResolver } from './types.js';

function failedToInbox(r: { ok: boolean; actions: unknown[]; implicitKeep: boolean }): void {
  assert.equal(r.ok, false);
  assert.deepEqual(r.actions, []);
  assert.equal(r.implicitKeep, true);
}

test('number of actions is limited (sieveMaxActions)', async () => {
  const boxes = Array.from({ length: LIMITS.sieveMaxActions + 1 }, (_, i) => `fileinto "f${i}";`).join('\n');
  const r = await runScript(`require "fileinto";\n${boxes}`);
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /too many actions/);
  assert.equal(r.errors[0]!.line, LIMITS.sieveMaxActions + 2);
  const ok = await runScript(`require "fileinto";\n${boxes.split('\n').slice(1).join('\n')}`);
  assert.equal(ok.ok, true);
  assert.equal(ok.actions.length, LIMITS.sieveMaxActions);
});

test('redirects per message are limited (sieveMaxRedirects); duplicates do not count', async () => {
  const many = Array.from({ length: LIMITS.sieveMaxRedirects + 1 }, (_, i) => `redirect "u${i}@example.net";`).join(' ');
  const r = await runScript(many);
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /too many redirects/);
  const dup = await runScript('redirect "a@example.net"; '.repeat(10));
  assert.deepEqual(summarize(dup), ['redirect a@example.net']);
  const lower = await runScript('redirect "a@example.net"; redirect "b@example.net";', { opts: { limits: { maxRedirects: 1 } } });
  failedToInbox(lower);
});

test('a huge script stops at the step limit instead of running on', async () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `"k${i}"`).join(',');
  const line = `if header :contains ["subject","from","to","cc"] [${keys}] { discard; }\n`;
  const script = line.repeat(40); // 40 × 4 × 2000 = 320k comparisons > default step budget
  assert.ok(script.length < LIMITS.sieveMaxScriptSize);
  const t0 = Date.now();
  const r = await runScript(script);
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /step limit/);
  assert.ok(Date.now() - t0 < 10_000, 'stopped promptly');
  const small = await runScript(line, { opts: { limits: { maxSteps: 100 } } });
  failedToInbox(small);
});

test('variables per scope and variable size are limited', async () => {
  const sets = Array.from({ length: LIMITS.sieveMaxVariables + 1 }, (_, i) => `set "v${i}" "x";`).join('\n');
  const r = await runScript(`require "variables";\n${sets}`);
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /too many variables/);
  assert.equal(r.errors[0]!.line, LIMITS.sieveMaxVariables + 2);
  const big = await runScript('require ["variables","fileinto"]; set "a" "0123456789"; set "a" "${a}${a}${a}${a}${a}${a}${a}${a}"; set "a" "${a}${a}${a}${a}${a}${a}${a}${a}"; set "a" "${a}${a}${a}${a}${a}${a}${a}${a}"; set :length "n" "${a}"; fileinto "${n}";');
  assert.deepEqual(summarize(big), [`fileinto ${LIMITS.sieveMaxVariableSize}`]);
});

test('invalid redirect address is a runtime error → INBOX', async () => {
  const r = await runScript('require "variables"; set "a" "not an address"; redirect "${a}";');
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /invalid redirect address/);
  assert.deepEqual([r.errors[0]!.line, r.errors[0]!.column], [1, 48]);
});

test('a throwing callback becomes a failed run, not a crash', async () => {
  const r = await runScript('require "mailbox"; if mailboxexists "x" { discard; }', { ctx: { mailboxExists: () => { throw new Error('disk on fire'); } } });
  failedToInbox(r);
});

test('ReDoS patterns run in linear time (Pike VM) and count against the step budget', async () => {
  const hostile = MSG.replace('X-Spam-Flag', `X-Long: ${'a'.repeat(30000)}!\r\nX-Spam-Flag`);
  const t0 = Date.now();
  const r = await runScript('require "regex"; if header :regex "x-long" ["(a+)+$", "(a|aa)*b", "^(.*)*x$"] { discard; }', { msg: hostile });
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.deepEqual(summarize(r), ['implicit keep']);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  const many = 'require "regex";\n' + 'if header :regex "x-long" "(a|aa)*b" { discard; }\n'.repeat(200);
  const t1 = Date.now();
  const s = await runScript(many, { msg: hostile });
  failedToInbox(s);
  assert.match(s.errors[0]!.message, /step limit/);
  assert.ok(Date.now() - t1 < 10_000, `took ${Date.now() - t1} ms`);
});

// ---------------------------------------------------------------- include (RFC 6609)

function resolver(scripts: Record<string, string>): IncludeResolver {
  return (name, location) => scripts[`${location}:${name}`] ?? null;
}

async function runWith(script: string, scripts: Record<string, string>) {
  const p = parseScript(script);
  assert.ok(p.ok, p.ok ? '' : p.error.message);
  return evaluate(p.script, context(MSG), { includeResolver: resolver(scripts) });
}

test('6609 include personal and global', async () => {
  const r = await runWith('require "include"; include "p"; include :global "g";', {
    'personal:p': 'require "fileinto"; fileinto "P";',
    'global:g': 'require "fileinto"; fileinto "G";',
  });
  assert.deepEqual(summarize(r), ['fileinto P', 'fileinto G']);
});

test('6609 §3.2 missing script is an error; :optional skips it', async () => {
  failedToInbox(await runWith('require "include"; include "nope";', {}));
  const r = await runWith('require "include"; include :optional "nope"; discard;', {});
  assert.deepEqual(summarize(r), ['discard']);
});

test('6609 §3.2 :once includes a script only once', async () => {
  const r = await runWith('require ["include","variables","fileinto"]; global "n"; include :once "inc"; include :once "inc"; fileinto "n${n}";', {
    'personal:inc': 'require ["include","variables"]; global "n"; set "n" "${n}x";',
  });
  assert.deepEqual(summarize(r), ['fileinto nx']);
});

test('6609 §3.3 return ends only the included script; stop ends everything', async () => {
  const r = await runWith('require ["include","fileinto"]; include "a"; fileinto "after";', {
    'personal:a': 'require ["include","fileinto"]; fileinto "in"; return; fileinto "never";',
  });
  assert.deepEqual(summarize(r), ['fileinto in', 'fileinto after']);
  const s = await runWith('require ["include","fileinto"]; include "a"; fileinto "after";', {
    'personal:a': 'require "fileinto"; fileinto "in"; stop;',
  });
  assert.deepEqual(summarize(s), ['fileinto in']);
});

test('6609 §3.4 global variables are shared; locals are not', async () => {
  const r = await runWith('require ["include","variables","fileinto"]; global "g"; set "g" "G1"; set "l" "L1"; include "a"; fileinto "${g}-${l}";', {
    'personal:a': 'require ["include","variables","fileinto"]; global "g"; fileinto "in-${g}-${l}"; set "g" "G2"; set "l" "L2";',
  });
  assert.deepEqual(summarize(r), ['fileinto in-G1-', 'fileinto G2-L1']);
  const ns = await runWith('require ["include","variables","fileinto"]; set "global.x" "X"; fileinto "${global.x}";', {});
  assert.deepEqual(summarize(ns), ['fileinto X']);
});

test('6609 §3.2 include loops are detected', async () => {
  const self = await runWith('require "include"; include "main";', { 'personal:main': 'require "include"; include "main";' });
  failedToInbox(self);
  assert.match(self.errors[0]!.message, /include loop/);
  const ab = await runWith('require "include"; include "a";', {
    'personal:a': 'require "include"; include "b";', 'personal:b': 'require "include"; include "a";',
  });
  failedToInbox(ab);
  assert.match(ab.errors[0]!.message, /include loop/);
});

test('include depth is limited (sieveMaxIncludeDepth)', async () => {
  const scripts: Record<string, string> = {};
  for (let i = 0; i < 20; i++) scripts[`personal:s${i}`] = `require "include"; include "s${i + 1}";`;
  scripts['personal:s20'] = 'keep;';
  const r = await runWith('require "include"; include "s0";', scripts);
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /nested too deeply/);
});

test('an invalid included script is a runtime error with its position', async () => {
  const r = await runWith('require "include"; include "bad";', { 'personal:bad': 'keep;\nfileinto "x";' });
  failedToInbox(r);
  assert.match(r.errors[0]!.message, /'bad' is invalid: line 2, column 1/);
});

test('included script actions merge with the includer (duplicates once)', async () => {
  const r = await runWith('require ["include","fileinto"]; fileinto "A"; include "a";', { 'personal:a': 'require "fileinto"; fileinto "A"; keep;' });
  assert.deepEqual(summarize(r), ['fileinto A', 'keep']);
});
