/**
 * The Sieve table: scripts × messages → expected outcome (see testing.ts summarize()), one or more
 * cases per RFC section and extension. table.test.ts runs them against this lib;
 * pigeonhole.test.ts runs the portable ones through Dovecot Pigeonhole's sieve-test as well.
 */
import { MSG, MULTIPART, crlf, type RunOpts } from './testing.js';

export type Case = [name: string, script: string, expected: string[], o?: RunOpts];

export const IK = 'implicit keep';

export const CASES: Case[] = [
  // ---- RFC 5228 core
  ['5228 empty script keeps', '', [IK]],
  ['5228 keep', 'keep;', ['keep']],
  ['5228 discard', 'discard;', ['discard']],
  ['5228 stop ends the script', 'stop; discard;', [IK]],
  ['5228 redirect', 'redirect "x@example.net";', ['redirect x@example.net']],
  ['5228 §2.10.3 duplicate redirect once', 'redirect "x@example.net"; redirect "x@Example.NET";', ['redirect x@example.net']],
  ['5228 §2.10.3 local parts are case-sensitive', 'redirect "x@example.net"; redirect "X@example.net";', ['redirect x@example.net', 'redirect X@example.net']],
  ['5228 §2.10.3 duplicate keep once', 'keep; keep;', ['keep']],
  ['5228 header :is casemap', 'if header :is "subject" "[ACME-users] [fwd] version 1.0 is out" { discard; }', ['discard']],
  ['5228 header :is octet fails on case', 'if header :comparator "i;octet" :is "subject" "[ACME-users] [fwd] version 1.0 is out" { discard; }', [IK]],
  ['5228 header :contains', 'if header :contains "Subject" "version" { discard; }', ['discard']],
  ['5228 header :contains list of names', 'if header :contains ["X-None", "To"] "carol" { discard; }', ['discard']],
  ['5228 header :matches wildcards', 'if header :matches "subject" "*version ?.0*" { discard; }', ['discard']],
  ['5228 header :matches escaped star', 'if header :matches "subject" "*\\\\**" { discard; }', [IK]],
  ['5228 header missing is false', 'if header :contains "X-Missing" "" { discard; }', [IK]],
  ['5228 §2.7.2 header decodes RFC 2047', 'if header :is "X-Encoded" "Grüße aus Köln" { discard; }', ['discard']],
  ['5228 exists all', 'if exists ["From", "X-Spam-Flag"] { discard; }', ['discard']],
  ['5228 exists one missing', 'if exists ["From", "X-Nope"] { discard; }', [IK]],
  ['5228 size :over', 'if size :over 100 { discard; }', ['discard']],
  ['5228 size :under K', 'if size :under 1K { discard; }', ['discard']],
  ['5228 size :over M false', 'if size :over 1M { discard; }', [IK]],
  ['5228 not', 'if not exists "X-Nope" { discard; }', ['discard']],
  ['5228 allof', 'if allof (true, exists "From", header :contains "to" "bob") { discard; }', ['discard']],
  ['5228 allof false', 'if allof (true, false) { discard; }', [IK]],
  ['5228 anyof', 'if anyof (false, header :contains "cc" "dave") { discard; }', ['discard']],
  ['5228 if elsif else', 'if false { keep; } elsif false { discard; } else { redirect "z@example.net"; }', ['redirect z@example.net']],
  ['5228 elsif taken', 'if false { keep; } elsif true { discard; } else { redirect "z@example.net"; }', ['discard']],
  ['5228 address :all', 'if address :is "from" "alice+news@example.com" { discard; }', ['discard']],
  ['5228 address :localpart', 'if address :localpart :is "to" "carol" { discard; }', ['discard']],
  ['5228 address :domain casemap', 'if address :domain :is "cc" "example.org" { discard; }', ['discard']],
  ['5228 address default :all', 'if address :contains "to" "bob@" { discard; }', ['discard']],
  ['5228 §2.7.4 address without domain: only :all matches', 'require "fileinto"; if address :localpart :is "sender" "root" { fileinto "lp"; } elsif address :all :is "sender" "root" { fileinto "all"; }', ['fileinto all'], { msg: MSG.replace('X-Spam-Flag', 'Sender: root\r\nX-Spam-Flag') }],
  ['5228 §8.1 line breaks in strings are CRLF', 'require "variables"; set "a" text:\nab\n.\n; if string :is "${a}" "ab\r\n" { discard; }', ['discard']],
  ['5228 quoted string with LF becomes CRLF', 'require ["variables","fileinto"]; set :length "a" "a\nb"; fileinto "${a}";', ['fileinto 4']],
  ['5228 multi-line text string', 'if header :contains "subject" text:\nversion\n.\n { discard; }', [IK]],
  ['5228 comments', '# hash\n/* bracket\n comment */ discard; # end', ['discard']],
  ['5228 i;ascii-numeric', 'require "comparator-i;ascii-numeric"; if header :comparator "i;ascii-numeric" :is "x-spam-score" "7" { discard; }', ['discard']],

  // ---- fileinto
  ['fileinto', 'require "fileinto"; fileinto "Lists";', ['fileinto Lists']],
  ['fileinto twice same folder once', 'require "fileinto"; fileinto "A"; fileinto "A";', ['fileinto A']],
  ['fileinto two folders', 'require "fileinto"; fileinto "A"; fileinto "B";', ['fileinto A', 'fileinto B']],
  ['fileinto + keep', 'require "fileinto"; fileinto "A"; keep;', ['fileinto A', 'keep']],
  ['fileinto UCS spam rule', 'require "fileinto"; if header :contains "X-Spam-Flag" "YES" { fileinto "Spam"; stop; } keep;', ['fileinto Spam']],

  // ---- reject / ereject (RFC 5429)
  ['5429 reject', 'require "reject"; reject "go away";', ['reject go away']],
  ['5429 ereject', 'require "ereject"; ereject "not here";', ['ereject not here']],
  ['5429 reject + fileinto is an error', 'require ["reject","fileinto"]; fileinto "x"; reject "r";', ['error: reject cannot be combined with fileinto']],
  ['5429 keep then reject is an error', 'require "reject"; keep; reject "r";', ['error: reject cannot be combined with keep']],
  ['5429 reject + redirect is an error (as Pigeonhole)', 'require "reject"; redirect "a@example.net"; reject "r";', ['error: reject cannot be combined with redirect']],
  ['5429 two rejects is an error', 'require "reject"; reject "a"; reject "b";', ['error: reject cannot be combined with another reject']],
  ['3894 duplicate redirect after :copy keeps the implicit keep (as Pigeonhole)', 'require "copy"; redirect :copy "a@example.net"; redirect "a@example.net";', ['redirect a@example.net :copy', IK]],
  ['5228 fileinto then keep: both', 'require "fileinto"; fileinto "INBOX"; keep;', ['fileinto INBOX', 'keep']],
  ['5228 discard then keep: keep wins', 'discard; keep;', ['discard', 'keep']],
  ['5228 nested if blocks', 'if true { if false { discard; } else { if exists "from" { redirect "n@example.net"; } } }', ['redirect n@example.net']],
  ['5429 reject + discard ok', 'require "reject"; discard; reject "r";', ['discard', 'reject r']],

  // ---- envelope
  ['envelope from', 'require "envelope"; if envelope :is "from" "alice+news@example.com" { discard; }', ['discard']],
  ['envelope to :domain', 'require "envelope"; if envelope :domain :is "to" "example.org" { discard; }', ['discard']],
  ['envelope :localpart', 'require "envelope"; if envelope :localpart :matches "from" "alice*" { discard; }', ['discard']],
  ['envelope null sender :all ""', 'require "envelope"; if envelope :all :is "from" "" { discard; }', ['discard'], { ctx: { envelope: { from: '', to: 'bob@example.org' } } }],
  ['envelope null sender :localpart never', 'require "envelope"; if envelope :localpart :is "from" "" { discard; }', [IK], { ctx: { envelope: { from: '', to: 'bob@example.org' } } }],
  ['envelope to is the original recipient when known', 'require "envelope"; if envelope :is "to" "info@example.org" { discard; }', ['discard'], { ctx: { envelope: { from: 'a@b.c', to: 'bob@example.org', origTo: 'info@example.org' } } }],
  ['envelope auth', 'require "envelope"; if envelope :is "auth" "alice" { discard; }', ['discard'], { ctx: { envelope: { from: 'a@b.c', to: 'bob@example.org', auth: 'alice' } } }],

  // ---- encoded-character
  ['encoded-character hex', 'require "encoded-character"; if header :contains "subject" "${hex:76 65 72}sion" { discard; }', ['discard']],
  ['encoded-character unicode', 'require "encoded-character"; if header :is "X-Encoded" "Gr${unicode:fc}${unicode:DF}e aus K${unicode:f6}ln" { discard; }', ['discard']],
  ['encoded-character not required stays literal', 'if header :contains "subject" "${hex:76}ersion" { discard; }', [IK]],
  ['encoded-character malformed stays', 'require ["encoded-character","fileinto"]; fileinto "${hex:zz}";', ['fileinto ${hex:zz}']],

  // ---- variables (RFC 5229)
  ['5229 set and use', 'require ["variables","fileinto"]; set "box" "Archive"; fileinto "${box}";', ['fileinto Archive']],
  ['5229 names are case-insensitive', 'require ["variables","fileinto"]; set "Box" "A"; fileinto "${BOX}";', ['fileinto A']],
  ['5229 unknown variable is empty', 'require ["variables","fileinto"]; fileinto "x${nothing}y";', ['fileinto xy']],
  ['5229 §3.2 match variables', 'require ["variables","fileinto"]; if header :matches "subject" "[*] *" { fileinto "${1}/${2}"; }', ['fileinto acme-users/[fwd] version 1.0 is out']],
  ['5229 ${0} is the whole match', 'require ["variables","fileinto"]; if header :matches "cc" "*" { fileinto "${0}"; }', ['fileinto dave@EXAMPLE.org']],
  ['5229 ? captures one char', 'require ["variables","fileinto"]; if header :matches "subject" "*version ?.?*" { fileinto "${2}-${3}"; }', ['fileinto 1-0']],
  ['5229 failed match keeps old values', 'require ["variables","fileinto"]; if header :matches "cc" "*@*" {} if header :matches "cc" "nomatch*" {} fileinto "${1}";', ['fileinto dave']],
  ['5229 :lower :upperfirst', 'require ["variables","fileinto"]; set :lower :upperfirst "x" "hELLO"; fileinto "${x}";', ['fileinto Hello']],
  ['5229 :upper', 'require ["variables","fileinto"]; set :upper "x" "abc"; fileinto "${x}";', ['fileinto ABC']],
  ['5229 :length', 'require ["variables","fileinto"]; set :length "x" "Grüße"; fileinto "${x}";', ['fileinto 5']],
  ['5229 :quotewildcard', 'require ["variables","fileinto"]; set :quotewildcard "x" "a*b?c\\\\"; fileinto "${x}";', ['fileinto a\\*b\\?c\\\\']],
  ['5229 :lowerfirst', 'require ["variables","fileinto"]; set :lowerfirst "x" "ABC"; fileinto "${x}";', ['fileinto aBC']],
  ['5229 string test', 'require "variables"; set "a" "hello"; if string :is "${a}" "hello" { discard; }', ['discard']],
  ['5229 string :matches sets vars', 'require ["variables","fileinto"]; if string :matches "a-b-c" "*-*" { fileinto "${2}"; }', ['fileinto b-c']],
  ['5229 expansion is one pass', 'require ["variables","fileinto"]; set "dollar" "$"; set "a" "${dollar}{b}"; set "b" "X"; fileinto "${a}";', ['fileinto ${b}']],
  ['5229 variable in key', 'require "variables"; set "k" "acme"; if header :contains "subject" "${k}" { discard; }', ['discard']],

  // ---- vacation (RFC 5230)
  ['5230 vacation replies', 'require "vacation"; vacation :subject "Away" "I am away";', ['vacation to=alice+news@example.com from=bob@example.org subject=Away', IK]],
  ['5230 default subject Auto:', 'require "vacation"; vacation "I am away";', ['vacation to=alice+news@example.com from=bob@example.org subject=Auto: [acme-users] [fwd] version 1.0 is out', IK]],
  ['5230 :from', 'require "vacation"; vacation :from "Bob <b@example.org>" :subject "S" "r";', ['vacation to=alice+news@example.com from=Bob <b@example.org> subject=S', IK]],
  ['5230 no reply to null sender', 'require "vacation"; vacation "x";', [IK], { ctx: { envelope: { from: '', to: 'bob@example.org' } } }],
  ['5230 no reply to myself', 'require "vacation"; vacation "x";', [IK], { ctx: { envelope: { from: 'bob@example.org', to: 'bob@example.org' } } }],
  ['5230 no reply to mailing lists', 'require "vacation"; vacation "x";', [IK], { msg: MSG.replace('X-Spam-Flag', 'List-Id: <acme.lists.example.com>\r\nX-Spam-Flag') }],
  ['5230 no reply to bulk', 'require "vacation"; vacation "x";', [IK], { msg: MSG.replace('X-Spam-Flag', 'Precedence: bulk\r\nX-Spam-Flag') }],
  ['5230 no reply to auto-submitted', 'require "vacation"; vacation "x";', [IK], { msg: MSG.replace('X-Spam-Flag', 'Auto-Submitted: auto-replied\r\nX-Spam-Flag') }],
  ['5230 Auto-Submitted: no is fine', 'require "vacation"; vacation :subject "s" "x";', ['vacation to=alice+news@example.com from=bob@example.org subject=s', IK], { msg: MSG.replace('X-Spam-Flag', 'Auto-Submitted: no\r\nX-Spam-Flag') }],
  ['5230 no reply to owner-/-request senders', 'require "vacation"; vacation "x";', [IK], { ctx: { envelope: { from: 'acme-request@example.com', to: 'bob@example.org' } } }],
  ['5230 §4.5 not addressed to me', 'require "vacation"; vacation "x";', [IK], { ctx: { user: { address: 'zed@example.org' }, envelope: { from: 'a@b.c', to: 'zed@example.org' } } }],
  ['5230 §4.5 :addresses makes it mine', 'require "vacation"; vacation :addresses ["carol@example.net"] :subject "s" "x";', ['vacation to=a@b.c from=carol@example.net subject=s', IK], { ctx: { user: { address: 'zed@example.org' }, envelope: { from: 'a@b.c', to: 'zed@example.org' } } }],
  ['5230 §4.2 already answered', 'require "vacation"; vacation :days 3 "x";', [IK], { ctx: { vacationAnswered: (s: string, h: string, p: number) => s === 'alice+news@example.com' && p === 3 * 86400 && h.length > 0 } }],
  ['5230 two vacations is an error', 'require "vacation"; vacation "x"; vacation "y";', ['error: only one vacation action is allowed per message']],
  ['5230 vacation + reject is an error', 'require ["vacation","reject"]; vacation "x"; reject "y";', ['error: reject cannot be combined with vacation']],
  ['6131 :seconds', 'require ["vacation","vacation-seconds"]; vacation :seconds 0 :subject "s" "x";', ['vacation to=alice+news@example.com from=bob@example.org subject=s', IK]],

  // ---- imap4flags (RFC 5232)
  ['5232 setflag → implicit keep flags', 'require "imap4flags"; setflag "\\\\Seen";', ['implicit keep [\\Seen]']],
  ['5232 addflag dedupes', 'require "imap4flags"; addflag ["\\\\Seen", "$Work"]; addflag "\\\\seen $work Urgent";', ['implicit keep [\\Seen $Work Urgent]']],
  ['5232 removeflag', 'require "imap4flags"; setflag "a b c"; removeflag "B";', ['implicit keep [a c]']],
  ['5232 fileinto :flags', 'require ["imap4flags","fileinto"]; fileinto :flags "\\\\Flagged" "A";', ['fileinto A [\\Flagged]']],
  ['5232 fileinto uses internal flags', 'require ["imap4flags","fileinto"]; addflag "x"; fileinto "A";', ['fileinto A [x]']],
  ['5232 keep :flags', 'require "imap4flags"; keep :flags ["\\\\Answered"];', ['keep [\\Answered]']],
  ['5232 hasflag', 'require "imap4flags"; addflag "$Work"; if hasflag :is "$work" { discard; }', ['discard']],
  ['5232 hasflag with variable', 'require ["imap4flags","variables"]; addflag "v" "a b"; if hasflag :is "v" "b" { discard; }', ['discard']],
  ['5232 hasflag :count', 'require ["imap4flags","relational","comparator-i;ascii-numeric"]; setflag "a b c"; if hasflag :count "eq" :comparator "i;ascii-numeric" "3" { discard; }', ['discard']],

  // ---- relational (RFC 5231)
  ['5231 :count header values', 'require ["relational","comparator-i;ascii-numeric"]; if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { discard; }', ['discard']],
  ['5231 :count addresses', 'require ["relational","comparator-i;ascii-numeric"]; if address :count "ge" :comparator "i;ascii-numeric" ["to","cc"] "3" { discard; }', ['discard']],
  ['5231 :count absent is 0', 'require ["relational","comparator-i;ascii-numeric"]; if header :count "eq" :comparator "i;ascii-numeric" "x-none" "0" { discard; }', ['discard']],
  ['5231 :value gt numeric', 'require ["relational","comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; }', ['discard']],
  ['5231 :value lt numeric false', 'require ["relational","comparator-i;ascii-numeric"]; if header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; }', [IK]],
  ['5231 :value string order', 'require "relational"; if header :value "lt" "cc" "e" { discard; }', ['discard']],
  ['5231 :value ne', 'require "relational"; if header :value "ne" "x-spam-flag" "no" { discard; }', ['discard']],

  // ---- subaddress (RFC 5233)
  ['5233 :user', 'require "subaddress"; if address :user :is "from" "alice" { discard; }', ['discard']],
  ['5233 :detail', 'require "subaddress"; if address :detail :is "from" "news" { discard; }', ['discard']],
  ['5233 :detail absent never matches', 'require "subaddress"; if address :detail :matches "to" "*" { discard; }', [IK], { msg: MSG.replace('To: Bob <bob@example.org>, carol@example.net', 'To: bob@example.org') }],
  ['5233 envelope :detail', 'require ["subaddress","envelope","fileinto","variables"]; if envelope :detail :matches "to" "*" { fileinto "${1}"; }', ['fileinto lists'], { ctx: { envelope: { from: 'a@b.c', to: 'bob+lists@example.org' } } }],
  ['5233 empty :detail matches ""', 'require ["subaddress","envelope"]; if envelope :detail :is "to" "" { discard; }', ['discard'], { ctx: { envelope: { from: 'a@b.c', to: 'bob+@example.org' } } }],

  // ---- body (RFC 5173)
  ['5173 body :contains text default', 'require "body"; if body :contains "release is out" { discard; }', ['discard']],
  ['5173 body :text decodes QP and charset', 'require "body"; if body :text :contains "Grüße" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 body :text includes html as text', 'require "body"; if body :text :contains "Secret" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 body :text skips attachments', 'require "body"; if body :text :contains "BINARY" { discard; }', [IK], { msg: MULTIPART }],
  ['5173 body :content application', 'require "body"; if body :content "application" :contains "BINARY PAYLOAD" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 body :content text/html raw tags', 'require "body"; if body :content "text/html" :contains "<b>bonus</b>" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 body :raw sees encoded text', 'require "body"; if body :raw :contains "Gr=FC=DFe" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 body :raw no decoded text', 'require "body"; if body :raw :contains "Grüße" { discard; }', [IK], { msg: MULTIPART }],
  ['5173 §5.2 :content multipart matches the prologue', 'require "body"; if body :content "multipart" :contains "prologue" { discard; }', ['discard'], { msg: MULTIPART }],
  ['5173 prologue is not text', 'require "body"; if body :text :contains "prologue" { discard; }', [IK], { msg: MULTIPART }],
  ['5173 :matches sees the part without the CRLF before the boundary', 'require "body"; if body :text :matches "Gr*attached." { discard; }', ['discard'], { msg: MULTIPART }],
  ['5260 unknown date part is false, not an error', 'require "date"; if date :is "date" "century" "20" { discard; }', [IK]],
  ['5173 body :matches whole part', 'require "body"; if body :text :matches "*quarterly*" { discard; }', ['discard'], { msg: MULTIPART }],

  // ---- copy (RFC 3894)
  ['3894 fileinto :copy keeps', 'require ["fileinto","copy"]; fileinto :copy "A";', ['fileinto A :copy', IK]],
  ['3894 redirect :copy keeps', 'require "copy"; redirect :copy "x@example.net";', ['redirect x@example.net :copy', IK]],

  // ---- date / index (RFC 5260)
  ['5260 date year', 'require "date"; if date :is "date" "year" "2026" { discard; }', ['discard']],
  ['5260 date :originalzone hour', 'require "date"; if date :originalzone :is "date" "hour" "10" { discard; }', ['discard']],
  ['5260 date default zone UTC hour', 'require "date"; if date :is "date" "hour" "09" { discard; }', ['discard']],
  ['5260 date :zone', 'require "date"; if date :zone "-0500" :is "date" "time" "04:15:30" { discard; }', ['discard']],
  ['5260 date weekday', 'require "date"; if date :is "date" "weekday" "2" { discard; }', ['discard']],
  ['5260 date julian', 'require "date"; if date :is "date" "julian" "61368" { discard; }', ['discard']],
  ['5260 date iso8601 :originalzone', 'require "date"; if date :originalzone :is "date" "iso8601" "2026-11-24T10:15:30+01:00" { discard; }', ['discard']],
  ['5260 date std11', 'require "date"; if date :is "date" "std11" "Tue, 24 Nov 2026 09:15:30 +0000" { discard; }', ['discard']],
  ['5260 received date after ;', 'require "date"; if date :is "received" "day" "24" { discard; }', ['discard']],
  ['5260 currentdate', 'require "date"; if currentdate :is "date" "2026-11-24" { discard; }', ['discard']],
  ['5260 currentdate :value range', 'require ["date","relational"]; if allof(currentdate :value "ge" "date" "2026-11-01", currentdate :value "le" "date" "2026-11-30") { discard; }', ['discard']],
  ['5260 currentdate zone', 'require "date"; if currentdate :zone "+1400" :is "date" "2026-11-25" { discard; }', ['discard']],
  ['5260 date with variables capture', 'require ["date","variables","fileinto"]; if currentdate :matches "month" "*" { fileinto "Archive/${1}"; }', ['fileinto Archive/11']],
  ['5260 §6 :index 2', 'require ["index","date"]; if date :index 2 :is "received" "day" "23" { discard; }', ['discard']],
  ['5260 §6 :index :last', 'require "index"; if header :index 1 :last :contains "received" "a.example.com" { discard; }', ['discard']],
  ['5260 §6 :index out of range', 'require "index"; if header :index 3 :contains "received" "" { discard; }', [IK]],
  ['5260 §6 address :index', 'require "index"; if address :index 1 :is "to" "bob@example.org" { discard; }', ['discard']],

  // ---- mailbox (RFC 5490)
  ['5490 fileinto :create', 'require ["fileinto","mailbox"]; fileinto :create "New/Folder";', ['fileinto New/Folder :create']],
  ['5490 mailboxexists', 'require ["mailbox","fileinto"]; if mailboxexists "Lists" { fileinto "Lists"; }', ['fileinto Lists'], { ctx: { mailboxExists: (n: string) => n === 'Lists' } }],
  ['5490 mailboxexists missing', 'require ["mailbox","fileinto"]; if mailboxexists ["Lists", "Nope"] { fileinto "Lists"; }', [IK], { ctx: { mailboxExists: (n: string) => n === 'Lists' } }],
  ['5490 mailboxexists async', 'require "mailbox"; if mailboxexists "A" { discard; }', ['discard'], { ctx: { mailboxExists: async () => true } }],

  // ---- regex
  ['regex header', 'require "regex"; if header :regex "subject" "^\\\\[([a-z-]+)\\\\]" { discard; }', ['discard']],
  ['regex captures', 'require ["regex","variables","fileinto"]; if header :regex "subject" "version ([0-9]+)\\\\.([0-9]+)" { fileinto "v${1}_${2}"; }', ['fileinto v1_0']],
  ['regex POSIX class', 'require "regex"; if header :regex "x-spam-score" "^[[:digit:]]+\\\\.[[:digit:]]$" { discard; }', ['discard']],
  ['regex . is one character, also in UTF-8 (Pigeonhole: one byte)', 'require ["regex","variables","fileinto"]; if header :regex "x-encoded" "K(.)ln" { fileinto "${1}"; }', ['fileinto ö']],
  ['regex {,n} and escaped {', 'require "regex"; if allof (header :regex "subject" "^\\\\[a{,2}cme", header :regex "subject" "x\\\\{|version") { discard; }', ['discard']],
  ['regex casemap is case-insensitive', 'require "regex"; if header :regex "subject" "ACME" { discard; }', ['discard']],
  ['regex octet is case-sensitive', 'require "regex"; if header :regex :comparator "i;octet" "subject" "ACME" { discard; }', [IK]],

  // ---- spamtest / virustest (RFC 5235)
  ['5235 spamtest ge', 'require ["spamtest","relational","comparator-i;ascii-numeric"]; if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { discard; }', ['discard'], { ctx: { scores: { spam: 8 } } }],
  ['5235 spamtest not tested is 0', 'require ["spamtest","relational","comparator-i;ascii-numeric"]; if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { discard; }', ['discard']],
  ['5235 spamtestplus :percent', 'require ["spamtestplus","relational","comparator-i;ascii-numeric"]; if spamtest :percent :value "gt" :comparator "i;ascii-numeric" "90" { discard; }', ['discard'], { ctx: { scores: { spam: 10, spamPercent: 95 } } }],
  ['5235 virustest', 'require ["virustest","relational","comparator-i;ascii-numeric"]; if virustest :value "ge" :comparator "i;ascii-numeric" "4" { discard; }', ['discard'], { ctx: { scores: { virus: 5 } } }],

  // ---- editheader (RFC 5293)
  ['5293 addheader visible to later tests', 'require "editheader"; addheader "X-Tag" "one"; if header :is "x-tag" "one" { discard; }', ['discard']],
  ['5293 deleteheader hides the field', 'require "editheader"; deleteheader "x-spam-flag"; if exists "x-spam-flag" { discard; }', [IK]],
  ['5293 deleteheader by value', 'require "editheader"; addheader "X-M" "one"; addheader "X-M" "two"; deleteheader :contains "x-m" "tw"; if header :count "eq" :comparator "i;ascii-numeric" "x-m" "1" { discard; }'.replace('require "editheader"', 'require ["editheader","relational","comparator-i;ascii-numeric"]'), ['discard']],
  ['5293 :index :last', 'require ["editheader","relational"]; addheader :last "X-L" "last"; if header :index 1 :last :is "x-l" "last" { discard; }'.replace('"relational"', '"index"'), ['discard']],
  ['5293 adding Received is allowed', 'require "editheader"; addheader "Received" "x"; if header :contains "received" "x" { discard; }', ['discard']],
  ['5293 Received is protected', 'require "editheader"; deleteheader "received"; if exists "received" { discard; }', ['discard']],
];


// ---- more differential cases (pigeonhole.test.ts): odd headers, addresses, strings, variables

const RAW1 = crlf("From: \"Doe, John\" <john.doe@Example.COM>, jane@example.com (Jane)\nTo: undisclosed-recipients:;\nCc: Group: a@x.org, b@y.org;, c@z.org\nSender: root\nReply-To: <\"quoted local\"@example.net>\nSubject:    padded subject   \nX-Empty:\nX-Dup: one\nX-Dup: two\nX-Q: =?iso-8859-1?Q?caf=E9?= and =?utf-8?q?na=C3=AFve?=\nDate: 1 Jan 2020 00:00:00 -0000\n\nbody\n");
const RAW2 = crlf("From: a@b.c\nSubject:    padded subject   \nX-Empty:\nX-Dup: one\nX-Dup: two\nX-Q: =?iso-8859-1?Q?caf=E9?= and =?utf-8?q?na=C3=AFve?=\nDate: 1 Jan 2020 00:00:00 -0000\n\nbody\n");
const RAW3 = crlf("From: a@b.c\nSubject:    padded subject   \nX-Empty:\nX-Dup: one\nX-Dup: two\nX-Q: =?iso-8859-1?Q?caf=E9?= and =?utf-8?q?na=C3=AFve?=\n\nbody\n");
const RAW4 = crlf("From: a@b.c\nX-Empty:\nX-Dup: one\nX-Dup: two\nX-Q: =?iso-8859-1?Q?caf=E9?= and =?utf-8?q?na=C3=AFve?=\n\nbody\n");
const RAW5 = crlf("From: a@b.c\nX-Empty:\nX-Dup: one\nX-Dup: two\n\nbody\n");
const RAW6 = crlf("From: a@b.c\nX-Dup: one\nX-Dup: two\n\nbody\n");
const RAW7 = crlf("From: a@b.c\nDate: 1 Jan 2020 00:00:00 -0000\n\nbody\n");
const RAW8 = crlf("From: a@b.c\nDate: Sat, 29 Feb 2020 23:59:60 +1345\n\nbody\n");
const RAW9 = crlf("From: a@b.c\nDate: garbage\n\nbody\n");

export const DIFF_EXTRA: Array<{ msg?: string; script: string }> = [
  { script: "require \"regex\"; if header :regex \"subject\" \"^\\\\[a{,2}cme\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x{|version\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x{a\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x{\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x}\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x{1\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"x{1,2\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"{\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"a|*b\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"(*a)\" { discard; }" },
  { script: "require \"regex\"; if header :regex \"subject\" \"^*a\" { discard; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"(a|ac)(me.*)\" { fileinto \"${1}|${2}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"([a-z]+)-([a-z]+)\" { fileinto \"${1}|${2}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"(v|ve)(r*)sion\" { fileinto \"${1}|${2}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"from\" \"^\\\"?([^\\\"]*)\\\"? <(.*)@(.*)>$\" { fileinto \"${1}|${2}|${3}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"[[:upper:]]+\" { fileinto \"${0}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex :comparator \"i;octet\" \"subject\" \"[[:upper:]]+\" { fileinto \"${0}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"\\\\w+\" { fileinto \"${0}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"{1}\" { fileinto \"${0}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"*acme\" { fileinto \"${0}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"a{,2}\" { fileinto \"x${0}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"((a)|b)+\" { fileinto \"${1}${2}\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"\\\\[(.*)\\\\]\" { fileinto \"${1}\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"(x)?acme\" { fileinto \"[${1}]\"; }" },
  { script: "require [\"regex\",\"variables\",\"fileinto\"]; if header :regex \"subject\" \"\\\\(\" { fileinto \"paren\"; } else { fileinto \"none\"; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"a(\" { discard; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"[z-a]\" { discard; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"\\\\1\" { discard; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"a**\" { discard; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"()\" { discard; }" },
  { script: "require [\"regex\"]; if header :regex \"subject\" \"a||b\" { discard; }" },
  { msg: RAW1, script: "require [\"variables\",\"fileinto\"]; if address :all :matches \"from\" \"*\" { fileinto \"${1}\"; }" },
  { msg: RAW1, script: "require [\"relational\",\"fileinto\"]; if address :count \"eq\" \"cc\" \"3\" { fileinto \"three\"; } elsif address :count \"eq\" \"cc\" \"5\" { fileinto \"five\"; } else { fileinto \"other\"; }" },
  { msg: RAW1, script: "require [\"variables\",\"fileinto\"]; if address :localpart :matches \"sender\" \"*\" { fileinto \"L${1}\"; } elsif address :all :matches \"sender\" \"*\" { fileinto \"A${1}\"; } else { fileinto \"none\"; }" },
  { msg: RAW1, script: "require [\"variables\",\"fileinto\"]; if address :localpart :matches \"reply-to\" \"*\" { fileinto \"${1}\"; }" },
  { msg: RAW2, script: "require [\"variables\",\"fileinto\"]; if header :matches \"subject\" \"*\" { fileinto \"[${1}]\"; }" },
  { msg: RAW3, script: "if exists \"x-empty\" { discard; }" },
  { msg: RAW4, script: "if header :is \"x-empty\" \"\" { discard; }" },
  { msg: RAW4, script: "require [\"variables\",\"fileinto\"]; if header :matches \"x-q\" \"*\" { fileinto \"${1}\"; }" },
  { msg: RAW5, script: "require [\"variables\",\"fileinto\"]; if header :matches \"x-dup\" \"t*\" { fileinto \"${1}\"; }" },
  { msg: RAW6, script: "require [\"variables\",\"fileinto\",\"index\"]; if header :index 2 :matches \"x-dup\" \"*\" { fileinto \"${1}\"; }" },
  { msg: RAW7, script: "require [\"variables\",\"fileinto\",\"date\"]; if date :originalzone :matches \"date\" \"iso8601\" \"*\" { fileinto \"${1}\"; }" },
  { msg: RAW8, script: "require [\"variables\",\"fileinto\",\"date\"]; if date :originalzone :matches \"date\" \"iso8601\" \"*\" { fileinto \"${1}\"; } else { fileinto \"bad\"; }" },
  { msg: RAW9, script: "require [\"variables\",\"fileinto\",\"date\"]; if date :matches \"date\" \"year\" \"*\" { fileinto \"${1}\"; } else { fileinto \"bad\"; }" },
  { script: "require [\"variables\",\"fileinto\"]; set \"a\" text:\nline one\n..two\n.\n;\nif string :is \"${a}\" \"line one\n.two\n\" { fileinto \"crlf\"; } else { fileinto \"no\"; }" },
  { script: "require [\"variables\",\"fileinto\"]; set :length \"a\" text:\nab\n.\n;\nfileinto \"${a}\";" },
  { script: "require \"fileinto\"; fileinto \"a\\\\b\\\"c\";" },
  { script: "require [\"variables\",\"fileinto\"]; set \"n\" \"5\"; if string :value \"gt\" :comparator \"i;ascii-numeric\" \"${n}\" \"10\" { fileinto \"gt\"; } else { fileinto \"le\"; }" },
  { script: "require [\"variables\",\"fileinto\",\"comparator-i;ascii-numeric\",\"relational\"]; set \"n\" \"5\"; if string :value \"gt\" :comparator \"i;ascii-numeric\" \"${n}\" \"10\" { fileinto \"gt\"; } else { fileinto \"le\"; }" },
  { script: "require [\"variables\",\"fileinto\",\"comparator-i;ascii-numeric\",\"relational\"]; if string :value \"gt\" :comparator \"i;ascii-numeric\" \"abc\" \"10\" { fileinto \"gt\"; } else { fileinto \"le\"; }" },
  { script: "require [\"variables\",\"fileinto\",\"comparator-i;ascii-numeric\"]; if string :is :comparator \"i;ascii-numeric\" \"abc\" \"def\" { fileinto \"eq\"; } else { fileinto \"ne\"; }" },
  { script: "require [\"variables\",\"fileinto\",\"comparator-i;ascii-numeric\"]; if string :is :comparator \"i;ascii-numeric\" \"007x\" \"7\" { fileinto \"eq\"; } else { fileinto \"ne\"; }" },
  { script: "require [\"variables\",\"fileinto\"]; if string :matches \"abc\" \"a\\\\*c\" { fileinto \"lit\"; } elsif string :matches \"a*c\" \"a\\\\*c\" { fileinto \"star\"; } else { fileinto \"none\"; }" },
  { script: "require [\"variables\",\"fileinto\"]; set \"x\" \"1\"; if true { set \"x\" \"${x}2\"; } fileinto \"${x}\";" },
  { script: "require [\"variables\",\"fileinto\"]; if string :matches \"abc\" \"*\" { set \"m\" \"${1}\"; } if string :matches \"xyz\" \"?*\" { } fileinto \"${m}-${1}-${2}\";" },
  { script: "require [\"variables\",\"fileinto\"]; if string :matches \"abc\" \"*\" { } if string :is \"abc\" \"abc\" { } fileinto \"${1}\";" },
  { script: "require [\"variables\",\"fileinto\"]; fileinto \"${\";" },
  { script: "require [\"variables\",\"fileinto\"]; fileinto \"${a${b}}\";" },
  { script: "require [\"variables\",\"fileinto\"]; set \"a\" \"x\"; fileinto \"$${a}}\";" },
  { script: "require [\"variables\",\"fileinto\"]; set \"a.b\" \"x\";" },
  { script: "require [\"fileinto\",\"encoded-character\"]; fileinto \"${unicode:D800}\";" },
  { script: "require [\"fileinto\",\"encoded-character\"]; fileinto \"${hex:}\";" },
  { script: "require [\"envelope\",\"fileinto\"]; if envelope :localpart :is \"from\" \"alice+news\" { fileinto \"lp\"; }" },
  { script: "require [\"subaddress\",\"envelope\",\"fileinto\"]; if envelope :user :is \"to\" \"bob\" { fileinto \"u\"; }" },
  { script: "require [\"imap4flags\",\"fileinto\"]; addflag \"\\\\Deleted \\\\Flagged\"; removeflag \"\\\\deleted\"; fileinto \"x\";" },
  { script: "require [\"imap4flags\",\"fileinto\",\"variables\"]; set \"f\" \"a\"; if hasflag \"f\" \"a\" { fileinto \"yes\"; } else { fileinto \"no\"; }" },
  { script: "require [\"fileinto\"]; if not not true { fileinto \"nn\"; }" },
  { script: "if size :over 0 { discard; }" },
  { script: "require \"fileinto\"; if header :contains [\"To\",\"Cc\"] [\"example.org\",\"nomatch\"] { fileinto \"yes\"; }" },
  { script: "require \"vacation\"; if true { vacation :days 0 \"x\"; }" },
  { script: "require \"vacation\"; vacation :handle \"\" \"x\";" },
  { script: "stop;" },
  { script: "require \"include\"; return;" },
];
