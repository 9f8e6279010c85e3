/**
 * XCLIENT (Dovecot pop3-login extension) over real sockets: offered in the greeting and accepted only
 * from sasl.trustedNetworks; the named client is what the session registry records (who, user+IP limit);
 * bad parameters and untrusted peers get Dovecot's answers and change nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SaslAuthenticator } from '../../sasl/src/index.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { Pop3Client, TestDirectory, startHarness, type Harness } from './testing.js';

let h: Harness;
const registry = new MemoryRegistry('pop3-xclient.test');

before(async () => {
  // Only 127.0.0.1 is a "proxy"; 127.0.0.2 is an ordinary client.
  const sasl = new SaslAuthenticator(new TestDirectory(), {
    allowPlaintext: false, trustedNetworks: ['127.0.0.1/32'], masterSeparator: '*', masterUsers: {}, masterNetworks: [],
  }, async (pw, stored) => stored === `{PLAIN}${pw}`);
  h = await startHarness({ allowPlaintextAuth: true, maxUserIpConnections: 1 }, { sasl, registry });
});
after(async () => { await h.close(); });

async function from(local: string): Promise<Pop3Client> {
  const sock = net.connect({ host: '127.0.0.1', port: h.port, localAddress: local });
  await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
  return new Pop3Client(sock);
}

const waitSessions = async (n: number) => {
  for (let i = 0; i < 100 && registry.localCount() !== n; i++) await new Promise((r) => setTimeout(r, 20));
  return registry.list();
};

test('trusted peer: "+OK [XCLIENT]" greeting; XCLIENT ADDR/PORT/SESSION/TTL -> "+OK Updated"; the registry records the named client', async () => {
  const c = await from('127.0.0.1');
  assert.match(await c.line(), /^\+OK \[XCLIENT\] POP3 ready\./);
  assert.equal(await c.cmd('xclient ADDR=192.0.2.7 PORT=4711 SESSION=proxy-sess-1 TTL=4 FORWARD=e30='), '+OK Updated');
  await c.cmd('USER alice@example.org');
  assert.equal(await c.cmd('PASS alicepw'), '+OK Logged in.');
  const s = (await waitSessions(1)).find((x) => x.service === 'pop3');
  assert.equal(s?.ip, '192.0.2.7');
  assert.equal(s?.port, 4711);
  // The user+IP limit counts the named client: a second session of alice from another client address is fine.
  const d = await from('127.0.0.1');
  await d.line();
  assert.equal(await d.cmd('XCLIENT ADDR=2001:db8::9 PORT=1'), '+OK Updated');
  await d.cmd('USER alice@example.org');
  assert.equal(await d.cmd('PASS alicepw'), '+OK Logged in.');
  assert.deepEqual((await waitSessions(2)).map((x) => x.ip).sort(), ['192.0.2.7', '2001:db8::9']);
  // XCLIENT is a pre-login command.
  assert.equal(await d.cmd('XCLIENT ADDR=192.0.2.8'), '-ERR Command not valid in this state.');
  c.close();
  d.close();
  await waitSessions(0);
});

test('trusted peer, bad parameters: "-ERR Invalid parameters" and nothing changes', async () => {
  const c = await from('127.0.0.1');
  await c.line();
  for (const bad of ['ADDR=999.1.1.1', 'ADDR=example.org', 'PORT=0', 'PORT=65536', 'PORT=x', 'TTL=-1', 'ADDR=192.0.2.1 PORT=70000']) {
    assert.equal(await c.cmd(`XCLIENT ${bad}`), '-ERR Invalid parameters', bad);
  }
  // A session id over 64 characters is ignored (as Dovecot does), not an error.
  assert.equal(await c.cmd(`XCLIENT SESSION=${'x'.repeat(65)}`), '+OK Updated');
  await c.cmd('USER bob@example.org');
  assert.equal(await c.cmd('PASS bobpw'), '+OK Logged in.');
  assert.equal((await waitSessions(1))[0]?.ip, '127.0.0.1');
  c.close();
  await waitSessions(0);
});

test('untrusted peer: no [XCLIENT] in the greeting, XCLIENT ignored ("+OK You are not from trusted IP - ignoring")', async () => {
  const c = await from('127.0.0.2');
  assert.equal(await c.line(), '+OK POP3 ready.');
  assert.equal(await c.cmd('XCLIENT ADDR=192.0.2.7 PORT=4711'), '+OK You are not from trusted IP - ignoring');
  await c.cmd('USER bob@example.org');
  assert.equal(await c.cmd('PASS bobpw'), '+OK Logged in.');
  const s = (await waitSessions(1))[0];
  assert.equal(s?.ip, '127.0.0.2');
  c.close();
  await waitSessions(0);
});
