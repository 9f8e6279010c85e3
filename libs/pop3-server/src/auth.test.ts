/** AUTHORIZATION state over real sockets: CAPA, USER/PASS, AUTH (RFC 5034), STLS (RFC 2595), APOP, response codes (RFC 2449/3206). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Pop3Client, startHarness, userRecord, type Harness } from './testing.js';

let h: Harness;
let strict: Harness;
before(async () => {
  h = await startHarness({}, { apopSecret: async (login) => (login === 'alice@example.org' ? { user: userRecord(login), secret: 'alicepw' } : null) });
  strict = await startHarness({ allowPlaintextAuth: false });
});
after(async () => { await h.close(); await strict.close(); });

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('RFC 1939 §4 greeting and RFC 2449 CAPA before login', async () => {
  const c = await Pop3Client.connect(h.port);
  assert.match(await c.line(), /^\+OK .*<[0-9a-f]+\.\d+@pop3\.test>$/);
  const [first, caps] = await c.multi('CAPA');
  assert.match(first, /^\+OK/);
  for (const k of ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE', 'USER', 'SASL PLAIN LOGIN', 'STLS']) assert.ok(caps.includes(k), `missing ${k}: ${caps.join(',')}`);
  assert.match(await c.cmd('STAT'), /^-ERR/);
  assert.match(await c.cmd('QUIT'), /^\+OK/);
  assert.ok(await c.closedByServer());
});

test('USER/PASS: right password logs in; wrong one gets -ERR [AUTH]; CAPA after login has no USER/STLS', async () => {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  assert.equal(await c.cmd('USER alice@example.org'), '+OK');
  assert.equal(await c.cmd('PASS wrong'), '-ERR [AUTH] Authentication failed.');
  assert.match(await c.cmd('PASS alicepw'), /^-ERR No username/);
  await c.cmd('USER alice@example.org');
  assert.equal(await c.cmd('PASS alicepw'), '+OK Logged in.');
  const [, caps] = await c.multi('CAPA');
  assert.ok(!caps.includes('USER') && !caps.includes('STLS'));
  assert.match(await c.cmd('USER x'), /^-ERR/);
  c.close();
});

test('three failed logins close the connection', async () => {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  for (let i = 0; i < 3; i++) { await c.cmd('USER bob@example.org'); assert.match(await c.cmd('PASS nope'), /^-ERR \[AUTH\]/); }
  assert.ok(await c.closedByServer());
});

test('RFC 3206 [SYS/TEMP] when the directory is down', async () => {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  h.directory.fail = true;
  try {
    await c.cmd('USER alice@example.org');
    assert.match(await c.cmd('PASS alicepw'), /^-ERR \[SYS\/TEMP\] /);
  } finally { h.directory.fail = false; }
  c.close();
});

test('RFC 5034 AUTH: mechanism list, PLAIN with initial response, PLAIN and LOGIN with continuations, "*" cancels', async () => {
  let c = await Pop3Client.connect(h.port);
  await c.line();
  const [first, mechs] = await c.multi('AUTH');
  assert.match(first, /^\+OK/);
  assert.deepEqual(mechs, ['PLAIN', 'LOGIN']);
  assert.match(await c.cmd('AUTH PLAIN ' + b64('\0alice@example.org\0wrong')), /^-ERR \[AUTH\]/);
  assert.match(await c.cmd('AUTH PLAIN'), /^\+ $/);
  assert.match(await c.cmd('*'), /^-ERR/);
  assert.match(await c.cmd('AUTH PLAIN not-base64!'), /^-ERR/);
  assert.match(await c.cmd('AUTH XOAUTH9'), /^-ERR/);
  assert.equal(await c.cmd('AUTH PLAIN ' + b64('\0alice@example.org\0alicepw')), '+OK Logged in.');
  c.close();

  c = await Pop3Client.connect(h.port);
  await c.line();
  assert.match(await c.cmd('AUTH PLAIN'), /^\+ /);
  assert.equal(await c.cmd(b64('\0bob@example.org\0bobpw')), '+OK Logged in.');
  c.close();

  c = await Pop3Client.connect(h.port);
  await c.line();
  assert.equal(await c.cmd('AUTH LOGIN'), `+ ${b64('Username:')}`);
  assert.equal(await c.cmd(b64('bob@example.org')), `+ ${b64('Password:')}`);
  assert.equal(await c.cmd(b64('bobpw')), '+OK Logged in.');
  c.close();
});

test('RFC 1939 §7 APOP with a plaintext-equivalent secret', async () => {
  const c = await Pop3Client.connect(h.port);
  const ts = /<[^>]+>/.exec(await c.line())![0];
  const digest = (pw: string) => createHash('md5').update(ts + pw).digest('hex');
  assert.match(await c.cmd(`APOP alice@example.org ${digest('bad')}`), /^-ERR \[AUTH\]/);
  assert.match(await c.cmd(`APOP bob@example.org ${digest('bobpw')}`), /^-ERR \[AUTH\]/); // no plaintext secret for bob
  assert.match(await c.cmd('APOP alice@example.org xyz'), /^-ERR/);
  assert.equal(await c.cmd(`APOP alice@example.org ${digest('alicepw')}`), '+OK Logged in.');
  c.close();
  // Without a secret lookup: no timestamp, APOP refused.
  const s = await Pop3Client.connect(strict.port);
  assert.doesNotMatch(await s.line(), /</);
  assert.match(await s.cmd('APOP alice@example.org 0123456789abcdef0123456789abcdef'), /^-ERR/);
  s.close();
});

test('plaintext refused before TLS; RFC 2595 STLS upgrades and then USER/PASS works', async () => {
  const c = await Pop3Client.connect(strict.port);
  await c.line();
  const [, caps] = await c.multi('CAPA');
  assert.ok(caps.includes('STLS') && !caps.includes('USER') && !caps.some((x) => x.startsWith('SASL')));
  assert.match(await c.cmd('USER alice@example.org'), /^-ERR \[AUTH\] Plaintext authentication disallowed/);
  assert.match(await c.cmd('AUTH PLAIN ' + b64('\0alice@example.org\0alicepw')), /^-ERR \[AUTH\] Plaintext/);
  assert.match(await c.cmd('STLS'), /^\+OK/);
  await c.startTls();
  const [, caps2] = await c.multi('CAPA');
  assert.ok(!caps2.includes('STLS') && caps2.includes('USER') && caps2.includes('SASL PLAIN LOGIN'));
  assert.match(await c.cmd('STLS'), /^-ERR/);
  await c.cmd('USER alice@example.org');
  assert.equal(await c.cmd('PASS alicepw'), '+OK Logged in.');
  c.close();
});

test('STLS: commands pipelined behind STLS in plaintext are discarded (CVE-2011-0411 class)', async () => {
  const c = await Pop3Client.connect(strict.port);
  await c.line();
  c.send('STLS\r\nCAPA\r\n');
  assert.match(await c.line(), /^\+OK Begin TLS/);
  await c.startTls();
  assert.equal(await c.cmd('NOOP'), '-ERR Unknown command.'); // NOOP is a TRANSACTION command; the old CAPA was never answered
  c.close();
});

test('implicit TLS (995-style) port: login with USER/PASS', async () => {
  const c = await Pop3Client.connect(strict.tlsPort, true);
  assert.match(await c.line(), /^\+OK/);
  const [, caps] = await c.multi('CAPA');
  assert.ok(!caps.includes('STLS') && caps.includes('USER'));
  await c.cmd('USER alice@example.org');
  assert.equal(await c.cmd('PASS alicepw'), '+OK Logged in.');
  assert.match(await c.cmd('QUIT'), /^\+OK/);
});
