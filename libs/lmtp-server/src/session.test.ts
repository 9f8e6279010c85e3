// LMTP sessions over real sockets against the real delivery path and Maildir++ store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaildirStore } from '../../maildir/src/index.js';
import { Deliverer } from '../../delivery/src/deliverer.js';
import { mailHome } from '../../delivery/src/home.js';
import { memoryDirectory, user, SmtpSink } from '../../delivery/src/testing.js';
import { LmtpServer } from './server.js';
import { LmtpTestClient } from './testing.js';
import { Registry } from 'prom-client';

const root = mkdtempSync(join(tmpdir(), 'lmtp-session-'));
const mailRoot = join(root, 'mail');
const store = new MaildirStore({ hostname: 'test.local', fsync: true });
const sink = new SmtpSink();
const directory = memoryDirectory([
  user('alice@example.org', { aliases: ['a@example.org'] }),
  user('bob@example.org'),
  user('full@example.org', { quotaBytes: 100 }),
]);
const silent = { info() {}, warn() {}, error() {} };
let server: LmtpServer;
let closeRelay = () => {};
let port = 0;
const sock = join(root, 'lmtp.sock');
const registry = new Registry();

before(async () => {
  await sink.start();
  const { smtpRelay } = await import('../../delivery/src/relay.js');
  const relay = smtpRelay({ host: '127.0.0.1', port: sink.port, name: 'test.local' });
  closeRelay = () => relay.close();
  const delivery = new Deliverer({
    store, directory, mailHome: (u) => mailHome(mailRoot, u.user), hostname: 'test.local', logger: silent, relay,
  });
  server = new LmtpServer({
    delivery, logger: silent, metrics: registry,
    config: { hostname: 'test.local', maxMessageSize: 2000, maxRecipients: 3, idleTimeoutMs: 60_000, spoolDir: join(root, 'spool') },
  });
  port = await server.listen({ host: '127.0.0.1', port: 0 });
  await server.listenUnix(sock);
});

after(async () => {
  await server.close();
  closeRelay();
  await store.close();
  await sink.stop();
  rmSync(root, { recursive: true, force: true });
});

function inbox(address: string): string[] {
  const dir = join(mailHome(mailRoot, address), 'Maildir', 'new');
  try { return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), 'utf8')); } catch { return []; }
}

test('RFC 2033 §4.2: pipelined transaction, one reply per accepted recipient in RCPT order; Return-Path and Delivered-To added', async () => {
  const c = await LmtpTestClient.open({ port });
  c.write('LHLO mx.example.org\r\nMAIL FROM:<sender@example.net> BODY=8BITMIME SIZE=100\r\nRCPT TO:<a@example.org>\r\n'
    + 'RCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
  const [lhlo, mail, r1, r2, r3, data] = await c.replies(6);
  assert.match(lhlo!.text, /^250-test\.local\r\n/);
  for (const cap of ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'SIZE 2000']) assert.match(lhlo!.text, new RegExp(`250[- ]${cap}\\r\\n`));
  assert.equal(mail!.code, 250);
  assert.equal(r1!.code, 250);
  assert.match(r2!.text, /^550 5\.1\.1 /);
  assert.equal(r3!.code, 250);
  assert.equal(data!.code, 354);
  c.write('Subject: pipelined\r\n\r\n..dot line\r\nbody\r\n.\r\n');
  const [d1, d2] = await c.replies(2);
  assert.match(d1!.text, /^250 2\.0\.0 <a@example\.org> /);
  assert.match(d2!.text, /^250 2\.0\.0 <bob@example\.org> /);
  const a = inbox('alice@example.org');
  assert.equal(a.length, 1);
  assert.match(a[0]!, /^Return-Path: <sender@example\.net>\r\nDelivered-To: a@example\.org\r\nReceived: from mx\.example\.org/);
  assert.match(a[0]!, /\r\n\r\n\.dot line\r\nbody\r\n$/);
  assert.equal(inbox('bob@example.org').length, 1);
  assert.equal((await c.cmd('QUIT')).code, 221);
  c.close();
});

test('RFC 3030: BDAT chunks pipelined with their commands; LAST delivers; DATA after BDAT refused', async () => {
  const c = await LmtpTestClient.open({ port });
  const p1 = 'Subject: chunked\r\n\r\n';
  const p2 = 'line one\r\n.\r\nline two\r\n';
  c.write(`LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nBDAT ${p1.length}\r\n${p1}BDAT ${p2.length} LAST\r\n${p2}`);
  const r = await c.replies(5);
  assert.deepEqual(r.map((x) => x.code), [250, 250, 250, 250, 250]);
  assert.match(r[3]!.text, new RegExp(`^250 2\\.0\\.0 ${p1.length} octets received`));
  assert.match(r[4]!.text, /^250 2\.0\.0 <bob@example\.org>/);
  const msgs = inbox('bob@example.org');
  assert.ok(msgs.some((m) => m.startsWith('Return-Path: <>\r\n') && m.endsWith(p1 + p2)), 'BDAT content stored verbatim (no unstuffing)');
  c.write('MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@example.org>\r\nBDAT 3\r\nabcDATA\r\n');
  const r2 = await c.replies(4);
  assert.deepEqual(r2.map((x) => x.code), [250, 250, 250, 503]);
  assert.equal((await c.cmd('RSET')).code, 250);
  c.close();
});

test('RFC 1870: SIZE above the limit is 552 5.3.4 at MAIL; an oversized DATA body gets 552 5.3.4 per recipient and the session goes on', async () => {
  const c = await LmtpTestClient.open({ port });
  await c.cmd('LHLO x');
  assert.match((await c.cmd('MAIL FROM:<s@example.net> SIZE=999999')).text, /^552 5\.3\.4/);
  c.write('MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
  assert.deepEqual((await c.replies(4)).map((x) => x.code), [250, 250, 250, 354]);
  const before = inbox('alice@example.org').length;
  c.write(`Subject: big\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(60) + '.\r\n');
  const r = await c.replies(2);
  for (const x of r) assert.match(x.text, /^552 5\.3\.4 /);
  assert.equal(inbox('alice@example.org').length, before, 'nothing stored');
  assert.equal((await c.cmd('NOOP')).code, 250);
  c.close();
});

test('bad input: 500/501/503 with enhanced codes, line too long, too many recipients 452 4.5.3, EHLO refused', async () => {
  const c = await LmtpTestClient.open({ port });
  assert.match((await c.cmd('MAIL FROM:<a@b.c>')).text, /^503 5\.5\.1/);
  assert.match((await c.cmd('EHLO x')).text, /^500 5\.5\.1/);
  assert.match((await c.cmd('FOO')).text, /^500 5\.5\.1/);
  await c.cmd('LHLO x');
  assert.match((await c.cmd('RCPT TO:<alice@example.org>')).text, /^503 5\.5\.1/);
  assert.match((await c.cmd('DATA')).text, /^503 5\.5\.1/);
  assert.match((await c.cmd('MAIL FROM:alice')).text, /^501 5\.1\.7|^501 5\.5\.4/);
  assert.match((await c.cmd('MAIL FROM:<a@b.c> AUTH=x')).text, /^555 5\.5\.4/);
  assert.match((await c.cmd('NOOP ' + 'x'.repeat(5000))).text, /^500 5\.5\.2 Line too long/);
  assert.match((await c.cmd('VRFY alice')).text, /^252 2\.3\.3/);
  assert.equal((await c.cmd('MAIL FROM:<a@b.c>')).code, 250);
  assert.match((await c.cmd('DATA')).text, /^503 5\.5\.1 No valid recipients/);
  assert.match((await c.cmd('RCPT TO:<a b@c>')).text, /^501 5\.1\.3/);
  for (let i = 0; i < 3; i++) assert.equal((await c.cmd('RCPT TO:<bob@example.org>')).code, 250);
  assert.match((await c.cmd('RCPT TO:<bob@example.org>')).text, /^452 4\.5\.3/);
  c.close();
});

test('too many bad commands in a row: 421 and the connection closes', async () => {
  const c = await LmtpTestClient.open({ port });
  c.write('BAD\r\n'.repeat(25));
  const r = await c.replies(21);
  assert.equal(r[19]!.code, 500);
  assert.equal(r[20]!.code, 421);
  assert.ok(await c.closed());
});

test('quota: an over-quota recipient gets 552 5.2.2 Mailbox full, the others their copy (UNIX socket)', async () => {
  const c = await LmtpTestClient.open({ path: sock });
  c.write('LHLO x\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<full@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n');
  assert.deepEqual((await c.replies(5)).map((x) => x.code), [250, 250, 250, 250, 354]);
  const before = inbox('alice@example.org').length;
  c.write(`Subject: quota\r\n\r\n${'y'.repeat(300)}\r\n.\r\n`);
  const [r1, r2] = await c.replies(2);
  assert.match(r1!.text, /^552 5\.2\.2 <full@example\.org> Mailbox full/);
  assert.equal(r2!.code, 250);
  assert.equal(inbox('alice@example.org').length, before + 1);
  assert.equal(inbox('full@example.org').length, 0);
  c.close();
});

test('idle timeout: 421 4.4.2 and close', async () => {
  const s2 = new LmtpServer({
    delivery: { resolve: async () => null, deliver: async () => [] }, logger: silent,
    config: { hostname: 't', maxMessageSize: 1000, maxRecipients: 1, idleTimeoutMs: 200, spoolDir: join(root, 'spool') },
  });
  const p = await s2.listen({ host: '127.0.0.1', port: 0 });
  try {
    const c = await LmtpTestClient.open({ port: p });
    assert.match((await c.reply()).text, /^421 4\.4\.2/);
    assert.ok(await c.closed());
  } finally { await s2.close(); }
});

test('a message above the in-memory spool size goes through a temp file, stored byte for byte, spool emptied after', async () => {
  const spoolDir = join(root, 'spool-big');
  const { smtpRelay } = await import('../../delivery/src/relay.js');
  const relay = smtpRelay({ host: '127.0.0.1', port: sink.port, name: 't' });
  const delivery = new Deliverer({ store, directory, relay, mailHome: (u) => mailHome(mailRoot, u.user), hostname: 'test.local', logger: silent });
  const s2 = new LmtpServer({ delivery, logger: silent, config: { hostname: 't', maxMessageSize: 4_000_000, maxRecipients: 5, idleTimeoutMs: 60_000, spoolDir } });
  const p = await s2.listen({ host: '127.0.0.1', port: 0 });
  try {
    const line = 'The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz\r\n';
    const body = `Subject: big one\r\n\r\n${line.repeat(4000)}`; // ~340 KB
    const c = await LmtpTestClient.open({ port: p });
    c.write('LHLO x\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n');
    assert.deepEqual((await c.replies(5)).map((x) => x.code), [250, 250, 250, 250, 354]);
    c.write(body + '.\r\n');
    assert.deepEqual((await c.replies(2)).map((x) => x.code), [250, 250]);
    const got = inbox('bob@example.org').find((m) => m.includes('Subject: big one'))!;
    assert.ok(got.endsWith(body), 'stored body is the sent body');
    c.close();
    assert.deepEqual(readdirSync(spoolDir), [], 'spool file removed');
  } finally { await s2.close(); relay.close(); }
});

test('a killed server\'s spool files are removed when the next one starts listening (no transaction of theirs can finish)', async () => {
  const spoolDir = join(root, 'spool-stale');
  mkdirSync(spoolDir, { recursive: true });
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const stale = `lmtp-${deadPid}-00aa11bb22cc33dd.eml`;
  const liveOther = `lmtp-${process.ppid}-44ee55ff66aa77bb.eml`;
  writeFileSync(join(spoolDir, stale), 'half a message');
  writeFileSync(join(spoolDir, liveOther), 'another live process is writing this');
  const { smtpRelay } = await import('../../delivery/src/relay.js');
  const relay = smtpRelay({ host: '127.0.0.1', port: sink.port, name: 't' });
  const delivery = new Deliverer({ store, directory, relay, mailHome: (u) => mailHome(mailRoot, u.user), hostname: 'test.local', logger: silent });
  const s2 = new LmtpServer({ delivery, logger: silent, config: { hostname: 't', maxMessageSize: 4_000, maxRecipients: 5, idleTimeoutMs: 60_000, spoolDir } });
  try {
    await s2.listen({ host: '127.0.0.1', port: 0 });
    assert.deepEqual(readdirSync(spoolDir), [liveOther]);
  } finally { await s2.close(); relay.close(); }
});

test('shutdown lets a delivery in progress send its 250 before the 421', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  let delivering: () => void = () => {};
  const started = new Promise<void>((r) => { delivering = r; });
  const s2 = new LmtpServer({
    delivery: {
      resolve: async (a) => ({ rcpt: a, local: [], relay: [] }),
      deliver: async (_e, rcpts) => { delivering(); await gate; return rcpts.map(() => ({ ok: true as const })); },
    },
    logger: silent,
    config: { hostname: 't', maxMessageSize: 1000, maxRecipients: 5, idleTimeoutMs: 60_000, spoolDir: join(root, 'spool') },
  });
  const p = await s2.listen({ host: '127.0.0.1', port: 0 });
  const c = await LmtpTestClient.open({ port: p });
  c.write('LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n');
  await c.replies(4);
  c.write('Subject: s\r\n\r\nx\r\n.\r\n');
  await started;
  const closing = s2.close(5000);
  setTimeout(release, 200);
  assert.match((await c.reply()).text, /^250 2\.0\.0 /);
  assert.match((await c.reply()).text, /^421 4\.3\.2 /);
  await closing;
});

test('property: random bytes on real connections never crash the server; the next client is served', async () => {
  const fc = (await import('fast-check')).default;
  const { connect } = await import('node:net');
  const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { numRuns: 30, seed: 42 });
  samples.push(Buffer.from('LHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@example.org>\r\nBDAT 99999999999 LAST\r\n' + 'z'.repeat(5000)));
  samples.push(Buffer.from('LHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n' + '\r\n.'.repeat(2000)));
  for (const bytes of samples) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(Buffer.from(bytes));
    await new Promise((r) => setTimeout(r, 5));
    s.destroy();
  }
  const c = await LmtpTestClient.open({ port });
  assert.equal((await c.cmd('LHLO ok')).code, 250);
  c.close();
});

test('metrics: per-recipient results and delivery time are counted (mail_lmtp_*)', async () => {
  const text = await registry.metrics();
  assert.match(text, /mail_lmtp_recipients_total\{result="saved"\} [1-9]/);
  assert.match(text, /mail_lmtp_recipients_total\{result="perm"\} [1-9]/, 'the 552s');
  assert.match(text, /mail_lmtp_delivery_seconds_count [1-9]/);
  assert.match(text, /mail_lmtp_sessions \d/);
});
