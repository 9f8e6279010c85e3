// The delivery path (recipient resolution, Sieve, relay) against the real Maildir++ store, the
// real Sieve lib and an SMTP sink standing in for the relay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaildirStore } from '../../maildir/src/index.js';
import { Deliverer, type Envelope } from './deliverer.js';
import { mailHome } from './home.js';
import { smtpRelay, type Relay } from './relay.js';
import { bufferSource } from './source.js';
import { memoryDirectory, SmtpSink, user } from './testing.js';
import type { ResolvedRecipient } from './resolve.js';
import { folderMessages } from '../../testing/src/maildir.js';

const root = mkdtempSync(join(tmpdir(), 'deliverer-'));
const mailRoot = join(root, 'mail');
const store = new MaildirStore({ hostname: 'test.local', fsync: false });
const sink = new SmtpSink();
const logs: string[] = [];
const logger = { info() {}, warn(_o: object, m: string) { logs.push(m); }, error(_o: object, m: string) { logs.push(m); } };
const directory = memoryDirectory([
  user('alice@example.org', { aliases: ['alias@example.org'] }),
  user('bob@example.org'),
  user('carol@example.org', { forwards: ['carol@elsewhere.test'] }),
  user('dave@example.org', { forwards: ['dave@elsewhere.test'], forwardCopyToSelf: true }),
  user('erin@example.org'), user('frank@example.org'), user('grace@example.org'), user('heidi@example.org'),
  user('ivan@example.org'), user('judy@example.org'), user('gone@example.org', { disabled: true }),
], [
  { address: 'empty@example.org', members: ['gone@example.org', 'ghost@example.org'] },
  { address: 'staff@example.org', members: ['alice@example.org', 'bob@example.org', 'alias@example.org', 'team@example.org', 'out@partner.test', 'ghost@example.org'] },
  { address: 'team@example.org', members: ['staff@example.org', 'bob@example.org'] },
]);
let d: Deliverer;
const relays: Relay[] = [];
/** Relays made here, closed in after() (their pooled connections would keep the sink open). */
function relayTo(port: number, timeoutMs?: number): Relay {
  const r = smtpRelay({ host: '127.0.0.1', port, name: 'test.local', ...(timeoutMs ? { timeoutMs } : {}) });
  relays.push(r);
  return r;
}
let deadRelay: Deliverer;
const env: Envelope = { from: 'sender@example.net', heloName: 'mx.test', remote: '127.0.0.1', id: 'T1' };
const msg = (subject: string, extra = '') => bufferSource(Buffer.from(`From: Sender <sender@example.net>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.net>\r\n${extra}\r\nHello.\r\n`));

before(async () => {
  await sink.start();
  const deps = { store, directory, mailHome: (u: { user: string }) => mailHome(mailRoot, u.user), hostname: 'test.local', logger, autoMailboxes: { Trash: 'subscribe' as const, Junk: 'create' as const } };
  d = new Deliverer({ ...deps, relay: relayTo(sink.port) });
  deadRelay = new Deliverer({ ...deps, relay: relayTo(1, 2000) });
});
after(async () => { for (const r of relays) r.close(); await store.close(); await sink.stop(); rmSync(root, { recursive: true, force: true }); });

function folder(address: string, name = 'INBOX'): string[] {
  return folderMessages(mailHome(mailRoot, address), name);
}
function curNames(address: string, name: string): string[] {
  try { return readdirSync(join(mailHome(mailRoot, address), 'Maildir', `.${name}`, 'cur')); } catch { return []; }
}
function script(address: string, text: string): void {
  const home = mailHome(mailRoot, address);
  mkdirSync(join(home, 'sieve'), { recursive: true });
  writeFileSync(join(home, 'sieve', 'main.sieve'), text);
  try { unlinkSync(join(home, '.dovecot.sieve')); } catch { /* none */ }
  symlinkSync('sieve/main.sieve', join(home, '.dovecot.sieve'));
}
async function deliver(rcpts: string[], src = msg('plain'), who = d): Promise<Array<{ ok: boolean; code?: string; message?: string }>> {
  const resolved: ResolvedRecipient[] = [];
  for (const r of rcpts) { const x = await who.resolve(r); assert.ok(x, `resolves ${r}`); resolved.push(x); }
  return (await who.deliver(env, resolved, src)).map((o) => (o.ok ? { ok: true } : { ok: false, code: o.error.code, message: o.error.message }));
}

test('primary address and alias reach the user; unknown address resolves to nothing (550 5.1.1 at RCPT)', async () => {
  assert.equal(await d.resolve('nobody@example.org'), null);
  assert.equal(await d.resolve('nobody+x@example.org'), null);
  assert.equal(await d.resolve('gone@example.org'), null, 'disabled user takes no mail');
  assert.equal(await d.resolve('empty@example.org'), null, 'a group that reaches nobody is refused, not swallowed');
  assert.deepEqual(await deliver(['Alias@Example.org']), [{ ok: true }]);
  const m = folder('alice@example.org');
  assert.equal(m.length, 1);
  assert.match(m[0]!, /^Return-Path: <sender@example\.net>\r\nDelivered-To: alias@example\.org\r\n/);
  assert.deepEqual(readdirSync(join(mailHome(mailRoot, 'alice@example.org'), 'Maildir')).filter((n) => n.startsWith('.')).sort(), ['.Junk', '.Trash'], 'mailboxes.auto folders created');
});

test('group of two reached twice and through a nested group loop: each member exactly one copy; outside member relayed', async () => {
  const before = { a: folder('alice@example.org').length, b: folder('bob@example.org').length, sink: sink.messages.length };
  const r = await d.resolve('staff@example.org');
  assert.deepEqual(r!.local.map((t) => t.user.user).sort(), ['alice@example.org', 'bob@example.org']);
  assert.deepEqual(r!.relay, ['out@partner.test'], 'unknown member in our domain dropped, outside member relayed');
  // The same user as a direct recipient in the same transaction gets no second copy either.
  assert.deepEqual(await deliver(['staff@example.org', 'bob@example.org']), [{ ok: true }, { ok: true }]);
  assert.equal(folder('alice@example.org').length, before.a + 1);
  assert.equal(folder('bob@example.org').length, before.b + 1);
  const sent = await sink.waitFor(before.sink + 1);
  assert.deepEqual(sent[before.sink]!.to, ['out@partner.test']);
});

test('forward: relayed without a local copy; with forwardCopyToSelf both', async () => {
  const n = sink.messages.length;
  assert.deepEqual(await deliver(['carol@example.org', 'dave@example.org']), [{ ok: true }, { ok: true }]);
  const sent = await sink.waitFor(n + 2);
  const tos = sent.slice(n).map((m) => m.to.join(','));
  assert.deepEqual(tos.sort(), ['carol@elsewhere.test', 'dave@elsewhere.test']);
  // Copies of one transaction go out in parallel: find carol's by its recipient.
  const carol = sent.slice(n).find((m) => m.to.includes('carol@elsewhere.test'))!;
  assert.equal(carol.from, 'sender@example.net', 'original envelope sender kept');
  assert.match(carol.data, /^Delivered-To: carol@example\.org\r\nFrom: Sender/);
  assert.equal(folder('carol@example.org').length, 0);
  assert.equal(folder('dave@example.org').length, 1);
});

test('forward with the relay down: temporary failure (451), never a silent loss', async () => {
  const [o] = await deliver(['carol@example.org'], msg('relay down'), deadRelay);
  assert.equal(o!.ok, false);
  assert.equal(o!.code, 'TEMP');
});

test('RFC 5233 subaddress: user+detail lands in INBOX without a script; Sieve sees the detail', async () => {
  assert.deepEqual(await deliver(['erin+lists@example.org']), [{ ok: true }]);
  assert.match(folder('erin@example.org')[0]!, /Delivered-To: erin\+lists@example\.org/);
  script('erin@example.org', 'require ["envelope", "subaddress", "fileinto"];\nif envelope :detail "to" "news" { fileinto "News"; }\n');
  assert.deepEqual(await deliver(['erin+news@example.org']), [{ ok: true }]);
  assert.equal(folder('erin@example.org', 'News').length, 1);
  assert.equal(folder('erin@example.org').length, 1);
});

test('Sieve fileinto with imap4flags: folder created and subscribed, flags on the stored message', async () => {
  script('frank@example.org', 'require ["fileinto", "imap4flags"];\nif header :contains "subject" "report" { fileinto :flags ["\\\\Seen", "\\\\Flagged"] "Reports/Daily"; }\n');
  assert.deepEqual(await deliver(['frank@example.org'], msg('daily report')), [{ ok: true }]);
  const names = curNames('frank@example.org', 'Reports.Daily');
  assert.equal(names.length, 1);
  assert.match(names[0]!, /:2,FS$/);
  assert.match(readFileSync(join(mailHome(mailRoot, 'frank@example.org'), 'Maildir', 'subscriptions'), 'utf8'), /^Reports\tDaily$/m, "Dovecot subscriptions v2 format");
  assert.equal(folder('frank@example.org').length, 0, 'fileinto cancels the implicit keep');
});

test('Sieve vacation: reply through the relay with the null sender, once per :days period per sender', async () => {
  script('grace@example.org', 'require "vacation";\nvacation :days 7 :subject "Out of office" "I am away until Monday.";\n');
  const n = sink.messages.length;
  const src = bufferSource(Buffer.from('From: sender@example.net\r\nTo: grace@example.org\r\nSubject: hi\r\nMessage-ID: <v1@example.net>\r\n\r\nHi\r\n'));
  assert.deepEqual(await deliver(['grace@example.org'], src), [{ ok: true }]);
  const sent = await sink.waitFor(n + 1);
  const reply = sent[n]!;
  assert.equal(reply.from, '');
  assert.deepEqual(reply.to, ['sender@example.net']);
  assert.match(reply.data, /Subject: Out of office\r\n/);
  assert.match(reply.data, /Auto-Submitted: auto-replied/);
  assert.match(reply.data, /In-Reply-To: <v1@example\.net>/);
  assert.match(reply.data, /I am away until Monday\./);
  assert.equal(folder('grace@example.org').length, 1, 'vacation keeps the message');
  assert.deepEqual(await deliver(['grace@example.org'], src), [{ ok: true }]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sink.messages.length, n + 1, 'no second reply within :days');
});

test('Sieve redirect goes out through the relay; redirect :copy keeps a copy; discard stores nothing', async () => {
  script('heidi@example.org', 'require ["copy"];\nif header :contains "subject" "copy" { redirect :copy "boss@partner.test"; } elsif header :contains "subject" "drop" { discard; } else { redirect "other@partner.test"; }\n');
  const n = sink.messages.length;
  assert.deepEqual(await deliver(['heidi@example.org'], msg('move it')), [{ ok: true }]);
  assert.deepEqual(await deliver(['heidi@example.org'], msg('copy it')), [{ ok: true }]);
  assert.deepEqual(await deliver(['heidi@example.org'], msg('drop it')), [{ ok: true }]);
  const sent = await sink.waitFor(n + 2);
  assert.deepEqual(sent.slice(n).map((m) => m.to[0]), ['other@partner.test', 'boss@partner.test']);
  assert.equal(sent[n]!.from, 'sender@example.net');
  assert.match(sent[n]!.data, /Subject: move it/);
  assert.equal(folder('heidi@example.org').length, 1, 'only the :copy one is kept');
});

test('Sieve ereject refuses in the reply (550 5.7.1 via PERM); reject sends a notice and stores nothing', async () => {
  script('ivan@example.org', 'require ["ereject", "reject"];\nif header :contains "subject" "spam" { ereject "No spam, thanks"; } else { reject "I do not take mail"; }\n');
  const [o] = await deliver(['ivan@example.org'], msg('spam offer'));
  assert.deepEqual(o, { ok: false, code: 'PERM', message: 'No spam, thanks' });
  const n = sink.messages.length;
  assert.deepEqual(await deliver(['ivan@example.org'], msg('hello')), [{ ok: true }]);
  const sent = await sink.waitFor(n + 1);
  assert.deepEqual(sent[n]!.to, ['sender@example.net']);
  assert.match(sent[n]!.data, /Subject: Rejected: hello/);
  assert.match(sent[n]!.data, /I do not take mail/);
  assert.equal(folder('ivan@example.org').length, 0);
});

test('a script that does not compile, or fails at run time, never loses the message: INBOX and a log line', async () => {
  script('judy@example.org', 'require "fileinto";\nif header :is "x" { fileinto "A" }\n');
  logs.length = 0;
  assert.deepEqual(await deliver(['judy@example.org']), [{ ok: true }]);
  assert.equal(folder('judy@example.org').length, 1);
  assert.ok(logs.some((l) => /does not compile/.test(l)), logs.join('|'));
});

test('global script (UCS spam filter default) runs first: X-Spam-Flag: YES goes to Spam and the user script is not run', async () => {
  const { UCS_SPAM_SCRIPT } = await import('./sieve-scripts.js');
  const g = new Deliverer({ store, directory, mailHome: (u) => mailHome(mailRoot, u.user), hostname: 'test.local', logger, relay: relayTo(sink.port), sieveBefore: UCS_SPAM_SCRIPT });
  script('bob@example.org', 'require "fileinto";\nfileinto "Personal";\n');
  const r1 = await g.resolve('bob@example.org');
  assert.deepEqual(await g.deliver(env, [r1!], msg('viagra', 'X-Spam-Flag: YES\r\n')), [{ ok: true }]);
  assert.equal(folder('bob@example.org', 'Spam').length, 1);
  assert.equal(folder('bob@example.org', 'Personal').length, 0);
  assert.deepEqual(await g.deliver(env, [r1!], msg('ham')), [{ ok: true }]);
  assert.equal(folder('bob@example.org', 'Personal').length, 1, 'ham goes through the user script');
});

test('RFC 5293 editheader changes the stored copy only', async () => {
  script('alice@example.org', 'require ["editheader"];\naddheader "X-Filtered" "by sieve";\ndeleteheader "X-Remove";\n');
  const n = folder('alice@example.org').length;
  assert.deepEqual(await deliver(['alice@example.org'], msg('edit', 'X-Remove: secret\r\n')), [{ ok: true }]);
  const stored = folder('alice@example.org');
  assert.equal(stored.length, n + 1);
  const m = stored.find((x) => x.includes('Subject: edit'))!;
  assert.match(m, /Received: [^]*\r\nX-Filtered: by sieve\r\nFrom: Sender/);
  assert.doesNotMatch(m, /X-Remove/);
  assert.match(m, /\r\n\r\nHello\.\r\n$/);
});

test('deliver command path: stream in, mbox From_ line dropped, -m folder is the implicit keep, Sieve still runs', async () => {
  const { deliverFromStream } = await import('./deliver-stream.js');
  const { Readable } = await import('node:stream');
  const spoolDir = join(root, 'spool-cmd');
  await deliverFromStream(d, { recipient: 'erin@example.org', from: 'x@example.net', folder: 'Lists', spoolDir },
    Readable.from([Buffer.from('From x@example.net Mon Jan  1 00:00:00 2026\nSubject: by lda\n\nbody\n')]));
  const m = folder('erin@example.org', 'Lists').find((x) => x.includes('Subject: by lda'));
  assert.ok(m, 'delivered into -m folder');
  assert.match(m!, /^Return-Path: <x@example\.net>\r\n/);
  assert.doesNotMatch(m!, /^From x@/m);
  await assert.rejects(deliverFromStream(d, { recipient: 'nobody@example.org', from: '', spoolDir }, Readable.from([Buffer.from('x')])),
    (e: unknown) => (e as { code?: string }).code === 'NOTFOUND');
});

test('a forward that comes back (Delivered-To already ours) is a loop: refused, not relayed again', async () => {
  const n = sink.messages.length;
  const looped = bufferSource(Buffer.from('Delivered-To: carol@example.org\r\nSubject: loop\r\n\r\nx\r\n'));
  const [o] = await deliver(['carol@example.org'], looped);
  assert.equal(o!.ok, false);
  assert.equal(o!.code, 'LIMIT');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sink.messages.length, n);
});

test('a redirected message that comes back (our Delivered-To on it) is kept, not redirected again', async () => {
  const n = sink.messages.length;
  const back = bufferSource(Buffer.from('Delivered-To: heidi@example.org\r\nSubject: came back\r\n\r\nx\r\n'));
  const before = folder('heidi@example.org').length;
  assert.deepEqual(await deliver(['heidi@example.org'], back), [{ ok: true }]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sink.messages.length, n, 'nothing sent');
  assert.equal(folder('heidi@example.org').length, before + 1, 'kept in INBOX');
});
