import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readlink, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, RawClient, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

async function loggedIn(): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  await c.response();
  await c.starttls(h.cert);
  const r = await c.login('alice@example.org', 'alicepw');
  assert.equal(r.at(-1), 'OK "Logged in."');
  return c;
}

test('RFC 5804 §1.7 greeting lists capabilities; SASL is empty and STARTTLS offered before TLS', async () => {
  const c = await RawClient.connect(h.port);
  const g = await c.response();
  assert.ok(g.includes('"IMPLEMENTATION" "Test ManageSieve"'));
  assert.ok(g.includes('"SASL" ""'));
  assert.ok(g.includes('"STARTTLS"'));
  assert.ok(g.includes('"VERSION" "1.0"'));
  assert.ok(g.includes('"MAXREDIRECTS" "4"'));
  assert.ok(g.includes('"NOTIFY" "mailto"'));
  assert.match(g.find((l) => l.startsWith('"SIEVE"'))!, /fileinto.*vacation/);
  assert.match(g.at(-1)!, /^OK/);
  // Plaintext AUTHENTICATE before TLS is refused with ENCRYPT-NEEDED.
  assert.match((await c.login('alice@example.org', 'alicepw')).at(-1)!, /^NO \(ENCRYPT-NEEDED\)/);
  // RFC 5804 §2.2: after STARTTLS the capabilities come again, without STARTTLS, with SASL mechanisms.
  const caps = await c.starttls(h.cert);
  assert.ok(caps.includes('"SASL" "PLAIN LOGIN"'));
  assert.ok(!caps.includes('"STARTTLS"'));
  c.close();
});

test('wrong password: NO after the delay; commands before login are refused', async () => {
  const c = await RawClient.connect(h.port);
  await c.response();
  await c.starttls(h.cert);
  assert.match((await c.cmd('LISTSCRIPTS')).at(-1)!, /^NO "Authenticate first/);
  const t0 = Date.now();
  assert.equal((await c.login('alice@example.org', 'nope')).at(-1), 'NO "Authentication failed."');
  assert.ok(Date.now() - t0 >= 250);
  c.close();
});

test('AUTHENTICATE LOGIN with continuation strings, and "*" aborts (RFC 5804 §2.1)', async () => {
  const c = await RawClient.connect(h.port);
  await c.response();
  await c.starttls(h.cert);
  c.send('AUTHENTICATE "LOGIN"\r\n');
  assert.match(await c.line(), /^"/);
  c.send('*\r\n');
  assert.match(await c.line(), /^NO "Authentication aborted/);
  c.send('AUTHENTICATE "LOGIN"\r\n');
  await c.line();
  c.send(`"${Buffer.from('bob@example.org').toString('base64')}"\r\n`);
  await c.line();
  c.send(`{${Buffer.from('bobpw').toString('base64').length}+}\r\n${Buffer.from('bobpw').toString('base64')}\r\n`);
  assert.equal(await c.line(), 'OK "Logged in."');
  const caps = await c.cmd('CAPABILITY');
  assert.ok(caps.includes('"OWNER" "bob@example.org"'));
  c.close();
});

test('PUTSCRIPT / LISTSCRIPTS / SETACTIVE / GETSCRIPT / RENAMESCRIPT / DELETESCRIPT with the UCS layout', async () => {
  const c = await loggedIn();
  const script = 'require "fileinto";\r\nif header :contains "subject" "x" { fileinto "X"; }\r\n';
  assert.equal((await c.cmd(`PUTSCRIPT "one" {${Buffer.byteLength(script)}+}\r\n${script}`)).at(-1), 'OK "Putscript completed."');
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['"one"', 'OK "Listscripts completed."']);
  assert.match((await c.cmd('SETACTIVE "one"')).at(-1)!, /^OK/);
  const home = h.home('alice@example.org');
  assert.equal(await readlink(join(home, '.dovecot.sieve')), 'sieve/one.sieve');
  assert.equal(await readFile(join(home, 'sieve', 'one.sieve'), 'utf8'), script);
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['"one" ACTIVE', 'OK "Listscripts completed."']);
  const g = await c.cmd('GETSCRIPT "one"');
  assert.equal(g[0], `{${Buffer.byteLength(script)}}\n${script}`);
  assert.equal(g.at(-1), 'OK "Getscript completed."');
  // RFC 5804 §2.10: the active script cannot be deleted.
  assert.equal((await c.cmd('DELETESCRIPT "one"')).at(-1), 'NO (ACTIVE) "You may not delete an active script."');
  // §2.11.1: renaming keeps it active, and the link follows.
  assert.match((await c.cmd('RENAMESCRIPT "one" "two"')).at(-1)!, /^OK/);
  assert.equal(await readlink(join(home, '.dovecot.sieve')), 'sieve/two.sieve');
  assert.match((await c.cmd('PUTSCRIPT "three" "keep;"')).at(-1)!, /^OK/);
  assert.match((await c.cmd('RENAMESCRIPT "three" "two"')).at(-1)!, /^NO \(ALREADYEXISTS\)/);
  assert.match((await c.cmd('GETSCRIPT "nope"')).at(-1)!, /^NO \(NONEXISTENT\)/);
  assert.match((await c.cmd('SETACTIVE "nope"')).at(-1)!, /^NO \(NONEXISTENT\)/);
  // §2.8: SETACTIVE "" deactivates.
  assert.match((await c.cmd('SETACTIVE ""')).at(-1)!, /^OK/);
  await assert.rejects(readlink(join(home, '.dovecot.sieve')));
  assert.match((await c.cmd('DELETESCRIPT "two"')).at(-1)!, /^OK/);
  assert.match((await c.cmd('DELETESCRIPT "three"')).at(-1)!, /^OK/);
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['OK "Listscripts completed."']);
  c.close();
});

test('an invalid script is refused with the parser line and column; CHECKSCRIPT says the same', async () => {
  const c = await loggedIn();
  const bad = 'keep;\r\nInvalidSieveCommand;\r\n';
  const r = (await c.cmd(`PUTSCRIPT "bad" {${bad.length}+}\r\n${bad}`)).at(-1)!;
  assert.match(r, /^NO "line 2, column 1: /);
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['OK "Listscripts completed."']);
  assert.match((await c.cmd(`CHECKSCRIPT {${bad.length}+}\r\n${bad}`)).at(-1)!, /^NO "line 2, column 1: /);
  assert.equal((await c.cmd('CHECKSCRIPT "keep;"')).at(-1), 'OK "Script is valid."');
  c.close();
});

test('limits: HAVESPACE, script count and size quota, oversized literal skipped, bad names', async () => {
  const c = await loggedIn();
  assert.match((await c.cmd('HAVESPACE "x" 100')).at(-1)!, /^OK/);
  assert.match((await c.cmd('HAVESPACE "x" 100000')).at(-1)!, /^NO \(QUOTA\/MAXSIZE\)/);
  for (let i = 0; i < 5; i++) assert.match((await c.cmd(`PUTSCRIPT "s${i}" "keep;"`)).at(-1)!, /^OK/);
  assert.match((await c.cmd('PUTSCRIPT "s5" "keep;"')).at(-1)!, /^NO \(QUOTA\/MAXSCRIPTS\)/);
  assert.match((await c.cmd('HAVESPACE "s6" 10')).at(-1)!, /^NO \(QUOTA\/MAXSCRIPTS\)/);
  // Replacing an existing script is not a new one.
  assert.match((await c.cmd('PUTSCRIPT "s4" "discard;"')).at(-1)!, /^OK/);
  // A literal above the script size limit is skipped without being stored, and the session goes on.
  const big = `# ${'x'.repeat(20_000)}\r\nkeep;\r\n`;
  assert.match((await c.cmd(`PUTSCRIPT "s4" {${big.length}+}\r\n${big}`)).at(-1)!, /^NO \(QUOTA\/MAXSIZE\)/);
  assert.match((await c.cmd('NOOP "t1"')).at(-1)!, /^OK \(TAG "t1"\)/);
  assert.match((await c.cmd('PUTSCRIPT "a/b" "keep;"')).at(-1)!, /^NO "Invalid script name/);
  assert.match((await c.cmd('PUTSCRIPT ".hidden" "keep;"')).at(-1)!, /^NO "Invalid script name/);
  assert.match((await c.cmd('PUTSCRIPT {3+}\r\na\nb "keep;"')).at(-1)!, /^NO "Invalid script name/);
  for (let i = 0; i < 5; i++) await c.cmd(`DELETESCRIPT "s${i}"`);
  c.close();
});

test('garbage gets NO, too many bad commands get BYE; UNAUTHENTICATE and LOGOUT', async () => {
  const c = await loggedIn();
  assert.match((await c.cmd('FROBNICATE')).at(-1)!, /^NO "Unknown command/);
  assert.match((await c.cmd('GETSCRIPT unquoted')).at(-1)!, /^NO "Error in command/);
  assert.match((await c.cmd('PUTSCRIPT "x"')).at(-1)!, /^NO "Wrong arguments/);
  assert.match((await c.cmd('HAVESPACE "x" "y"')).at(-1)!, /^NO "Wrong arguments/);
  assert.match((await c.cmd('UNAUTHENTICATE')).at(-1)!, /^OK/);
  assert.match((await c.cmd('LISTSCRIPTS')).at(-1)!, /^NO "Authenticate first/);
  assert.match((await c.cmd('LOGOUT')).at(-1)!, /^OK "Logout completed/);
  const d = await RawClient.connect(h.port);
  await d.response();
  let last = '';
  for (let i = 0; i < 25 && !/^BYE/.test(last); i++) last = (await d.cmd('XYZZY')).at(-1)!;
  assert.match(last, /^BYE "Too many invalid commands/);
  d.close();
});

test('users see only their own scripts', async () => {
  const a = await loggedIn();
  assert.match((await a.cmd('PUTSCRIPT "mine" "keep;"')).at(-1)!, /^OK/);
  const b = await RawClient.connect(h.port);
  await b.response();
  await b.starttls(h.cert);
  await b.login('bob@example.org', 'bobpw');
  assert.deepEqual(await b.cmd('LISTSCRIPTS'), ['OK "Listscripts completed."']);
  assert.match((await b.cmd('GETSCRIPT "mine"')).at(-1)!, /^NO \(NONEXISTENT\)/);
  await a.cmd('DELETESCRIPT "mine"');
  a.close();
  b.close();
});

test('an idle client is dropped with BYE; a closed server says BYE to open sessions', async () => {
  const h2 = await startHarness({ idleTimeoutMs: 300 });
  try {
    const c = await RawClient.connect(h2.port);
    await c.response();
    assert.match(await c.line(), /^BYE "Disconnected for inactivity/);
    const d = await RawClient.connect(h2.port);
    await d.response();
    const closing = h2.server.close();
    assert.match(await d.line(), /^BYE "Server shutting down/);
    await closing;
  } finally {
    await h2.close();
  }
});

test('allowPlaintextAuth: mechanisms offered and login accepted without TLS; no STARTTLS without a certificate', async () => {
  const h3 = await startHarness({ allowPlaintextAuth: true }, false);
  try {
    const c = await RawClient.connect(h3.port);
    const g = await c.response();
    assert.ok(g.includes('"SASL" "PLAIN LOGIN"'));
    assert.ok(!g.includes('"STARTTLS"'));
    assert.match((await c.cmd('STARTTLS')).at(-1)!, /^NO/);
    assert.equal((await c.login('alice@example.org', 'alicepw')).at(-1), 'OK "Logged in."');
    assert.match((await c.cmd('AUTHENTICATE "PLAIN"')).at(-1)!, /^NO "Already authenticated/);
    c.close();
  } finally {
    await h3.close();
  }
});
