// The node starts the Dovecot-compatible auth service from the `sasl` section (TCP and the UNIX
// socket under dataDir) and gives IMAP the same policy (trusted networks, master users).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { RawAuthClient, b64 } from '../../libs/dovecot-auth/src/testing.js';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { startService } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mailnode-sasl-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'users.yaml'), `users:
  alice@example.org:
    password: "${hashPassword('alicepw')}"
`);
writeFileSync(join(dir, 'mailnode.yaml'), `node: { hostname: sasl.test, dataDir: data }
directory: { path: users.yaml }
storage: { fsync: false }
imap: { host: 127.0.0.1, port: 0, tlsPort: null }
pop3: { host: 127.0.0.1, port: null, tlsPort: null }
lmtp: { port: null, socket: false }
managesieve: { port: null }
quotaStatus: { port: null }
http: { port: null }
sasl:
  host: 127.0.0.1
  port: 0
  trustedNetworks: [127.0.0.0/8]
  masterUsers: { proxy: "${hashPassword('masterpw')}" }
  masterNetworks: [127.0.0.1/32]
`);

test('mailnode serves the auth protocol on sasl.port and <dataDir>/auth-client.sock; IMAP takes master logins from masterNetworks', async () => {
  const svc = startService(['--config', join(dir, 'mailnode.yaml')]);
  try {
    await svc.waitFor(/^mail node sasl\.test ready/m);
    const listening = (name: string) => Number(new RegExp(`^listening ${name} 127\\.0\\.0\\.1:(\\d+)$`, 'm').exec(svc.stdout())?.[1]);
    const port = listening('sasl');
    const imapPort = listening('imap');
    assert.ok(port > 0 && imapPort > 0, svc.stdout());
    const sock = join(dir, 'data', 'auth-client.sock');
    for (const to of [{ port }, { path: sock }]) {
      const c = await RawAuthClient.connect(to);
      await c.handshake();
      c.send(`AUTH\t1\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('\0alice@example.org\0alicepw')}\n`);
      assert.deepEqual(await c.next(), { type: 'OK', id: 1, params: [{ key: 'user', value: 'alice@example.org' }] });
      c.send(`AUTH\t2\tPLAIN\tservice=smtp\trip=127.0.0.1\tresp=${b64('\0alice@example.org*proxy\0masterpw')}\n`);
      assert.deepEqual(await c.next(), { type: 'OK', id: 2, params: [{ key: 'user', value: 'alice@example.org' }] });
      c.send(`AUTH\t3\tPLAIN\tservice=smtp\trip=127.0.0.9\tresp=${b64('\0alice@example.org*proxy\0masterpw')}\n`);
      assert.equal((await c.next())?.type, 'FAIL', 'master login from outside masterNetworks');
      c.end();
    }
    const imap = await RawClient.connect(imapPort);
    assert.doesNotMatch(await imap.line(), /LOGINDISABLED/, '127.0.0.1 is in sasl.trustedNetworks');
    assert.match((await imap.cmd('a', 'LOGIN "alice@example.org*proxy" masterpw')).at(-1)!, /^a OK /);
    imap.close();
  } finally {
    svc.child.kill('SIGTERM');
    await svc.exited;
  }
  assert.ok(!existsSync(join(dir, 'data', 'auth-client.sock')), 'the socket is removed on stop');
});

test('sasl config: defaults, octal socketMode, and bad networks or master hashes are refused with their key', async () => {
  const { loadConfig } = await import('../../libs/config/src/load.js');
  const env = { isRoot: false, hostname: 'h' };
  const d = loadConfig(null, {}, { cwd: dir, environment: env });
  assert.deepEqual(d.errors, []);
  assert.equal(d.config!.sasl.socket, join(dir, 'data', 'auth-client.sock'));
  assert.equal(d.config!.sasl.port, null);
  assert.equal(d.config!.sasl.socketMode, 0o666);
  assert.deepEqual(d.config!.sasl.masterNetworks, []);
  const ok = loadConfig(null, { MAIL_SASL__SOCKETMODE: '"0660"', MAIL_SASL__SOCKET: 'false', MAIL_SASL__TRUSTEDNETWORKS: '10.0.0.0/8, ::1' }, { cwd: dir, environment: env });
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.config!.sasl.socketMode, 0o660);
  assert.equal(ok.config!.sasl.socket, null);
  assert.deepEqual(ok.config!.sasl.trustedNetworks, ['10.0.0.0/8', '::1']);
  const bad = loadConfig(null, { MAIL_SASL__MASTERNETWORKS: '[10.0.0.0/99]', MAIL_SASL__MASTERUSERS__PROXY: 'cleartext' }, { cwd: dir, environment: env });
  assert.equal(bad.config, null);
  assert.ok(bad.errors.some((e) => e.startsWith('sasl.masterNetworks')), bad.errors.join('\n'));
  assert.ok(bad.errors.some((e) => /^sasl\.masterUsers\.proxy /i.test(e)), bad.errors.join('\n'));
});
