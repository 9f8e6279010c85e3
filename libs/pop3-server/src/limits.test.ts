/** Limits, timeouts and hostile input over real sockets: a clear -ERR, never a crash, never a message lost. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Pop3Client, loggedIn, message, startHarness, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness({ idleTimeoutMs: 400, maxUserIpConnections: 2 }); });
after(async () => { await h.close(); });

test('RFC 1939 §3 autologout: idle clients are dropped with -ERR, and nothing DELE\'d is expunged', async () => {
  await h.deliver('alice@example.org', message('keep me'));
  const pre = await Pop3Client.connect(h.port);
  await pre.line();
  assert.equal(await pre.line(2000), '-ERR Disconnected for inactivity.');
  assert.ok(await pre.closedByServer());
  const c = await loggedIn(h);
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  assert.equal(await c.line(2000), '-ERR Disconnected for inactivity.');
  assert.ok(await c.closedByServer());
  await new Promise((r) => setTimeout(r, 50));
  const again = await loggedIn(h);
  assert.match(await again.cmd('STAT'), /^\+OK 1 /);
  again.close();
});

test('mail_max_userip_connections: the third session from one IP gets -ERR [IN-USE]', async () => {
  const a = await loggedIn(h, 'bob@example.org');
  const b = await loggedIn(h, 'bob@example.org');
  const c = await Pop3Client.connect(h.port);
  await c.line();
  await c.cmd('USER bob@example.org');
  assert.match(await c.cmd('PASS bobpw'), /^-ERR \[IN-USE\] /);
  a.close(); b.close(); c.close();
});

test('hostile input: random bytes, NULs, huge lines, bad base64 in AUTH: answers or closes, server stays up', async () => {
  const payloads = [
    randomBytes(4096), Buffer.alloc(100_000, 0), Buffer.from('USER \0\0\0\r\nPASS \xff\xfe\r\n', 'latin1'),
    Buffer.from('AUTH PLAIN\r\n' + '@'.repeat(9000) + '\r\n'), Buffer.from('AUTH LOGIN\r\n====\r\n'),
    Buffer.from('TOP 1 99999999999999999999\r\nLIST 99999999999999999999999\r\n'), Buffer.from('\r\n'.repeat(100)),
  ];
  for (const p of payloads) {
    const c = await Pop3Client.connect(h.port);
    await c.line();
    c.send(p);
    c.send('QUIT\r\n');
    await c.closedByServer(3000);
    c.close();
  }
  const ok = await Pop3Client.connect(h.port);
  assert.match(await ok.line(), /^\+OK/);
  const [first] = await ok.multi('CAPA');
  assert.match(first, /^\+OK/);
  ok.close();
});
