import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LIMITS } from '../../core/src/limits.js';
import { RawAuthClient, startTestAuthService, b64, MASTER_PASSWORD, type TestAuthService } from './testing.js';

let svc: TestAuthService;
before(async () => { svc = await startTestAuthService(); });
after(async () => { await svc.close(); });

const ENDPOINTS = () => [['unix', { path: svc.socketPath }], ['tcp', { port: svc.port }]] as const;
const open = async (to: { path: string } | { port: number }) => { const c = await RawAuthClient.connect(to); await c.handshake(); return c; };

test('handshake: VERSION 1.x, MECH PLAIN/LOGIN plaintext, SPID, CUID, COOKIE, DONE (Dovecot auth protocol)', async () => {
  for (const [, to] of ENDPOINTS()) {
    const c = await RawAuthClient.connect(to);
    const hs = await c.handshake();
    assert.deepEqual(hs.map((l) => l.type), ['VERSION', 'MECH', 'MECH', 'SPID', 'CUID', 'COOKIE', 'DONE']);
    assert.deepEqual(hs[0], { type: 'VERSION', major: 1, minor: 2 });
    assert.deepEqual(hs[1], { type: 'MECH', name: 'PLAIN', flags: ['plaintext'] });
    assert.deepEqual(hs[2], { type: 'MECH', name: 'LOGIN', flags: ['plaintext'] });
    assert.equal((hs[3] as { pid: string }).pid, String(process.pid));
    c.end();
  }
});

test('AUTH PLAIN with initial response: OK user=, wrong password FAIL, over UNIX socket and TCP', async () => {
  for (const [name, to] of ENDPOINTS()) {
    const c = await open(to);
    c.send(`AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
    assert.deepEqual(await c.next(), { type: 'OK', id: 1, params: [{ key: 'user', value: 'alice@example.org' }] }, name);
    c.send(`AUTH\t2\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0wrong')}\n`);
    const f = await c.next();
    assert.equal(f?.type, 'FAIL', name);
    assert.equal(f?.type === 'FAIL' && f.id, 2);
    // Unknown user: the same answer.
    c.send(`AUTH\t3\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('\0ghost@example.org\0alicepw')}\n`);
    assert.equal((await c.next())?.type, 'FAIL');
    // A SHA512-CRYPT user and an alias login.
    c.send(`AUTH\t4\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('\0bob@example.org\0bobpw')}\n`);
    assert.deepEqual(await c.next(), { type: 'OK', id: 4, params: [{ key: 'user', value: 'bob@example.org' }] });
    c.end();
  }
});

test('AUTH PLAIN without initial response: empty CONT, then the client CONT', async () => {
  const c = await open({ path: svc.socketPath });
  c.send('AUTH\t7\tPLAIN\tservice=smtp\trip=127.0.0.1\n');
  assert.deepEqual(await c.next(), { type: 'CONT', id: 7, data: '' });
  c.send(`CONT\t7\t${b64('\0alice@example.org\0alicepw')}\n`);
  assert.deepEqual(await c.next(), { type: 'OK', id: 7, params: [{ key: 'user', value: 'alice@example.org' }] });
  c.end();
});

test('AUTH LOGIN: Username:/Password: CONT flow, success and failure', async () => {
  const c = await open({ port: svc.port });
  c.send('AUTH\t1\tLOGIN\tservice=smtp\trip=127.0.0.1\n');
  assert.deepEqual(await c.next(), { type: 'CONT', id: 1, data: b64('Username:') });
  c.send(`CONT\t1\t${b64('alice@example.org')}\n`);
  assert.deepEqual(await c.next(), { type: 'CONT', id: 1, data: b64('Password:') });
  c.send(`CONT\t1\t${b64('alicepw')}\n`);
  assert.deepEqual(await c.next(), { type: 'OK', id: 1, params: [{ key: 'user', value: 'alice@example.org' }] });
  c.send(`AUTH\t2\tLOGIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('alice@example.org')}\n`);
  assert.deepEqual(await c.next(), { type: 'CONT', id: 2, data: b64('Password:') });
  c.send(`CONT\t2\t${b64('nope')}\n`);
  assert.equal((await c.next())?.type, 'FAIL');
  c.end();
});

test('a disabled user cannot log in', async () => {
  const c = await open({ port: svc.port });
  c.send(`AUTH\t1\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('\0dis@example.org\0dispw')}\n`);
  assert.equal((await c.next())?.type, 'FAIL');
  c.end();
});

test('plaintext mechanisms: refused from an untrusted rip without secured, allowed with secured (TLS)', async () => {
  const c = await open({ port: svc.port });
  c.send(`AUTH\t1\tPLAIN\tservice=smtp\trip=198.51.100.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
  const f = await c.next();
  assert.equal(f?.type, 'FAIL');
  assert.match(JSON.stringify(f), /Plaintext authentication disallowed/);
  c.send(`AUTH\t2\tPLAIN\tservice=smtp\trip=198.51.100.1\tsecured\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
  assert.equal((await c.next())?.type, 'OK');
  c.send(`AUTH\t3\tLOGIN\tservice=smtp\n`);
  assert.equal((await c.next())?.type, 'FAIL', 'no rip and not secured: refused');
  c.end();
});

test('master user: allowed from the master network, refused from others, never as a nonexistent user', async () => {
  const c = await open({ path: svc.socketPath });
  c.send(`AUTH\t1\tPLAIN\tservice=imap\trip=127.0.0.2\tresp=${b64(`\0alice@example.org*proxy\0${MASTER_PASSWORD}`)}\n`);
  assert.deepEqual(await c.next(), { type: 'OK', id: 1, params: [{ key: 'user', value: 'alice@example.org' }] });
  c.send(`AUTH\t2\tPLAIN\tservice=imap\trip=127.0.0.2\tresp=${b64(`bob@example.org\0proxy\0${MASTER_PASSWORD}`)}\n`);
  assert.deepEqual(await c.next(), { type: 'OK', id: 2, params: [{ key: 'user', value: 'bob@example.org' }] });
  c.send(`AUTH\t3\tPLAIN\tservice=imap\trip=127.0.0.1\tresp=${b64(`\0alice@example.org*proxy\0${MASTER_PASSWORD}`)}\n`);
  assert.equal((await c.next())?.type, 'FAIL', 'from a trusted but non-master network');
  c.send(`AUTH\t4\tPLAIN\tservice=imap\trip=127.0.0.2\tresp=${b64(`\0ghost@example.org*proxy\0${MASTER_PASSWORD}`)}\n`);
  assert.equal((await c.next())?.type, 'FAIL', 'nonexistent target user');
  c.send(`AUTH\t5\tPLAIN\tservice=imap\trip=127.0.0.2\tresp=${b64('\0alice@example.org*proxy\0alicepw')}\n`);
  assert.equal((await c.next())?.type, 'FAIL', 'user password is not the master password');
  c.end();
});

test('malformed AUTH/CONT get FAIL for their id and the connection stays usable', async () => {
  const c = await open({ port: svc.port });
  const bad = [
    'AUTH\t1\tCRAM-MD5\tservice=smtp\trip=127.0.0.1', // unsupported mechanism
    'AUTH\t2\tPLAIN\trip=127.0.0.1\tresp=***',         // bad base64
    'AUTH\t3\tPL AIN',                                // bad mechanism name
    'CONT\t4\tAAAA',                                  // unknown id
    `AUTH\t5\tPLAIN\trip=127.0.0.1\tresp=${b64('just-garbage')}`, // not a PLAIN message
  ];
  for (const [i, l] of bad.entries()) {
    c.send(`${l}\n`);
    const r = await c.next();
    assert.equal(r?.type, 'FAIL', l);
    assert.equal(r?.type === 'FAIL' && r.id, i + 1, l);
  }
  c.send(`AUTH\t6\tPLAIN\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
  assert.equal((await c.next())?.type, 'OK');
  c.end();
});

test('unreadable lines, AUTH before VERSION, bad VERSION, duplicate ids and over-long lines close the connection cleanly', async () => {
  for (const input of [
    'BOGUS\n', '\u0000\n', 'AUTH\tx\tPLAIN\n', 'VERSION\t2\t0\n',
  ]) {
    const c = await open({ port: svc.port });
    c.send(input);
    assert.ok(await c.closed(), JSON.stringify(input));
  }
  const early = await RawAuthClient.connect({ port: svc.port });
  early.send(`AUTH\t1\tPLAIN\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
  const seen: string[] = [];
  for (let l = await early.line(); l !== null; l = await early.line()) seen.push(l);
  assert.ok(!seen.some((l) => l.startsWith('OK')), 'no OK before VERSION');
  const dup = await open({ port: svc.port });
  dup.send('AUTH\t1\tLOGIN\trip=127.0.0.1\nAUTH\t1\tLOGIN\trip=127.0.0.1\n');
  assert.deepEqual(await dup.next(), { type: 'CONT', id: 1, data: b64('Username:') });
  assert.ok(await dup.closed());
  const long = await open({ port: svc.port });
  long.send('A'.repeat(LIMITS.dovecotAuthMaxLineLength + 10));
  assert.ok(await long.closed());
});

test('random garbage never crashes the server (fast-check over a real socket)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('VERSION\t1\t2', 'CPID\t1', 'AUTH\t1\tPLAIN\trip=127.0.0.1', 'CONT\t1\tAA==', 'AUTH\t1\tLOGIN\tresp=')), { maxLength: 8 }),
    async (lines) => {
      const c = await RawAuthClient.connect({ port: svc.port });
      c.send(lines.map((l) => `${l}\n`).join(''));
      await new Promise((r) => setTimeout(r, 5));
      c.end();
    },
  ), { numRuns: 60 });
  const c = await open({ port: svc.port });
  c.send(`AUTH\t1\tPLAIN\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
  assert.equal((await c.next())?.type, 'OK', 'still serving after the garbage');
  c.end();
});

test('directory unavailable: the connection is closed (Postfix answers 454 4.7.0), never a FAIL that reads as a wrong password', async () => {
  const down = await startTestAuthService();
  try {
    await down.directory.close();
    const c = await open({ port: down.port });
    c.send(`AUTH\t1\tPLAIN\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
    const seen: string[] = [];
    for (let l = await c.line(); l !== null; l = await c.line()) seen.push(l);
    assert.deepEqual(seen, []);
  } finally {
    await down.close();
  }
});
