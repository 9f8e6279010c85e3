/**
 * The Dovecot-compatible auth service for Postfix on a proxy node (issue 6: "The SASL auth service for
 * Postfix ... also run[s] on proxies"): a proxy process with the `sasl` section as on a mail node (the
 * UNIX socket at its default <dataDir>/auth-client.sock and a TCP port), a real Postfix with
 * smtpd_sasl_type = dovecot pointing at each, and swaks as the SMTP client.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPostfix, swaks, type PostfixInstance } from '../../libs/testing/src/postfix.js';
import { USERS, startProc, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-sasl-'));
// Postfix's smtpd (user postfix) must reach the socket under the proxy's data dir.
chmodSync(dir, 0o755);
let proxy: Proc;
let pf: PostfixInstance;
let tcpSmtp = 0;
const socket = join(dir, 'proxy-sasl', 'auth-client.sock');

before(async () => {
  writeUsers(dir);
  // No backend is contacted here: AUTH for Postfix is answered from the proxy's own directory.
  const cfg = writeProxyConfig(dir, 'proxy-sasl', { 'site-a.test': await freePort() });
  const text = readFileSync(cfg, 'utf8');
  const old = 'sasl: { port: null, socket: false, trustedNetworks: [127.0.0.0/8] }';
  assert.ok(text.includes(old));
  writeFileSync(cfg, text.replace(old, 'sasl: { host: 127.0.0.1, port: 0, trustedNetworks: [127.0.0.0/8] }'));
  proxy = startProc('proxy', cfg);
  await proxy.waitFor(/^proxy node proxy-sasl ready/m);
  assert.ok(existsSync(socket), `no auth socket at ${socket}\n${proxy.out()}`);
  // The auth service first: smtpd without its SASL server exits and master throttles it.
  tcpSmtp = await freePort();
  pf = await startPostfix({
    recipients: [USERS.alice.user, USERS.bob.user],
    main: {
      smtpd_sasl_auth_enable: 'yes', smtpd_sasl_type: 'dovecot', smtpd_sasl_path: socket,
      mynetworks: '', smtpd_relay_restrictions: 'permit_sasl_authenticated, reject_unauth_destination', default_transport: 'discard:test',
    },
    masterLines: [`127.0.0.1:${tcpSmtp} inet  n       -      n      -      -       smtpd -o smtpd_sasl_path=inet:127.0.0.1:${proxy.port('sasl')}`],
  });
});

after(async () => {
  await pf?.close();
  await proxy?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const auth = (port: number, user: string, pw: string) => swaks([
  '--server', `127.0.0.1:${port}`, '--auth', 'PLAIN', '--auth-user', user, '--auth-password', pw,
  '--from', 'sender@example.net', '--to', 'someone@example.net', '--quit-after', 'AUTH', '--timeout', '20',
]);

test('Postfix with smtpd_sasl_type = dovecot on the proxy\'s auth socket and TCP port: AUTH PLAIN 235 for a user, 535 for a bad password', async () => {
  assert.match(proxy.out(), /^listening sasl 127\.0\.0\.1:\d+$/m);
  for (const port of [pf.smtpPort, tcpSmtp]) {
    for (const u of [USERS.alice, USERS.bob]) {
      const ok = await auth(port, u.user, u.password);
      assert.equal(ok.code, 0, `${u.user} on ${port}: ${ok.stdout}\n${pf.log().slice(-1500)}`);
      assert.match(ok.stdout, /^<-\s+235 /m);
    }
    for (const [user, pw] of [[USERS.alice.user, 'wrong'], ['ghost@example.org', 'x']]) {
      const bad = await auth(port, user!, pw!);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stdout, /^<\*\*\s+535 5\.7\.8 /m, `${user} on ${port}: ${bad.stdout}`);
    }
  }
  await pf.waitForLog(/sasl_username=alice@example\.org/);
});

test('the auth socket is removed when the proxy stops', async () => {
  await pf.close();
  await proxy.stop();
  assert.ok(!existsSync(socket));
});
