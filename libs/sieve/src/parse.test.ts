// Parse errors carry exact line and column (RFC 5228 §8 grammar; what ManageSieve PUTSCRIPT reports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript, supportedExtensions } from './index.js';

const ERRORS: Array<[script: string, line: number, column: number, message: RegExp]> = [
  ['keep', 1, 5, /expected ';' or '\{'/],
  ['keep;\nfileinto "x";', 2, 1, /needs require "fileinto"/],
  ['require "fileinto";\nfileinto;', 2, 1, /takes 1 positional argument, got 0/],
  ['if true {\n  keep;\n', 3, 1, /expected '\}'/],
  ['discard;\n  require "fileinto";', 2, 3, /'require' must come before/],
  ['require "nosuch";', 1, 9, /unsupported extension 'nosuch'/],
  ['require ["fileinto", "nosuchext"];', 1, 22, /unsupported extension 'nosuchext'/],
  ['if header :bogus "a" "b" { keep; }', 1, 11, /unknown tagged argument ':bogus'/],
  ['if header :is :contains "a" "b" { keep; }', 1, 15, /cannot be combined/],
  ['if header :comparator "i;nope" "a" "b" { keep; }', 1, 23, /unknown comparator/],
  ['if size 100 { keep; }', 1, 9, /takes 0 positional arguments/],
  ['if size { keep; }', 1, 4, /needs ':over' or ':under'/],
  ['keep "x";', 1, 6, /takes 0 positional arguments/],
  ['keep;\n\n  "unterminated', 3, 3, /unterminated string/],
  ['keep; /* never closed', 1, 7, /unterminated comment/],
  ['elsif true { keep; }', 1, 1, /without a preceding 'if'/],
  ['if anyof() { keep; }', 1, 10, /expected a test/],
  ['redirect ["a@b.c"];', 1, 10, /must be a string/],
  ['require "regex";\nif header :regex "s" "a(b" { keep; }', 2, 22, /invalid regular expression/],
  ['require "relational"; if header :value "xx" "a" "b" {keep;}', 1, 40, /unknown relational operator/],
  ['require "variables"; set "1bad" "x";', 1, 26, /invalid variable name/],
  ['if true { keep; } else { discard; } else { stop; }', 1, 37, /without a preceding 'if'/],
  ['x = 1;', 1, 3, /unexpected character '='/],
  ['keep; 12345678901234567890;', 1, 7, /number is too large/],
  ['text: junk\nfoo\n.\n', 1, 7, /expected end of line after 'text:'/],
  ['if exists "a" keep;', 1, 15, /takes no tests/],
  ['require "include"; include "../etc/passwd";', 1, 28, /invalid script name/],
  ['if not (true, false) { keep; }', 1, 4, /exactly one test/],
  ['require ["body","relational"]; if body :count "eq" "1" {keep;}', 1, 40, /':count' cannot be used with 'body'/],
  ['require "comparator-i;ascii-numeric"; if header :matches :comparator "i;ascii-numeric" "a" "1" {keep;}', 1, 70, /supports only/],
  ['if true { if true { if true { keep } } }', 1, 36, /expected ';'/],
  ['if header :is "a" :contains "b" { keep; }', 1, 19, /must come before the positional/],
  ['fileinto "x";', 1, 1, /needs require "fileinto"/],
  ['require "fileinto"; fileinto :copy "x";', 1, 30, /':copy' needs require "copy"/],
  ['require "vacation"; vacation :days 1 :seconds 2 "x";', 1, 38, /needs require "vacation-seconds"/],
  ['require ["vacation","vacation-seconds"]; vacation :days 1 :seconds 2 "x";', 1, 59, /cannot be combined/],
  ['require "index"; if header :last "a" "b" {keep;}', 1, 28, /':last' needs ':index'/],
  ['require "index"; if header :index 0 "a" "b" {keep;}', 1, 35, /:index must be 1 or more/],
  ['require "editheader"; addheader "Bad Name" "x";', 1, 33, /invalid header field name/],
  ['require "envelope"; if envelope "bcc" "x" {keep;}', 1, 33, /unknown envelope part/],
  ['require "date"; if date :zone "CET" "date" "year" "2020" {keep;}', 1, 31, /invalid time zone/],
  ['keep;\r\nif true {\r\n  stop\r\n}', 4, 1, /expected ';'/],
  ['require "include"; global "x";', 1, 20, /needs require "variables"/],
  ['if header "a" { keep; }', 1, 4, /takes 2 positional arguments, got 1/],
  ['if true;', 1, 1, /needs a block/],
  ['stop { keep; }', 1, 1, /takes no block/],
  ['if keep { stop; }', 1, 4, /'keep' is a command, not a test/],
  ['true;', 1, 1, /'true' is a test, not a command/],
  [':x', 1, 1, /expected a command/],
  ['require "encoded-character";\nif header :is "a" ["ok", "${unicode:D800}"] { keep; }', 2, 26, /invalid unicode character/],
  ['keep; : ', 1, 7, /expected a tag name/],
];

for (const [script, line, column, message] of ERRORS) {
  test(`parse error ${line}:${column} ${message.source}: ${JSON.stringify(script).slice(0, 50)}`, () => {
    const r = parseScript(script);
    assert.equal(r.ok, false, 'script should not parse');
    if (r.ok) return;
    assert.deepEqual([r.error.line, r.error.column], [line, column], r.error.message);
    assert.match(r.error.message, message);
  });
}

test('RFC 5228 §8.1 lexer: strings, escapes, numbers, multi-line with dot-stuffing', () => {
  const r = parseScript('require ["fileinto"];\r\nfileinto "a\\"b\\\\c\\d";\r\nif size :over 2K { stop; }\r\nfileinto text: # comment\r\nline1\r\n..dot\r\n.\r\n;');
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const [, fi, iff, red] = r.script.commands;
  assert.deepEqual(fi!.args[0], { kind: 'string', value: 'a"b\\cd', line: 2, column: 10 });
  assert.equal(iff!.test!.args[1]!.kind === 'number' && iff!.test!.args[1]!.value, 2048);
  assert.equal(red!.args[0]!.kind === 'string' && red!.args[0]!.value, 'line1\r\n.dot\r\n');
  assert.deepEqual(r.script.requires, ['fileinto']);
});

test('identifiers and tags are case-insensitive (RFC 5228 §2.4)', () => {
  const r = parseScript('REQUIRE "FileInto"; IF Header :CONTAINS "Subject" "x" { FILEINTO "A"; }');
  assert.ok(r.ok, r.ok ? '' : r.error.message);
});

test('size limit refuses big scripts (sieveMaxScriptSize / maxSize option)', () => {
  const r = parseScript('keep;' + ' '.repeat(100), { maxSize: 50 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error.message, /too large/);
});

test('extensions option restricts require', () => {
  const r = parseScript('require "vacation"; vacation "x";', { extensions: ['fileinto'] });
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual([r.error.line, r.error.column], [1, 9]);
  assert.ok(parseScript('require "fileinto"; fileinto "A";', { extensions: ['fileinto'] }).ok);
});

test('deep nesting is a parse error, not a stack overflow', () => {
  const deep = 'if true {'.repeat(5000) + 'keep;' + '}'.repeat(5000);
  const r = parseScript(deep);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error.message, /nested too deeply/);
  const deepTest = 'if ' + 'not '.repeat(5000) + 'true { keep; }';
  assert.equal(parseScript(deepTest).ok, false);
});

test('supportedExtensions lists every extension the issue asks for', () => {
  const ext = supportedExtensions();
  for (const e of ['fileinto', 'reject', 'ereject', 'envelope', 'encoded-character', 'variables', 'vacation', 'imap4flags',
    'relational', 'subaddress', 'body', 'copy', 'date', 'index', 'mailbox', 'include', 'regex', 'spamtest', 'spamtestplus', 'editheader']) {
    assert.ok(ext.includes(e), e);
    assert.ok(parseScript(`require "${e}";`).ok, e);
  }
});
