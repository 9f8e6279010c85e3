import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { MaildirStore } from '../../maildir/src/index.js';
import { deliverMessage } from '../../delivery/src/deliver.js';
import { mailHome } from '../../delivery/src/home.js';
import { MemoryDirectory } from '../../testing/src/directory.js';
import { DEFAULT_ANSWERS } from '../../quota/src/status.js';
import { QuotaStatusServer } from './server.js';
import { startPostfix, swaks, type PostfixInstance } from '../../testing/src/postfix.js';

let root: string;
let server: QuotaStatusServer;
let port: number;
const directory = new MemoryDirectory({
  'full@example.org': { password: 'x', quotaBytes: 2000, aliases: ['fullalias@example.org'] },
  'half@example.org': { password: 'x', quotaBytes: 10_000 },
  'free@example.org': { password: 'x', quotaBytes: null },
  'over@example.org': { password: 'x', quotaBytes: null },
});

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'qstatus-'));
  const store = new MaildirStore({ hostname: 'test.local', fsync: false });
  const cfg = { mailHome: (u: { user: string }) => mailHome(join(root, 'mail'), u.user) };
  // full: 1900 of 2000 bytes used; half: ~1900 of 10000.
  for (const u of ['full@example.org', 'half@example.org', 'over@example.org']) {
    await deliverMessage(store, directory, cfg, u, Readable.from([Buffer.from(`Subject: fill\r\n\r\n${'x'.repeat(1880)}\r\n`)]));
  }
  await store.close?.();
  // The administrator lowered over@'s quota below its usage: it is over quota even for an empty message.
  directory.users['over@example.org']!.quotaBytes = 1000;
  server = new QuotaStatusServer({
    directory, mailHome: cfg.mailHome as never, answers: DEFAULT_ANSWERS, recipientDelimiter: '+', logger: pino({ level: 'silent' }),
  });
  port = await server.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => { await server.close(); await rm(root, { recursive: true, force: true }); });

function req(rcpt: string, size?: number, state = 'RCPT'): string {
  return `request=smtpd_access_policy\nprotocol_state=${state}\nprotocol_name=ESMTP\nsender=s@example.net\nrecipient=${rcpt}\n${size !== undefined ? `size=${size}\n` : ''}\n`;
}

/** Sends requests on one connection and collects one answer per request. */
async function ask(payload: string, answers: number): Promise<string[]> {
  const sock = net.connect(port, '127.0.0.1');
  let buf = '';
  const out = await new Promise<string[]>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout, got ${JSON.stringify(buf)}`)), 5000);
    sock.on('data', (d) => {
      buf += d;
      const parts = buf.split('\n\n').filter((p) => p !== '');
      if (parts.length >= answers && buf.endsWith('\n\n')) { clearTimeout(t); resolve(parts); }
    });
    sock.on('error', reject);
    sock.write(payload);
  });
  sock.destroy();
  return out;
}

test('Dovecot quota-status answers: over quota, over with this size, under, unknown, unlimited, +detail and alias', async () => {
  const a = await ask([
    req('full@example.org', 200), req('full@example.org', 50), req('full+box@example.org', 500), req('fullalias@example.org', 500),
    req('half@example.org', 1000), req('nobody@example.org'), req('free@example.org', 10_000_000), req('half@example.org', 9000),
  ].join(''), 8);
  assert.deepEqual(a, [
    'action=552 5.2.2 Mailbox is full', 'action=DUNNO', 'action=552 5.2.2 Mailbox is full', 'action=552 5.2.2 Mailbox is full',
    'action=DUNNO', 'action=DUNNO', 'action=DUNNO', 'action=552 5.2.2 Mailbox is full',
  ]);
});

test('only RCPT state is checked; malformed and oversized requests get DUNNO and the connection goes on', async () => {
  const a = await ask(req('full@example.org', 5000, 'DATA') + 'this is not an attribute\n\n' + `x=${'y'.repeat(100_000)}\n\n` + req('full@example.org', 5000), 4);
  assert.deepEqual(a, ['action=DUNNO', 'action=DUNNO', 'action=DUNNO', 'action=552 5.2.2 Mailbox is full']);
});

test('configured answers: unknown user refused, fail-closed on lookup errors', async () => {
  const broken = new MemoryDirectory({});
  broken.resolve = async () => { throw new Error('LDAP down'); };
  const s2 = new QuotaStatusServer({
    directory: broken, mailHome: () => root, recipientDelimiter: '+', logger: pino({ level: 'silent' }),
    answers: { ...DEFAULT_ANSWERS, nouser: '550 5.1.1 User unknown', fail: 'DEFER_IF_PERMIT Temporary internal error' },
  });
  const p2 = await s2.listen({ host: '127.0.0.1', port: 0 });
  const sock = net.connect(p2, '127.0.0.1');
  const got = await new Promise<string>((r) => { let b = ''; sock.on('data', (d) => { b += d; if (b.endsWith('\n\n')) r(b); }); sock.write(req('x@example.org')); });
  assert.equal(got, 'action=DEFER_IF_PERMIT Temporary internal error\n\n');
  sock.destroy();
  await s2.close();
  const s3 = new QuotaStatusServer({
    directory, mailHome: () => root, recipientDelimiter: '+', logger: pino({ level: 'silent' }),
    answers: { ...DEFAULT_ANSWERS, nouser: '550 5.1.1 User unknown' },
  });
  const p3 = await s3.listen({ host: '127.0.0.1', port: 0 });
  const sock3 = net.connect(p3, '127.0.0.1');
  const got3 = await new Promise<string>((r) => { let b = ''; sock3.on('data', (d) => { b += d; if (b.endsWith('\n\n')) r(b); }); sock3.write(req('nobody@example.org')); });
  assert.equal(got3, 'action=550 5.1.1 User unknown\n\n');
  sock3.destroy();
  await s3.close();
});

test('real Postfix with check_policy_service: over-quota recipient refused at RCPT TO with our 552, a normal one accepted (swaks)', async () => {
  let pf: PostfixInstance | null = null;
  try {
    pf = await startPostfix({
      recipients: ['over@example.org', 'half@example.org'],
      // No mail is delivered (swaks quits after RCPT); the transport only has to be a valid one.
      main: { smtpd_recipient_restrictions: `reject_unauth_destination, check_policy_service inet:127.0.0.1:${port}`, virtual_transport: 'lmtp:inet:127.0.0.1:1' },
    });
    const send = async (to: string) => {
      const r = await swaks(['--server', `127.0.0.1:${pf!.smtpPort}`, '--from', 's@example.net', '--to', to, '--quit-after', 'RCPT', '--timeout', '10']);
      return { code: r.code, out: r.stdout + r.stderr };
    };
    // Postfix sends size=0 at RCPT unless the client announced SIZE=: the mailbox itself is over its limit.
    const full = await send('over@example.org');
    assert.notEqual(full.code, 0, full.out);
    assert.match(full.out, /<\*\*\s+552 5\.2\.2 <over@example\.org>: Recipient address rejected: Mailbox is full/);
    const ok = await send('half@example.org');
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /<-\s+250 2\.1\.5 Ok/);
  } finally {
    await pf?.close();
  }
});
