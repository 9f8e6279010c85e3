// Real Postfix from Debian (private instance on loopback) with smtpd_sasl_type = dovecot pointing
// at our auth service, and swaks as the SMTP client (issue 3: "Proven with real Postfix").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startPostfix, swaks, type PostfixInstance } from '../../testing/src/postfix.js';
import { startTestAuthService, type TestAuthService } from './testing.js';

let svc: TestAuthService;
let pf: PostfixInstance;
let tcpSmtp: number;

before(async () => {
  // The auth service first: smtpd without its SASL server exits and master throttles it.
  svc = await startTestAuthService();
  tcpSmtp = await freePort();
  pf = await startPostfix({
    recipients: ['alice@example.org', 'bob@example.org'],
    main: {
      smtpd_sasl_auth_enable: 'yes',
      smtpd_sasl_type: 'dovecot',
      smtpd_sasl_path: svc.socketPath,
      // Relaying out needs SASL (mynetworks empty), so RCPT to another domain shows whether AUTH took effect.
      mynetworks: '',
      smtpd_relay_restrictions: 'permit_sasl_authenticated, reject_unauth_destination',
      default_transport: 'discard:test',
    },
    masterLines: [`127.0.0.1:${tcpSmtp} inet  n       -      n      -      -       smtpd -o smtpd_sasl_path=inet:127.0.0.1:${svc.port}`],
  });
});

after(async () => {
  await pf?.close();
  await svc?.close();
});

const auth = (port: number, mech: 'PLAIN' | 'LOGIN', user: string, pw: string, quitAfter = 'AUTH') => swaks([
  '--server', `127.0.0.1:${port}`, '--auth', mech, '--auth-user', user, '--auth-password', pw,
  '--from', 'sender@example.net', '--to', 'someone@example.net', '--quit-after', quitAfter, '--timeout', '20',
]);

test('swaks --auth PLAIN and LOGIN with a valid user: 235 over the UNIX socket and the TCP port', async () => {
  for (const port of [pf.smtpPort, tcpSmtp]) {
    for (const mech of ['PLAIN', 'LOGIN'] as const) {
      const r = await auth(port, mech, 'alice@example.org', 'alicepw');
      assert.equal(r.code, 0, `${mech} on ${port}: ${r.stdout}\n${pf.log().slice(-1500)}`);
      assert.match(r.stdout, /^<-\s+235 /m, `${mech} on ${port}`);
    }
  }
});

test('swaks with a bad password or an unknown user: 535', async () => {
  for (const [mech, user, pw] of [['PLAIN', 'alice@example.org', 'wrong'], ['LOGIN', 'alice@example.org', 'wrong'], ['PLAIN', 'ghost@example.org', 'alicepw'], ['PLAIN', 'dis@example.org', 'dispw']] as const) {
    const r = await auth(tcpSmtp, mech, user, pw);
    assert.notEqual(r.code, 0, `${mech} ${user}`);
    assert.match(r.stdout, /^<\*\*\s+535 5\.7\.8 /m, `${mech} ${user}: ${r.stdout}`);
  }
});

test('Postfix acts on the result: relaying allowed after AUTH, refused without it', async () => {
  const ok = await auth(pf.smtpPort, 'PLAIN', 'bob@example.org', 'bobpw', 'RCPT');
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /RCPT TO:<someone@example\.net>\s+<-\s+250 /);
  const anon = await swaks(['--server', `127.0.0.1:${pf.smtpPort}`, '--from', 'x@example.net', '--to', 'someone@example.net', '--quit-after', 'RCPT', '--timeout', '20']);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stdout, /^<\*\*\s+554 5\.7\.1/m);
  await pf.waitForLog(/sasl_method=PLAIN, sasl_username=bob@example\.org|sasl_username=bob@example\.org/);
});

// Last: it takes the directory away for good.
test('directory unavailable: a temporary failure (454 4.7.0), never a wrong-password 535', async () => {
  await svc.directory.close();
  const r = await auth(pf.smtpPort, 'PLAIN', 'alice@example.org', 'alicepw');
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /^<\*\*\s+454 4\.7\.0 /m, r.stdout);
});
