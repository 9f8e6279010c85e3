/**
 * The node serves POP3 end to end: config section pop3 → listeners in the banner, a message put in
 * by the deliver command is read and deleted over implicit TLS and over STLS, and plaintext USER
 * is refused by default.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeliver, startService, type Service } from './testing.js';
import { Pop3Client } from '../../libs/pop3-server/src/testing.js';

let dir: string;
let svc: Service;
let env: NodeJS.ProcessEnv;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'node-pop3-'));
  env = {
    MAIL_NODE__DATADIR: join(dir, 'data'), MAIL_NODE__HOSTNAME: 'e2e.test', MAIL_STORAGE__FSYNC: 'false',
    MAIL_IMAP__HOST: '127.0.0.1', MAIL_IMAP__PORT: '0', MAIL_IMAP__TLSPORT: 'null', MAIL_HTTP__PORT: 'null',
    MAIL_POP3__HOST: '127.0.0.1', MAIL_POP3__PORT: '0', MAIL_POP3__TLSPORT: '0', MAIL_POP3__WORKAROUNDS: 'oe-ns-eoh',
    MAIL_MANAGESIEVE__PORT: 'null', MAIL_QUOTASTATUS__PORT: 'null', MAIL_LMTP__SOCKET: 'false', MAIL_LOG__LEVEL: 'warn',
  };
});
after(() => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('pop3 section: listeners, deliver → RETR over implicit TLS and STLS, DELE+QUIT expunges', async () => {
  svc = startService([], env);
  const pw = (await svc.waitFor(/^created .* with sample user demo@example\.org, password (\S+)$/m))[1]!;
  const pop3 = Number((await svc.waitFor(/^listening pop3 127\.0\.0\.1:(\d+)$/m))[1]);
  const pop3s = Number((await svc.waitFor(/^listening pop3s 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/ready/);
  const d = await runDeliver(['-d', 'demo@example.org'], 'Subject: via deliver\n\n.hello\n', env);
  assert.equal(d.code, 0, d.stderr);
  const d2 = await runDeliver(['-d', 'demo@example.org'], 'Subject: header only\n', env);
  assert.equal(d2.code, 0, d2.stderr);

  const c = await Pop3Client.connect(pop3s, true);
  assert.match(await c.line(), /^\+OK/);
  await c.cmd('USER demo@example.org');
  assert.equal(await c.cmd(`PASS ${pw}`), '+OK Logged in.');
  assert.match(await c.cmd('STAT'), /^\+OK 2 \d+$/);
  const [, body] = await c.multi('RETR 1');
  assert.ok(body.includes('Subject: via deliver') && body.includes('..hello'), body.join('|'));
  const [, body2] = await c.multi('RETR 2');
  assert.equal(body2[body2.length - 1], '', 'oe-ns-eoh adds the missing empty line');
  assert.match(await c.cmd('DELE 1'), /^\+OK/);
  assert.match(await c.cmd('QUIT'), /^\+OK Logging out, messages deleted/);

  const p = await Pop3Client.connect(pop3);
  await p.line();
  assert.match(await p.cmd('USER demo@example.org'), /^-ERR \[AUTH\] Plaintext/);
  assert.match(await p.cmd('STLS'), /^\+OK/);
  await p.startTls();
  await p.cmd('USER demo@example.org');
  assert.equal(await p.cmd(`PASS ${pw}`), '+OK Logged in.');
  assert.match(await p.cmd('STAT'), /^\+OK 1 \d+$/);
  await p.cmd('QUIT');
  assert.ok(readFileSync(join(dir, 'data', 'tls', 'cert.pem'), 'utf8').includes('BEGIN CERTIFICATE'));
  svc.child.kill('SIGTERM');
  assert.equal(await svc.exited, 0, svc.stderr());
});
