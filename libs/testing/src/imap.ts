/**
 * Test harness (not a test): an ImapServer on 127.0.0.1 port 0 over a MaildirStore in a temp dir,
 * with the Directory you give it (LDAP, cached LDAP...). Plain LOGIN allowed on the plain port.
 */
import tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../maildir/src/index.js';
import type { Directory } from '../../directory/src/types.js';
import { ImapServer } from '../../imap-server/src/server.js';
import { testCert } from './cert.js';

export interface ImapWithDirectory {
  server: ImapServer;
  port: number;
  metrics: Registry;
  close(): Promise<void>;
}

export async function startImapWith(directory: Directory, metrics = new Registry()): Promise<ImapWithDirectory> {
  const dir = await mkdtemp(join(tmpdir(), 'imap-dir-test-'));
  const { key, cert } = await testCert();
  const store = new MaildirStore({ hostname: 'test.host', fsync: false });
  const server = new ImapServer({
    store, directory, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), metrics, tls: tls.createSecureContext({ key, cert }),
    config: {
      hostname: 'imap.test', allowPlaintextAuth: true,
      mailHome: (u) => join(dir, u.user.split('@')[1]!, u.user.split('@')[0]!),
      autoMailboxes: {}, specialUse: {}, maxMessageSize: 10 * 1024 * 1024, idleTimeoutMs: 30 * 60 * 1000, maxUserIpConnections: 1000,
    },
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  return {
    server, port, metrics,
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
