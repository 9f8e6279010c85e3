/** The shared SASL policy (libs/sasl SaslAuthenticator) in POP3: master users for the proxies, trusted networks. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SaslAuthenticator } from '../../sasl/src/index.js';
import { Pop3Client, TestDirectory, message, startHarness, type Harness } from './testing.js';

let h: Harness;
const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  const sasl = new SaslAuthenticator(new TestDirectory(), {
    allowPlaintext: false, trustedNetworks: ['127.0.0.0/8'], masterSeparator: '*',
    masterUsers: { proxy: '{PLAIN}masterpw' }, masterNetworks: ['127.0.0.1/32'],
  }, async (pw, stored) => stored === `{PLAIN}${pw}`);
  h = await startHarness({ allowPlaintextAuth: false }, { sasl });
  await h.deliver('bob@example.org', message('for bob'));
});
after(async () => { await h.close(); });

test('trusted network: plaintext USER/PASS allowed without TLS (Dovecot login_trusted_networks)', async () => {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  const [, caps] = await c.multi('CAPA');
  assert.ok(caps.includes('USER'));
  await c.cmd('USER alice@example.org');
  assert.equal(await c.cmd('PASS alicepw'), '+OK Logged in.');
  c.close();
});

test('master user: "user*master" with USER/PASS and PLAIN authzid log in as the user; a wrong master password fails', async () => {
  let c = await Pop3Client.connect(h.port);
  await c.line();
  await c.cmd('USER bob@example.org*proxy');
  assert.equal(await c.cmd('PASS masterpw'), '+OK Logged in.');
  assert.match(await c.cmd('STAT'), /^\+OK 1 /);
  c.close();
  c = await Pop3Client.connect(h.port);
  await c.line();
  assert.equal(await c.cmd('AUTH PLAIN ' + b64('bob@example.org\0proxy\0masterpw')), '+OK Logged in.');
  c.close();
  c = await Pop3Client.connect(h.port);
  await c.line();
  await c.cmd('USER bob@example.org*proxy');
  assert.match(await c.cmd('PASS wrong'), /^-ERR \[AUTH\]/);
  c.close();
});
