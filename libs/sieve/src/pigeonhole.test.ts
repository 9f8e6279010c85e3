// Differential test: the same scripts and messages through this lib and through Dovecot
// Pigeonhole's `sieve-test` (Debian dovecot-sieve); the outcomes must agree. Cases whose outcome
// depends on things sieve-test cannot be given (callbacks, scores, the clock, vacation history)
// are left out; everything else in the table runs here too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseScript } from './index.js';
import { CASES, DIFF_EXTRA } from './cases.js';
import { MSG, runScript } from './testing.js';
import type { SieveResult } from './types.js';

const SENDER = 'alice+news@example.com';
const RCPT = 'bob@example.org';

let dir = '';
let sieveTest = '';

before(() => {
  try {
    sieveTest = execFileSync('sh', ['-c', 'command -v sieve-test'], { encoding: 'utf8' }).trim();
  } catch {
    sieveTest = '';
  }
  if (!sieveTest) throw new Error('sieve-test (Debian package dovecot-sieve) is not installed: run scripts/test-deps.sh');
  dir = mkdtempSync(join(tmpdir(), 'sieve-diff-'));
  mkdirSync(join(dir, 'home', 'Maildir'), { recursive: true });
  const me = userInfo();
  // sieve-test refuses to run mail access as root: as root use nobody, else ourselves.
  const uid = me.uid === 0 ? 'nobody' : me.username;
  const gid = me.uid === 0 ? 'nogroup' : String(me.gid);
  writeFileSync(join(dir, 'dovecot.conf'), [
    `mail_uid = ${uid}`, `mail_gid = ${gid}`, 'first_valid_uid = 1', `base_dir = ${dir}/run`, 'log_path = /dev/stderr',
    `mail_home = ${dir}/home`, `mail_location = maildir:${dir}/home/Maildir`,
    'plugin {', '  sieve_extensions = +vacation-seconds +editheader', '}', '',
  ].join('\n'));
  chmodSync(dir, 0o777);
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** Pigeonhole's outcome, normalised: one "store FOLDER [flags]" / "redirect X" / ... per action. */
function pigeonhole(script: string, message: string): string[] {
  const s = join(dir, 'script.sieve');
  const m = join(dir, 'msg.eml');
  writeFileSync(s, script);
  writeFileSync(m, message);
  chmodSync(s, 0o666);
  chmodSync(m, 0o666);
  const r = spawnSync(sieveTest, ['-c', join(dir, 'dovecot.conf'), '-f', SENDER, '-r', RCPT, '-a', RCPT, s, m], {
    encoding: 'utf8', env: { ...process.env, HOME: join(dir, 'home') }, timeout: 20_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/failed to compile sieve script/.test(out)) {
    const line = /line (\d+): error/.exec(out)?.[1] ?? '?';
    return [`compile error line ${line}`];
  }
  if (/Fatal:/.test(out)) throw new Error(`sieve-test failed to run:\n${out}`);
  const res: string[] = [];
  let cur: { folder: string; flags: string[] } | null = null;
  const flush = () => { if (cur) res.push(storeText(cur.folder, cur.flags)); cur = null; };
  for (const line of out.split('\n')) {
    let x: RegExpExecArray | null;
    if ((x = /^ \* store message in folder: (.*)$/.exec(line))) { flush(); cur = { folder: x[1]!, flags: [] }; continue; }
    if ((x = /^\s+\+ add IMAP flags: (.*)$/.exec(line)) && cur) { cur.flags = x[1]!.split(' '); continue; }
    if (/^\s+\+ /.test(line)) continue;
    if (/^ \* /.test(line)) flush();
    if ((x = /^ \* redirect message to: <?([^>]*)>?$/.exec(line))) res.push(`redirect ${x[1]}`);
    else if ((x = /^ \* reject message with reason: (.*)$/.exec(line))) res.push(`reject ${x[1]}`);
    else if (/^ \* discard$/.test(line)) res.push('discard');
    else if (/^ \* send vacation message/.test(line)) res.push('vacation');
  }
  flush();
  if (/final result: failed/.test(out)) return ['FAIL', storeText('INBOX', [])];
  return res.sort();
}

function storeText(folder: string, flags: string[]): string {
  const f = flags.filter((x) => x !== '').map((x) => x.toLowerCase()).sort();
  return `store ${folder}${f.length > 0 ? ` [${f.join(' ')}]` : ''}`;
}

function ours(r: SieveResult): string[] {
  if (!r.ok) return ['FAIL', storeText('INBOX', [])];
  const res: string[] = [];
  for (const a of r.actions) {
    if (a.type === 'keep') res.push(storeText('INBOX', a.flags));
    else if (a.type === 'fileinto') res.push(storeText(a.mailbox, a.flags));
    else if (a.type === 'redirect') res.push(`redirect ${a.address}`);
    else if (a.type === 'reject') res.push(`reject ${a.reason}`);
    else if (a.type === 'discard') res.push('discard');
    else if (a.type === 'vacation') res.push('vacation');
  }
  if (r.implicitKeep) res.push(storeText('INBOX', r.keepFlags));
  // Pigeonhole folds a duplicate "store INBOX" (keep + implicit keep) into one.
  return [...new Set(res)].sort();
}

/** Table cases that need no caller-provided state sieve-test cannot reproduce. */
const PORTABLE = CASES.filter(([name, script, , o]) => {
  if (o?.ctx) return false;
  if (/ereject|vacation|spamtest|virustest|currentdate|mailboxexists|include/.test(script)) return false;
  if (/\(Pigeonhole: /.test(name)) return false; // a deliberate difference, named in the case
  return true;
});

test('differential corpus is large enough', () => {
  assert.ok(PORTABLE.length >= 80, `only ${PORTABLE.length} portable cases`);
});

for (const [name, script, , o] of PORTABLE) {
  test(`same outcome as Pigeonhole: ${name}`, async () => {
    const msg = o?.msg ?? MSG;
    const r = await runScript(script, o);
    assert.deepEqual(ours(r), pigeonhole(script, msg), script);
  });
}

const EXTRA: string[] = [
  'require ["fileinto","imap4flags","copy"]; addflag "\\\\Seen Foo"; fileinto :copy "A"; keep :flags "\\\\flagged";',
  'require ["variables","fileinto"]; if header :matches "From" "*<*@*>*" { fileinto "${2}.${3}"; }',
  'require ["variables","fileinto"]; if address :matches "to" "*@*" { fileinto "${1}"; }',
  'require ["fileinto","relational","comparator-i;ascii-numeric"]; if address :count "gt" :comparator "i;ascii-numeric" ["to","cc"] "2" { fileinto "many"; }',
  'require "fileinto"; if header :contains "received" "mx.example.com" { fileinto "mx"; } else { discard; }',
  'require ["regex","variables","fileinto"]; if header :regex "message-id" "<([^@]+)@(.*)>" { fileinto "${2}/${1}"; }',
  'require ["variables","fileinto"]; set "a" "x"; set "b" "${a}${a}"; set :length "c" "${b}"; fileinto "${b}${c}";',
  'require "reject"; if size :over 10 { reject "too big"; }',
  'require ["variables","fileinto"]; if header :matches "subject" "*e*e*" { fileinto "${1}|${2}|${3}"; }',
  'require ["variables","fileinto"]; if header :matches "subject" "?*?" { fileinto "${1}|${2}|${3}"; }',
  'require ["variables","fileinto"]; if header :matches "subject" "**x" { fileinto "${1}|${2}"; } else { fileinto "no"; }',
  'require ["variables","fileinto"]; if header :matches "subject" "[*]*" { fileinto "${1}|${2}"; }',
  'require ["variables","fileinto"]; if header :matches "x-encoded" "*\u00fc*" { fileinto "${1}|${2}"; }',
  'require ["variables","fileinto"]; set :upper :lowerfirst "a" "hello"; fileinto "${a}";',
  'require ["variables","fileinto"]; set :quotewildcard :upper "a" "h*?"; fileinto "${a}";',
  'require ["variables","fileinto"]; set :length :upper "a" "hello"; fileinto "${a}";',
  'require ["relational","fileinto"]; if header :value "gt" "subject" "Z" { fileinto "gt"; } else { fileinto "le"; }',
  'require ["relational","fileinto"]; if header :value "gt" :comparator "i;octet" "subject" "Z" { fileinto "gt"; } else { fileinto "le"; }',
  'require ["relational","fileinto"]; if header :count "gt" "received" "10" { fileinto "gt"; } else { fileinto "le"; }',
  'require ["relational","fileinto","comparator-i;ascii-numeric"]; if header :value "lt" :comparator "i;ascii-numeric" "subject" "5" { fileinto "lt"; } else { fileinto "ge"; }',
  'require "reject"; redirect "a@b.c"; reject "x";',
  'require "reject"; reject "x"; reject "y";',
  'require "reject"; reject "x"; discard;',
  'require ["reject","copy"]; redirect :copy "a@b.c"; reject "x";',
  'if header :contains "subject" "" { discard; }',
  'if header :contains "x-nope" "" { discard; }',
  'if header :is "subject" "" { discard; }',
  'if address :all :is "from" "Alice Example <alice+news@example.com>" { discard; }',
  'if address :domain :is "from" "EXAMPLE.COM" { discard; }',
  'if address :comparator "i;octet" :domain :is "cc" "example.org" { discard; }',
  'if header :comparator "i;octet" :contains "subject" "" { discard; }',
  'if exists "X-Spam-Flag" { discard; }',
  'if envelope :is "from" "alice+news@example.com" { discard; }',
  'require "envelope"; if envelope :matches "to" "*@*" { discard; }',
  'require ["regex","fileinto","variables"]; if header :regex "subject" "^\\\\[(.*)\\\\] (.*)$" { fileinto "${1}|${2}"; }',
  'require ["regex","fileinto","variables"]; if header :regex "subject" "[[:alpha:]]+-[[:alpha:]]+" { fileinto "${0}"; }',
  'require ["regex","fileinto","variables"]; if header :regex "subject" "(a)|(z)" { fileinto "${1}x${2}"; }',
  'require ["regex"]; if header :regex "subject" "a{2,3}|b+" { discard; }',
  'require "encoded-character"; if header :contains "subject" "${hex: 61 63}${unicode:0000006d}" { discard; }',
  'require "encoded-character"; if header :contains "subject" "${HEX:61}${Unicode:63}" { discard; }',
  'if size :over 10M { discard; } elsif size :under 10 { keep; } else { redirect "a@b.c"; }',
  'require ["imap4flags","fileinto"]; setflag "A"; fileinto "x"; setflag "B"; fileinto "y"; removeflag "B";',
  'require ["imap4flags","fileinto"]; fileinto :flags "" "x";',
  'require ["imap4flags"]; setflag "\\\\Seen"; addflag "\\\\SEEN"; if hasflag :contains "seen" { discard; }',
  'require ["imap4flags","variables"]; set "f" "a"; addflag "f" "b"; setflag "${f}";',
  'require ["imap4flags","relational"]; setflag ["a","b c"]; if hasflag :count "eq" "3" { discard; }',
  'require "fileinto"; if true { fileinto "a"; } if true { fileinto "b"; stop; } fileinto "c";',
  'require ["variables","fileinto"]; if string :count "eq" ["a","","b"] "2" { fileinto "two"; }',
  'require ["variables","fileinto","relational"]; if string :count "eq" ["a","","b"] "2" { fileinto "two"; }',
  'require ["date","variables","fileinto"]; if date :matches "date" "std11" "*" { fileinto "${1}"; }',
  'require ["date","variables","fileinto"]; if date :originalzone :matches "date" "zone" "*" { fileinto "${1}"; }',
  'require ["date","variables","fileinto"]; if date :zone "+0530" :matches "date" "iso8601" "*" { fileinto "${1}"; }',
  'require ["date","variables","fileinto"]; if date :matches "date" "julian" "*" { fileinto "${1}"; }',
  'require ["date","variables","fileinto"]; if date :matches "received" "iso8601" "*" { fileinto "${1}"; }',
  'require ["date","index","variables","fileinto"]; if date :index 1 :last :matches "received" "date" "*" { fileinto "${1}"; }',
  'require ["date","variables","fileinto"]; if date :matches "subject" "date" "*" { fileinto "${1}"; } else { fileinto "none"; }',
  'require ["subaddress","variables","fileinto"]; if address :user :matches "from" "*" { fileinto "${1}"; }',
  'require ["subaddress","fileinto"]; if address :detail :is "to" "" { fileinto "empty"; } else { fileinto "no"; }',
  'require ["editheader","fileinto"]; deleteheader "subject"; if exists "subject" { fileinto "still"; } else { fileinto "gone"; }',
  'require ["editheader","fileinto","variables"]; addheader "X-A" "1"; addheader "X-A" "2"; addheader :last "X-A" "3"; if header :matches "x-a" "*" { fileinto "${1}"; }',
  'require ["editheader","fileinto","variables","index"]; addheader "X-A" "1"; addheader "X-A" "2"; addheader :last "X-A" "3"; if header :index 2 :matches "x-a" "*" { fileinto "${1}"; }',
  'require ["editheader","fileinto","variables","index"]; addheader "X-A" "1"; addheader "X-A" "2"; deleteheader :index 1 "x-a"; if header :matches "x-a" "*" { fileinto "${1}"; }',
  'require ["editheader","fileinto","variables"]; addheader "X-A" "Gr\u00fc\u00dfe"; if header :is "x-a" "Gr\u00fc\u00dfe" { fileinto "same"; }',
  'require ["editheader"]; addheader "X-A:" "1";',
  'require "copy"; redirect :copy "a@b.c"; redirect "a@b.c";',
  'redirect "not an address";',
  'redirect "a@b.c"; keep; discard;',
  'discard; keep;',
  'require "fileinto"; fileinto "INBOX"; keep;',
  'require ["mailbox","fileinto"]; fileinto :create "INBOX";',
];

for (const script of EXTRA) {
  test(`same outcome as Pigeonhole: ${script.slice(0, 70)}`, async () => {
    const p = parseScript(script);
    const mine = p.ok ? ours(await runScript(script)) : [`compile error line ${p.error.line}`];
    assert.deepEqual(mine, pigeonhole(script, MSG), script);
  });
}

for (const { msg, script } of DIFF_EXTRA) {
  test(`same outcome as Pigeonhole (own message): ${script.slice(0, 70)}`, async () => {
    const p = parseScript(script);
    const mine = p.ok ? ours(await runScript(script, { msg: msg ?? MSG })) : [`compile error line ${p.error.line}`];
    assert.deepEqual(mine, pigeonhole(script, msg ?? MSG), script);
  });
}

const BAD: string[] = [
  'keep',
  'require "fileinto";\nfileinto;',
  'if true {\n  keep;\n',
  'require "nosuch";',
  'require "fileinto";\n\nif header :bogus "a" "b" { keep; }',
  'redirect ["a@b.c"];',
  'if size 100 { keep; }',
  'keep;\nfileinto "x";',
  'elsif true { keep; }',
];

for (const script of BAD) {
  test(`Pigeonhole refuses it on the same line: ${JSON.stringify(script).slice(0, 60)}`, () => {
    const r = parseScript(script);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual([`compile error line ${r.error.line}`], pigeonhole(script, MSG), r.error.message);
  });
}
