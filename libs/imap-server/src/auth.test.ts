import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawClient, type Harness } from './testing.js';

let h: Harness;       // plaintext auth allowed
let strict: Harness;  // plaintext auth refused before TLS (the default)
before(async () => {
  h = await startHarness();
  strict = await startHarness({ allowPlaintextAuth: false });
});
after(async () => { await h.close(); await strict.close(); });

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('greeting carries CAPABILITY (RFC 3501 §7.1.1) and hostname', async () => {
  const c = await RawClient.connect(h.port);
  const g = await c.line();
  assert.match(g, /^\* OK \[CAPABILITY IMAP4rev1 .*\] imap\.test ready\.$/);
  assert.ok(g.includes(' STARTTLS'));
  assert.ok(g.includes(' AUTH=PLAIN'));
  c.close();
});

test('LOGINDISABLED and PRIVACYREQUIRED before STARTTLS (RFC 3501 §6.2.3, §7.2.1)', async () => {
  const c = await RawClient.connect(strict.port);
  const g = await c.line();
  assert.ok(g.includes('LOGINDISABLED'));
  assert.ok(!g.includes('AUTH=PLAIN'));
  const r = await c.cmd('a', 'LOGIN alice@example.org alicepw');
  assert.match(r.at(-1)!, /^a NO \[PRIVACYREQUIRED\]/);
  const r2 = await c.cmd('b', 'AUTHENTICATE PLAIN ' + b64('\0alice@example.org\0alicepw'));
  assert.match(r2.at(-1)!, /^b NO \[PRIVACYREQUIRED\]/);
  // After STARTTLS the same login works and capabilities change.
  assert.deepEqual(await c.cmd('c', 'STARTTLS'), ['c OK Begin TLS negotiation now.']);
  await c.startTls();
  const caps = await c.cmd('d', 'CAPABILITY');
  assert.ok(!caps[0]!.includes('LOGINDISABLED'));
  assert.ok(!caps[0]!.includes('STARTTLS'));
  assert.ok(caps[0]!.includes('AUTH=PLAIN'));
  const r3 = await c.cmd('e', 'LOGIN alice@example.org alicepw');
  assert.match(r3.at(-1)!, /^e OK \[CAPABILITY IMAP4rev1 .*\] Logged in$/);
  c.close();
});

test('STARTTLS discards pipelined plaintext commands (RFC 3501 §6.2.1, command injection)', async () => {
  const c = await RawClient.connect(strict.port);
  await c.line();
  c.send('a STARTTLS\r\nb CAPABILITY\r\nc LOGOUT\r\n');
  assert.equal(await c.line(), 'a OK Begin TLS negotiation now.');
  await c.startTls();
  // The injected "b" and "c" must not be answered inside TLS.
  const r = await c.cmd('d', 'NOOP');
  assert.deepEqual(r, ['d OK NOOP completed']);
  c.close();
});

test('implicit TLS port works and offers AUTH without STARTTLS', async () => {
  const c = await RawClient.connect(strict.tlsPort, true);
  const g = await c.line();
  assert.ok(!g.includes('STARTTLS'));
  assert.ok(g.includes('AUTH=PLAIN'));
  const r = await c.cmd('a', 'LOGIN alice@example.org alicepw');
  assert.match(r.at(-1)!, /^a OK/);
  c.close();
});

test('failed LOGIN: same answer for unknown user and wrong password ([AUTHENTICATIONFAILED], RFC 5530)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  const t0 = Date.now();
  const r1 = await c.cmd('a', 'LOGIN nobody@example.org x');
  const t1 = Date.now();
  const r2 = await c.cmd('b', 'LOGIN alice@example.org wrong');
  const t2 = Date.now();
  assert.equal(r1.at(-1)!.slice(2), r2.at(-1)!.slice(2));
  assert.match(r1.at(-1)!, /^a NO \[AUTHENTICATIONFAILED\] /);
  assert.ok(t1 - t0 >= 250 && t2 - t1 >= 250, 'failure delay applied to both');
  c.close();
});

test('directory down gives [UNAVAILABLE] (RFC 5530)', async () => {
  const hh = await startHarness();
  hh.directory.fail = true;
  const c = await RawClient.connect(hh.port);
  await c.line();
  const r = await c.cmd('a', 'LOGIN alice@example.org alicepw');
  assert.match(r.at(-1)!, /^a NO \[UNAVAILABLE\]/);
  c.close();
  await hh.close();
});

test('AUTHENTICATE PLAIN with SASL-IR (RFC 4959) and with continuation (RFC 3501 §6.2.2)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  const r = await c.cmd('a', 'AUTHENTICATE PLAIN ' + b64('\0alice@example.org\0alicepw'));
  assert.match(r.at(-1)!, /^a OK \[CAPABILITY /);
  c.close();
  const d = await RawClient.connect(h.port);
  await d.line();
  d.send('b AUTHENTICATE PLAIN\r\n');
  assert.equal(await d.line(), '+ ');
  d.send(b64('\0bob@example.org\0bobpw') + '\r\n');
  assert.match(await d.line(), /^b OK /);
  d.close();
});

test('AUTHENTICATE LOGIN dialogue and "*" cancel (RFC 3501 §6.2.2)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  c.send('a AUTHENTICATE LOGIN\r\n');
  assert.equal(await c.line(), '+ ' + b64('Username:'));
  c.send(b64('alice@example.org') + '\r\n');
  assert.equal(await c.line(), '+ ' + b64('Password:'));
  c.send('*\r\n');
  assert.match(await c.line(), /^a BAD /);
  c.send('b AUTHENTICATE LOGIN ' + b64('alice@example.org') + '\r\n');
  assert.equal(await c.line(), '+ ' + b64('Password:'));
  c.send(b64('alicepw') + '\r\n');
  assert.match(await c.line(), /^b OK /);
  c.close();
});

test('AUTHENTICATE: unknown mechanism NO, bad base64 BAD, wrong password AUTHENTICATIONFAILED', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await c.cmd('a', 'AUTHENTICATE CRAM-MD5')).at(-1)!, /^a NO /);
  assert.match((await c.cmd('b', 'AUTHENTICATE PLAIN !!!')).at(-1)!, /^b BAD /);
  assert.match((await c.cmd('c', 'AUTHENTICATE PLAIN ' + b64('\0alice@example.org\0nope'))).at(-1)!, /^c NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await c.cmd('d', 'AUTHENTICATE PLAIN ' + b64('bob@example.org\0alice@example.org\0alicepw'))).at(-1)!, /^d NO \[AUTHENTICATIONFAILED\]/);
  c.close();
});

test('commands in the wrong state get BAD (RFC 3501 §6)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.match((await c.cmd('a', 'SELECT INBOX')).at(-1)!, /^a BAD /);
  assert.match((await c.cmd('b', 'FETCH 1 FLAGS')).at(-1)!, /^b BAD /);
  await c.cmd('c', 'LOGIN alice@example.org alicepw');
  assert.match((await c.cmd('d', 'LOGIN alice@example.org alicepw')).at(-1)!, /^d BAD /);
  assert.match((await c.cmd('e', 'FETCH 1 FLAGS')).at(-1)!, /^e BAD /);
  assert.match((await c.cmd('f', 'STARTTLS')).at(-1)!, /^f BAD /);
  c.close();
});

test('syntax errors: BAD with a reason; too many bad commands end in BYE', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  const r = await c.cmd('a', 'FROBNICATE');
  assert.match(r.at(-1)!, /^a BAD \S+/);
  for (let i = 0; i < 18; i++) await c.cmd('x' + i, 'NOSUCH');
  c.send('y NOSUCH\r\n');
  assert.match(await c.line(), /^y BAD/);
  assert.match(await c.line(), /^\* BYE /);
  c.close();
});

test('a line over the limit gets BYE and the connection closes', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  c.send('a NOOP ' + 'x'.repeat(70 * 1024) + '\r\n');
  const l = await c.line();
  assert.match(l, /BAD|BYE/);
  c.close();
});

test('synchronising literal larger than APPENDLIMIT is refused with [TOOBIG] (RFC 7889)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  await c.cmd('l', 'LOGIN alice@example.org alicepw');
  c.send(`a APPEND INBOX {${20 * 1024 * 1024}}\r\n`);
  assert.match(await c.line(), /^a NO \[TOOBIG\]/);
  assert.deepEqual(await c.cmd('b', 'NOOP'), ['b OK NOOP completed']);
  c.close();
});

test('LOGOUT sends BYE then tagged OK and closes (RFC 3501 §6.1.3)', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  assert.deepEqual(await c.cmd('a', 'LOGOUT'), ['* BYE Logging out', 'a OK Logout completed.']);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.closed, true);
});

test('maxUserIpConnections refuses extra logins with [LIMIT]', async () => {
  const hh = await startHarness({ maxUserIpConnections: 1 });
  const a = await RawClient.connect(hh.port); await a.line();
  assert.match((await a.cmd('a', 'LOGIN alice@example.org alicepw')).at(-1)!, /^a OK/);
  const b = await RawClient.connect(hh.port); await b.line();
  assert.match((await b.cmd('b', 'LOGIN alice@example.org alicepw')).at(-1)!, /^b NO \[LIMIT\]/);
  a.close(); b.close();
  await hh.close();
});

test('server close sends BYE to sessions and connections() counts them', async () => {
  const hh = await startHarness();
  const a = await RawClient.connect(hh.port); await a.line();
  assert.equal(hh.server.connections(), 1);
  const closing = hh.close();
  assert.match(await a.line(), /^\* BYE /);
  await closing;
  assert.equal(hh.server.connections(), 0);
});
