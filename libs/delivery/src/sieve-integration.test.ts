// The Sieve features the delivery path feeds from outside the interpreter: MIME-decoded body views
// (RFC 5173), the original recipient for `envelope "to"`, `include` from the mail home and the
// global directory (RFC 6609), spam scores from SpamAssassin headers (RFC 5235) and vacation
// response tracking with :days / :seconds (RFC 5230 §4.2, RFC 6131). Real Maildir store, real
// Sieve lib, an SMTP sink for the relay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaildirStore } from '../../maildir/src/index.js';
import { Deliverer, type Envelope } from './deliverer.js';
import { mailHome } from './home.js';
import { smtpRelay, type Relay } from './relay.js';
import { bufferSource, type MessageSource } from './source.js';
import { spamScores } from './spam-scores.js';
import { memoryDirectory, SmtpSink, user } from './testing.js';
import { recordVacation, vacationAnswered } from './vacation-store.js';
import { folderMessages } from '../../testing/src/maildir.js';

const root = mkdtempSync(join(tmpdir(), 'sieve-integration-'));
const mailRoot = join(root, 'mail');
const globalDir = join(root, 'global');
const store = new MaildirStore({ hostname: 'test.local', fsync: false });
const sink = new SmtpSink();
const directory = memoryDirectory([
  user('alice@example.org', { aliases: ['info@example.org'] }),
  user('bob@example.org'), user('carol@example.org'), user('dave@example.org'), user('erin@example.org'),
], [{ address: 'team@example.org', members: ['bob@example.org'] }]);
let d: Deliverer;
let relay: Relay;
const env: Envelope = { from: 'sender@example.net', heloName: 'mx.test', remote: '127.0.0.1', id: 'S1' };

before(async () => {
  await sink.start();
  relay = smtpRelay({ host: '127.0.0.1', port: sink.port, name: 'test.local' });
  mkdirSync(globalDir, { recursive: true });
  d = new Deliverer({ store, directory, relay, hostname: 'test.local', sieveBefore: '', sieveGlobalDir: globalDir,
    mailHome: (u) => mailHome(mailRoot, u.user) });
});
after(async () => { relay.close(); await store.close(); await sink.stop(); rmSync(root, { recursive: true, force: true }); });

function folder(address: string, name = 'INBOX'): string[] {
  return folderMessages(mailHome(mailRoot, address), name);
}
function script(address: string, text: string, name = 'main'): void {
  const home = mailHome(mailRoot, address);
  mkdirSync(join(home, 'sieve'), { recursive: true });
  writeFileSync(join(home, 'sieve', `${name}.sieve`), text);
  if (name !== 'main') return;
  try { unlinkSync(join(home, '.dovecot.sieve')); } catch { /* none */ }
  symlinkSync('sieve/main.sieve', join(home, '.dovecot.sieve'));
}
async function deliver(rcpt: string, src: MessageSource): Promise<void> {
  const r = await d.resolve(rcpt);
  assert.ok(r, `resolves ${rcpt}`);
  const out = await d.deliver(env, [r], src);
  assert.deepEqual(out, [{ ok: true }]);
}
const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'));
const simple = (subject: string, extra = '') =>
  bufferSource(crlf(`From: Sender <sender@example.net>\nTo: alice@example.org\nSubject: ${subject}\n${extra}\nHello.\n`));

// "Grüße aus Köln" in quoted-printable (latin-1) and "secret invoice attached" in base64.
const MULTIPART = crlf(`From: Sender <sender@example.net>
To: alice@example.org
Subject: mime
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

prologue text
--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

${Buffer.from('<p>secret <b>invoice</b> attached</p>').toString('base64')}
--b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

${Buffer.from('binarypayload').toString('base64')}
--b1--
`);

test('RFC 5173 §5.2: body :text and :content see decoded MIME parts (quoted-printable, base64, charset)', async () => {
  script('alice@example.org', `require ["body", "fileinto", "mailbox"];
if body :text :contains "Grüße aus Köln" { fileinto :create "Qp"; }
if body :text :contains "secret invoice attached" { fileinto :create "Html"; }
if body :content "application/octet-stream" :contains "binarypayload" { fileinto :create "Bin"; }
if body :raw :contains "Gr=FC=DFe" { fileinto :create "Raw"; }
if body :text :contains "binarypayload" { fileinto :create "Wrong"; }
`);
  await deliver('alice@example.org', bufferSource(MULTIPART));
  for (const f of ['Qp', 'Html', 'Bin', 'Raw']) assert.equal(folder('alice@example.org', f).length, 1, `${f} matched`);
  assert.equal(folder('alice@example.org', 'Wrong').length, 0, ':text skips non-text parts');
  assert.equal(folder('alice@example.org').length, 0, 'no implicit keep');
});

test('envelope "to" sees the original recipient (alias, group) as Pigeonhole does', async () => {
  script('alice@example.org', `require ["envelope", "fileinto", "mailbox"];
if envelope :is "to" "info@example.org" { fileinto :create "ViaInfo"; }
`);
  await deliver('info@example.org', simple('via alias'));
  assert.equal(folder('alice@example.org', 'ViaInfo').length, 1);
  script('bob@example.org', `require ["envelope", "fileinto", "mailbox"];
if envelope :is "to" "team@example.org" { fileinto :create "Team"; }
`);
  await deliver('team@example.org', simple('via group'));
  assert.equal(folder('bob@example.org', 'Team').length, 1);
  await deliver('bob@example.org', simple('direct'));
  assert.equal(folder('bob@example.org', 'Team').length, 1, 'direct mail is not "to" the group');
  assert.equal(folder('bob@example.org').length, 1);
});

test('RFC 6609: include :personal from <home>/sieve, :global from sieve.globalDir; missing include keeps the message', async () => {
  writeFileSync(join(globalDir, 'spam.sieve'), 'require ["fileinto", "mailbox"];\nif header :contains "subject" "viagra" { fileinto :create "GlobalHit"; }\n');
  script('carol@example.org', 'require ["fileinto", "mailbox"];\nif header :contains "subject" "report" { fileinto :create "Reports"; }\n', 'helpers');
  script('carol@example.org', `require ["include"];
include :personal "helpers";
include :global "spam";
include :global :optional "absent";
`);
  await deliver('carol@example.org', simple('monthly report'));
  await deliver('carol@example.org', simple('cheap viagra'));
  await deliver('carol@example.org', simple('hello'));
  assert.equal(folder('carol@example.org', 'Reports').length, 1);
  assert.equal(folder('carol@example.org', 'GlobalHit').length, 1);
  assert.equal(folder('carol@example.org').length, 1, 'the third one: implicit keep');
  // A name that tries to leave the directory is not found: runtime error, implicit keep.
  script('carol@example.org', 'require ["include", "fileinto"];\ninclude :global "../global/spam";\nfileinto "Never";\n');
  await deliver('carol@example.org', simple('cheap viagra again'));
  assert.equal(folder('carol@example.org', 'GlobalHit').length, 1);
  assert.equal(folder('carol@example.org').length, 2);
});

test('RFC 5235: spamtest / spamtestplus from X-Spam-Score, X-Spam-Level, X-Spam-Flag', async () => {
  const h = (o: Record<string, string>) => (n: string) => (o[n] !== undefined ? [o[n]!] : []);
  assert.deepEqual(spamScores(h({})), {}, 'not tested');
  assert.deepEqual(spamScores(h({ 'x-spam-score': '7.3' })), { spam: 10, spamPercent: 100 });
  assert.deepEqual(spamScores(h({ 'x-spam-score': '2.5' })), { spam: 6, spamPercent: 50 });
  assert.deepEqual(spamScores(h({ 'x-spam-score': '-1.0' })), { spam: 1, spamPercent: 0 });
  assert.deepEqual(spamScores(h({ 'x-spam-level': '****' })), { spam: 8, spamPercent: 80 });
  assert.deepEqual(spamScores(h({ 'x-spam-flag': 'YES' })), { spam: 10, spamPercent: 100 });
  assert.deepEqual(spamScores(h({ 'x-spam-flag': 'NO' })), { spam: 1, spamPercent: 0 });
  script('dave@example.org', `require ["spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "50" { fileinto :create "Spam50"; stop; }
if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto :create "Untested"; stop; }
if spamtest :value "ge" :comparator "i;ascii-numeric" "1" { fileinto :create "Clean"; }
`);
  await deliver('dave@example.org', simple('spammy', 'X-Spam-Score: 6.1\n'));
  await deliver('dave@example.org', simple('level', 'X-Spam-Level: ***\n'));
  await deliver('dave@example.org', simple('clean', 'X-Spam-Flag: NO\nX-Spam-Score: 0.4\n'));
  await deliver('dave@example.org', simple('unscanned'));
  assert.equal(folder('dave@example.org', 'Spam50').length, 2);
  assert.equal(folder('dave@example.org', 'Clean').length, 1);
  assert.equal(folder('dave@example.org', 'Untested').length, 1);
});

test('RFC 5230 §4.2: no second vacation reply within the period, a new one after it (:seconds, RFC 6131)', async () => {
  script('erin@example.org', `require ["vacation", "vacation-seconds"];
vacation :seconds 1 :subject "Away" "I am away.";
`);
  const before = sink.messages.length;
  const m = () => bufferSource(crlf('From: sender@example.net\nTo: erin@example.org\nSubject: hi\n\nHi.\n'));
  await deliver('erin@example.org', m());
  await sink.waitFor(before + 1);
  await deliver('erin@example.org', m());
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(sink.messages.length, before + 1, 'second message within the period: no reply');
  await deliver('erin@example.org', m());
  const all = await sink.waitFor(before + 2);
  assert.equal(all[before + 1]!.to[0], 'sender@example.net');
  assert.match(all[before + 1]!.data, /Subject: Away/);
  assert.equal(folder('erin@example.org').length, 3, 'every message kept');
});

test('vacation tracking honours the period of the running script (:days), per user', async () => {
  const home = join(root, 'vac-home');
  mkdirSync(home, { recursive: true });
  const t0 = Date.UTC(2026, 0, 1);
  await recordVacation(home, 'x@example.net', 'h', 7 * 86400, t0);
  assert.equal(await vacationAnswered(home, 'X@example.net', 'h', 7 * 86400, t0 + 2 * 86_400_000), true, 'within :days 7');
  assert.equal(await vacationAnswered(home, 'x@example.net', 'h', 86400, t0 + 2 * 86_400_000), false, ':days 1 has passed');
  assert.equal(await vacationAnswered(home, 'x@example.net', 'h', 7 * 86400, t0 + 8 * 86_400_000), false, 'after :days 7');
  assert.equal(await vacationAnswered(home, 'x@example.net', 'other', 7 * 86400, t0 + 1000), false, 'other handle');
  const other = join(root, 'vac-home-2');
  mkdirSync(other, { recursive: true });
  assert.equal(await vacationAnswered(other, 'x@example.net', 'h', 7 * 86400, t0 + 1000), false, 'other user');
});
