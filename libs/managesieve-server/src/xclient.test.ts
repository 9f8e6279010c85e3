/**
 * XCLIENT (Dovecot managesieve-login extension) over real sockets: the XCLIENT capability and command
 * only for sasl.trustedNetworks; the named client is what the session registry records; logged-in
 * sessions are registered (who) and kicked (BYE) through it; UNAUTHENTICATE leaves the registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { directoryAuthenticator } from '../../dovecot-auth/src/directory-authenticator.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { MemoryDirectory } from '../../testing/src/directory.js';
import { RawClient, startHarness, type Harness } from './testing.js';

let h: Harness;
const registry = new MemoryRegistry('sieve-xclient.test');

before(async () => {
  const directory = new MemoryDirectory({ 'alice@example.org': { password: 'alicepw' }, 'bob@example.org': { password: 'bobpw' } });
  // Only 127.0.0.1 is a "proxy"; 127.0.0.2 is an ordinary client. Plaintext is allowed for both (test config).
  const sasl = directoryAuthenticator(directory, { allowPlaintext: true, trustedNetworks: ['127.0.0.1/32'], masterSeparator: '*', masterUsers: {}, masterNetworks: [] });
  h = await startHarness({ allowPlaintextAuth: true }, false, { sasl, registry, directory });
});
after(async () => { await h.close(); });

async function from(local: string): Promise<{ c: RawClient; caps: string[] }> {
  const sock = net.connect({ host: '127.0.0.1', port: h.port, localAddress: local });
  await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
  const c = new RawClient(sock);
  return { c, caps: await c.response() };
}

const waitSessions = async (n: number) => {
  for (let i = 0; i < 100 && registry.localCount() !== n; i++) await new Promise((r) => setTimeout(r, 20));
  return registry.list();
};

test('trusted peer: XCLIENT capability; XCLIENT ADDR/PORT/SESSION/TTL -> OK "Updated"; the registry records the named client', async () => {
  const { c, caps } = await from('127.0.0.1');
  assert.ok(caps.includes('"XCLIENT"'), caps.join('\n'));
  assert.deepEqual(await c.cmd('XCLIENT ADDR=192.0.2.7 PORT=4711 SESSION=proxy-sess-1 TTL=4'), ['OK "Updated"']);
  assert.match((await c.login('alice@example.org', 'alicepw')).at(-1)!, /^OK/);
  // After login the capability list has no XCLIENT and the command is refused (pre-login only).
  assert.ok(!(await c.cmd('CAPABILITY')).includes('"XCLIENT"'));
  assert.match((await c.cmd('XCLIENT ADDR=192.0.2.8')).at(-1)!, /^NO "Already authenticated\."/);
  const s = await waitSessions(1);
  assert.deepEqual(s.map((x) => [x.service, x.user, x.ip, x.port]), [['sieve', 'alice@example.org', '192.0.2.7', 4711]]);
  // UNAUTHENTICATE leaves the registry; a new login registers again.
  assert.match((await c.cmd('UNAUTHENTICATE')).at(-1)!, /^OK/);
  await waitSessions(0);
  assert.match((await c.login('bob@example.org', 'bobpw')).at(-1)!, /^OK/);
  assert.equal((await waitSessions(1))[0]?.user, 'bob@example.org');
  // kick (mailctl kick) closes the session with BYE.
  assert.equal((await registry.kick({ userMask: 'bob@*' })).kicked, 1);
  assert.match(await c.line(), /^BYE "Disconnected by administrator\."/);
  await waitSessions(0);
  c.close();
});

test('trusted peer, bad parameters: NO and nothing changes', async () => {
  const { c } = await from('127.0.0.1');
  for (const bad of ['ADDR=999.1.1.1', 'PORT=0', 'TTL=x', '"ADDR=192.0.2.1"']) {
    assert.deepEqual(await c.cmd(`XCLIENT ${bad}`), ['NO "Error in MANAGESIEVE command received by server."'], bad);
  }
  assert.match((await c.login('alice@example.org', 'alicepw')).at(-1)!, /^OK/);
  assert.equal((await waitSessions(1))[0]?.ip, '127.0.0.1');
  c.close();
  await waitSessions(0);
});

test('untrusted peer: no XCLIENT capability; XCLIENT refused with NO "You are not from trusted IP"', async () => {
  const { c, caps } = await from('127.0.0.2');
  assert.ok(!caps.includes('"XCLIENT"'), caps.join('\n'));
  assert.deepEqual(await c.cmd('XCLIENT ADDR=192.0.2.7 PORT=4711'), ['NO "You are not from trusted IP"']);
  assert.match((await c.login('alice@example.org', 'alicepw')).at(-1)!, /^OK/);
  assert.equal((await waitSessions(1))[0]?.ip, '127.0.0.2');
  c.close();
  await waitSessions(0);
});
