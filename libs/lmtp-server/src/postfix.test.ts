// End to end with a REAL Postfix (Debian 3.7, private instance on loopback): swaks → Postfix →
// our LMTP over a UNIX socket (as on UCS) → Maildir; what we send out (forward, Sieve redirect,
// vacation, the bounce for an unknown user) goes back through that Postfix to an SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MaildirStore } from '../../maildir/src/index.js';
import { Deliverer } from '../../delivery/src/deliverer.js';
import { mailHome } from '../../delivery/src/home.js';
import { smtpRelay, type Relay } from '../../delivery/src/relay.js';
import { memoryDirectory, user, SmtpSink } from '../../delivery/src/testing.js';
import { LmtpServer } from './server.js';
import { postfixMissing, startPostfix, swaks as runSwaks, type PostfixInstance } from '../../testing/src/postfix.js';

const root = mkdtempSync(join(tmpdir(), 'lmtp-pf-'));
chmodSync(root, 0o755); // the postfix user must reach the socket
const mailRoot = join(root, 'mail');
const socket = join(root, 'lmtp.sock');
const store = new MaildirStore({ hostname: 'test.local', fsync: true });
const sink = new SmtpSink();
const directory = memoryDirectory([
  user('alice@example.org', { aliases: ['a.example@example.org'] }),
  user('bob@example.org'),
  user('carol@example.org', { forwards: ['carol@elsewhere.test'] }),
  user('grace@example.org'),
  user('heidi@example.org'),
], [{ address: 'staff@example.org', members: ['alice@example.org', 'bob@example.org', 'a.example@example.org'] }]);
const silent = { info() {}, warn() {}, error() {} };
let server: LmtpServer;
let postfix: PostfixInstance | null = null;
let relay: Relay;

function inbox(address: string, folder = ''): string[] {
  const dir = join(mailHome(mailRoot, address), 'Maildir', folder, 'new');
  try { return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')); } catch { return []; }
}

async function until<T>(what: string, f: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- postfix log ---\n${postfix?.log().slice(-3000)}`);
    await sleep(100);
  }
}

/** One message into the Postfix under test; fails the test on a non-zero swaks exit. */
async function swaks(port: number, from: string, to: string, subject: string): Promise<void> {
  const r = await runSwaks(['--server', `127.0.0.1:${port}`, '--from', from, '--to', to, '--header', `Subject: ${subject}`,
    '--body', `Test body for ${subject}`, '--timeout', '20']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

function script(address: string, text: string): void {
  const home = mailHome(mailRoot, address);
  mkdirSync(join(home, 'sieve'), { recursive: true });
  writeFileSync(join(home, 'sieve', 'rules.sieve'), text);
  symlinkSync('sieve/rules.sieve', join(home, '.dovecot.sieve'));
}

before(async () => {
  const missing = postfixMissing();
  assert.equal(missing, null, `real Postfix test cannot run: ${missing}`);
  await sink.start();
  postfix = await startPostfix({
    recipients: ['alice@example.org', 'a.example@example.org', 'bob@example.org', 'staff@example.org', 'carol@example.org',
      'grace@example.org', 'heidi@example.org', 'ghost@example.org'],
    main: {
      virtual_transport: `lmtp:unix:${socket}`,
      // What our LMTP sends out (forwards, redirects, vacation, Postfix's bounces) goes to the SMTP sink.
      relayhost: `[127.0.0.1]:${sink.port}`,
      default_transport: 'smtp',
      relay_transport: 'relay',
    },
  });
  relay = smtpRelay({ host: '127.0.0.1', port: postfix.smtpPort, name: 'test.local' });
  const delivery = new Deliverer({ store, directory, relay, hostname: 'test.local', logger: silent, mailHome: (u) => mailHome(mailRoot, u.user) });
  server = new LmtpServer({ delivery, logger: silent, config: { hostname: 'test.local', maxMessageSize: 10_000_000, maxRecipients: 50, idleTimeoutMs: 60_000, spoolDir: join(root, 'spool') } });
  await server.listenUnix(socket);
  script('grace@example.org', 'require "vacation";\nvacation :days 1 :subject "Away" "Back next week.";\n');
  script('heidi@example.org', 'redirect "heidi@partner.test";\n');
});

after(async () => {
  await postfix?.close();
  await server?.close();
  relay?.close();
  await store.close();
  await sink.stop();
  rmSync(root, { recursive: true, force: true });
});

test('Postfix → LMTP (unix socket): delivered to a user, with Return-Path and Delivered-To', async () => {
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'alice@example.org', 'to alice');
  const m = await until('alice INBOX', () => inbox('alice@example.org').find((x) => x.includes('Subject: to alice')));
  assert.match(m, /^Return-Path: <sender@remote\.test>\r\nDelivered-To: alice@example\.org\r\n/);
  assert.match(m, /Received: from mx\.example\.org/);
});

test('Postfix → LMTP: an alias reaches its user', async () => {
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'a.example@example.org', 'to alias');
  await until('alias delivery', () => inbox('alice@example.org').find((x) => x.includes('Subject: to alias')));
});

test('Postfix → LMTP: a group with two members, one member also listed through an alias: one copy each', async () => {
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'staff@example.org', 'to staff');
  await until('bob copy', () => inbox('bob@example.org').find((x) => x.includes('Subject: to staff')));
  await until('alice copy', () => inbox('alice@example.org').find((x) => x.includes('Subject: to staff')));
  await sleep(500);
  assert.equal(inbox('alice@example.org').filter((x) => x.includes('Subject: to staff')).length, 1);
  assert.equal(inbox('bob@example.org').filter((x) => x.includes('Subject: to staff')).length, 1);
});

test('Postfix → LMTP: a forward leaves through Postfix to the relay, no local copy', async () => {
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'carol@example.org', 'to carol');
  const m = await until('forward at sink', () => sink.messages.find((x) => x.to.includes('carol@elsewhere.test')));
  assert.match(m.data, /Subject: to carol/);
  assert.equal(inbox('carol@example.org').length, 0);
});

test('Sieve vacation reply and redirect leave through Postfix', async () => {
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'grace@example.org', 'to grace');
  const v = await until('vacation reply', () => sink.messages.find((x) => x.to.includes('sender@remote.test') && /Subject: Away/.test(x.data)));
  assert.equal(v.from, '', 'null envelope sender');
  assert.match(v.data, /Auto-Submitted: auto-replied/);
  await until('grace keeps it', () => inbox('grace@example.org').find((x) => x.includes('Subject: to grace')));
  await swaks(postfix!.smtpPort, 'sender@remote.test', 'heidi@example.org', 'to heidi');
  const r = await until('redirect', () => sink.messages.find((x) => x.to.includes('heidi@partner.test')));
  assert.match(r.data, /Subject: to heidi/);
  assert.equal(inbox('heidi@example.org').length, 0);
});

test('unknown user at LMTP (550 5.1.1): Postfix bounces to the sender', async () => {
  await swaks(postfix!.smtpPort, 'bouncee@remote.test', 'ghost@example.org', 'to ghost');
  const b = await until('bounce', () => sink.messages.find((x) => x.to.includes('bouncee@remote.test')));
  assert.equal(b.from, '');
  assert.match(b.data, /5\.1\.1/);
});
