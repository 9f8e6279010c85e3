// The POP3 login proxy end to end: two backend mail nodes with POP3, a proxy process with IMAP and POP3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { USERS, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-pop3-'));
const procs: Proc[] = [];
let siteB: Proc;
let proxy: Proc;
let pop3A = 0;
let pop3Port = 0;

before(async () => {
  writeUsers(dir);
  const siteA = startProc('mail', writeBackendConfig(dir, 'site-a.test', 0, { pop3: 0 }));
  siteB = startProc('mail', writeBackendConfig(dir, 'site-b.test', 0, { pop3: 0 }));
  procs.push(siteA, siteB);
  await Promise.all([siteA.waitFor(/ready/), siteB.waitFor(/ready/)]);
  pop3A = siteA.port('pop3');
  proxy = startProc('proxy', writeProxyConfig(dir, 'proxy1', { 'site-a.test': siteA.port('imap'), 'site-b.test': siteB.port('imap') }, '',
    { pop3Backends: { 'site-a.test': pop3A, 'site-b.test': siteB.port('pop3') } }));
  procs.push(proxy);
  await proxy.waitFor(/^proxy node proxy1 ready/m);
  pop3Port = proxy.port('pop3');
  for (const [u, subject] of [[USERS.alice, 'alice mail'], [USERS.bob, 'bob mail'], [USERS.bob, 'bob mail 2']] as const) {
    const c = new ImapFlow({ host: '127.0.0.1', port: proxy.port('imap'), secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: u.user, pass: u.password }, logger: false });
    await c.connect();
    await c.append('INBOX', `From: t@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`);
    await c.logout();
  }
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

async function pop(port: number): Promise<RawClient & { cmd1(line: string): Promise<string> }> {
  const c = await RawClient.connect(port) as RawClient & { cmd1(line: string): Promise<string> };
  assert.match(await c.line(), /^\+OK /);
  c.cmd1 = async (line: string) => { c.send(`${line}\r\n`); return c.line(); };
  return c;
}

async function multi(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) { const l = await c.line(); if (l === '.') return out; out.push(l); }
}

test('POP3 through the proxy reaches the home backend: bob sees his two messages, alice her one', async () => {
  const b = await pop(pop3Port);
  assert.equal(await b.cmd1(`USER ${USERS.bob.user}`), '+OK');
  assert.match(await b.cmd1(`PASS ${USERS.bob.password}`), /^\+OK Logged in/);
  assert.match(await b.cmd1('STAT'), /^\+OK 2 \d+$/);
  assert.match(await b.cmd1('RETR 2'), /^\+OK/);
  assert.match((await multi(b)).join('\n'), /Subject: bob mail 2/);
  assert.match(await b.cmd1('QUIT'), /^\+OK/);
  const a = await pop(pop3Port);
  // Pipelined behind PASS (RFC 2449 PIPELINING): relayed to the backend.
  a.send(`USER ${USERS.alice.user}\r\nPASS ${USERS.alice.password}\r\nSTAT\r\nQUIT\r\n`);
  assert.equal(await a.line(), '+OK');
  assert.match(await a.line(), /^\+OK Logged in/);
  assert.match(await a.line(), /^\+OK 1 \d+$/);
  assert.match(await a.line(), /^\+OK/);
});

test('POP3 CAPA before login matches the backend\'s; wrong password gets -ERR [AUTH]; AUTH PLAIN works', async () => {
  const p = await pop(pop3Port);
  const d = await pop(pop3A);
  assert.match(await p.cmd1('CAPA'), /^\+OK/);
  assert.match(await d.cmd1('CAPA'), /^\+OK/);
  assert.deepEqual((await multi(p)).sort(), (await multi(d)).sort());
  d.close();
  assert.equal(await p.cmd1(`USER ${USERS.alice.user}`), '+OK');
  assert.equal(await p.cmd1('PASS wrong'), '-ERR [AUTH] Authentication failed.');
  assert.equal(await p.cmd1('USER nobody@example.org'), '+OK');
  assert.equal(await p.cmd1('PASS wrong'), '-ERR [AUTH] Authentication failed.');
  assert.match(await p.cmd1(`AUTH PLAIN ${Buffer.from(`\0${USERS.alice.user}\0${USERS.alice.password}`).toString('base64')}`), /^\+OK Logged in/);
  assert.match(await p.cmd1('STAT'), /^\+OK 1 /);
  p.close();
});

test('POP3 STLS through the proxy, then login over TLS', async () => {
  const p = await pop(pop3Port);
  p.send('STLS\r\nUSER injected\r\n');
  assert.match(await p.line(), /^\+OK Begin TLS/);
  await p.startTls();
  assert.equal(await p.cmd1(`USER ${USERS.bob.user}`), '+OK');
  assert.match(await p.cmd1(`PASS ${USERS.bob.password}`), /^\+OK Logged in/);
  assert.match(await p.cmd1('STAT'), /^\+OK 2 /);
  p.close();
});

test('POP3 backend down: -ERR [SYS/TEMP]', async () => {
  await siteB.stop('SIGKILL');
  const p = await pop(pop3Port);
  assert.equal(await p.cmd1(`USER ${USERS.bob.user}`), '+OK');
  assert.match(await p.cmd1(`PASS ${USERS.bob.password}`), /^-ERR \[SYS\/TEMP\] /);
  p.close();
});
