// The backend side of the proxy contract (libs/imap-server ID handling): x-originating-ip counts only
// from sasl.trustedNetworks, and only before login; it is then the client's address for the user+IP
// limit and the session registry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ImapServer } from '../../imap-server/src/server.js';
import { RawClient, TestDirectory } from '../../imap-server/src/testing.js';
import { MaildirStore } from '../../maildir/src/index.js';
import { MemoryRegistry } from '../../registry/src/index.js';
import { SaslAuthenticator } from '../../sasl/src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'backend-origin-'));
const servers: ImapServer[] = [];
const stores: MaildirStore[] = [];
after(async () => { for (const s of servers) await s.close(); for (const s of stores) await s.close(); rmSync(dir, { recursive: true, force: true }); });

async function backend(trusted: string[]): Promise<{ port: number; registry: MemoryRegistry }> {
  const directory = new TestDirectory();
  const store = new MaildirStore({ hostname: 'test.host', fsync: false });
  stores.push(store);
  const registry = new MemoryRegistry('backend');
  const sasl = new SaslAuthenticator(directory, { allowPlaintext: false, trustedNetworks: trusted, masterSeparator: '*', masterUsers: {}, masterNetworks: [] }, async () => false);
  const server = new ImapServer({
    store, directory, registry, sasl, logger: pino({ level: 'silent' }), metrics: new Registry(), tls: null,
    config: {
      hostname: 'b.test', allowPlaintextAuth: true, mailHome: (u) => join(dir, u.user), autoMailboxes: {}, specialUse: {},
      maxMessageSize: 1024 * 1024, idleTimeoutMs: 30 * 60_000, maxUserIpConnections: 1,
    },
  });
  servers.push(server);
  return { port: await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false }), registry };
}

async function loginFrom(port: number, origin: string): Promise<string> {
  const c = await RawClient.connect(port);
  await c.line();
  await c.cmd('i', `ID ("x-originating-ip" "${origin}" "x-originating-port" "4711" "x-session-id" "s1")`);
  return (await c.cmd('l', 'LOGIN alice@example.org alicepw')).at(-1)!;
}

test('from a trusted proxy: each x-originating-ip is its own user+IP slot and is what the registry records', async () => {
  const { port, registry } = await backend(['127.0.0.0/8']);
  assert.match(await loginFrom(port, '192.0.2.1'), /^l OK /);
  assert.match(await loginFrom(port, '192.0.2.2'), /^l OK /, 'another client address: its own slot');
  assert.match(await loginFrom(port, '192.0.2.1'), /^l NO \[LIMIT\]/, 'same client address again: limit 1');
  assert.deepEqual((await registry.list()).map((s) => s.ip).sort(), ['192.0.2.1', '192.0.2.2']);
});

test('from an untrusted address x-originating-ip is ignored: the socket address counts', async () => {
  const { port, registry } = await backend(['10.0.0.0/8']);
  assert.match(await loginFrom(port, '192.0.2.1'), /^l OK /);
  assert.match(await loginFrom(port, '192.0.2.2'), /^l NO \[LIMIT\]/);
  assert.deepEqual((await registry.list()).map((s) => s.ip.replace(/^::ffff:/, '')), ['127.0.0.1']);
});
