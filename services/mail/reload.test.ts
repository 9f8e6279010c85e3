import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { loadConfig } from '../../libs/config/src/load.js';
import { FileDirectory } from '../../libs/directory/src/file/file-directory.js';
import { loadTls } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics } from '../../libs/telemetry/src/index.js';
import type { ImapServerConfig } from '../../libs/imap-server/src/deps.js';
import type { ImapServerLike } from './components.js';
import { reload, type RunningNode } from './reload.js';
import { imapServerConfig } from './imap-config.js';

const dir = mkdtempSync(join(tmpdir(), 'reload-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const BASE = 'node:\n  hostname: r.test\n  dataDir: data\nimap:\n  host: 127.0.0.1\n  port: 0\n  tlsPort: 0\nhttp:\n  port: null\n';

async function setup() {
  const configPath = join(dir, 'c.yaml');
  writeFileSync(configPath, BASE);
  writeFileSync(join(dir, 'users.yaml'), 'users:\n  a@example.org:\n    password: "{PLAIN}x"\n');
  const c = loadConfig(configPath, {}).config!;
  const out = new PassThrough();
  let logText = '';
  out.on('data', (b: Buffer) => { logText += b.toString(); });
  const logger = createLogger({ level: 'info', destination: out });
  const updates: Array<{ config: ImapServerConfig; tls: SecureContext | null }> = [];
  const imap: ImapServerLike = {
    async listen() { return 1; }, connections: () => 0, async close() {},
    updateConfig(config, tls) { updates.push({ config, tls }); },
  };
  const node: RunningNode = {
    configPath, config: c, logger, imap, metrics: createMetrics(),
    tls: await loadTls({ ...c.tls }),
    directory: await FileDirectory.open({ path: join(dir, 'users.yaml') }),
  };
  return { node, updates, configPath, log: () => logText };
}

test('SIGHUP reload: new settings reach the IMAP server; restart-only keys are named and kept', async () => {
  const { node, updates, configPath, log } = await setup();
  writeFileSync(configPath, BASE.replace('port: 0\n  tlsPort', 'port: 2143\n  tlsPort')
    + 'log:\n  level: warn\nmailboxes:\n  auto:\n    Archive: create\n  special:\n    Archive: [\\Archive]\n');
  writeFileSync(join(dir, 'users.yaml'), 'users:\n  b@example.org:\n    password: "{PLAIN}y"\n');
  assert.equal(await reload(node, {}), true);
  assert.equal(updates.length, 1);
  assert.deepEqual(updates[0]!.config.autoMailboxes, { Archive: 'create' });
  assert.deepEqual(updates[0]!.config.specialUse, { Archive: ['\\Archive'] });
  assert.ok(updates[0]!.tls, 'TLS context handed over');
  assert.equal(node.config.imap.port, 0, 'listener port is restart-only');
  assert.equal(node.logger.level, 'warn');
  assert.match(log(), /changed keys take effect only after a restart: imap\.port/);
  assert.equal((await node.directory.authenticate('b@example.org', 'y'))?.user, 'b@example.org', 'users file re-read');
  assert.equal(updates[0]!.config.mailHome({ user: 'b@example.org' } as never), join(dir, 'data', 'mail', 'example.org', 'b'));
});

test('SIGHUP reload: a config with errors is refused as a whole and nothing changes', async () => {
  const { node, updates, configPath, log } = await setup();
  const before = node.config;
  writeFileSync(configPath, `${BASE}imap2: {}\nlog:\n  level: loud\n`);
  assert.equal(await reload(node, {}), false);
  assert.equal(updates.length, 0);
  assert.equal(node.config, before);
  assert.match(log(), /configuration refused, keeping the running one: imap2: unknown key; log\.level: expected one of/);
});

test('imapServerConfig maps every ImapServerConfig field', () => {
  const c = loadConfig(null, {}, { cwd: '/x', environment: { isRoot: false, hostname: 'h.test' } }).config!;
  const i = imapServerConfig(c);
  assert.equal(i.hostname, 'h.test');
  assert.equal(i.allowPlaintextAuth, false);
  assert.equal(i.maxMessageSize, 64 * 1024 * 1024);
  assert.equal(i.idleTimeoutMs, 30 * 60 * 1000);
  assert.equal(i.maxUserIpConnections, 10);
  assert.equal(i.mailHome({ user: 'Al@Example.org' } as never), '/x/data/mail/example.org/al');
  assert.deepEqual(i.specialUse.Sent, ['\\Sent']);
});

test('SIGHUP reload: a renewed certificate is picked up; a broken one is refused and the old one kept', async () => {
  const { node, updates, configPath, log } = await setup();
  const { generateSelfSigned } = await import('../../libs/tls/src/index.js');
  const cert = join(dir, 'cert.pem'); const key = join(dir, 'key.pem');
  const first = await generateSelfSigned(['one.test']);
  writeFileSync(cert, first.cert); writeFileSync(key, first.key);
  writeFileSync(configPath, `${BASE}tls:\n  cert: cert.pem\n  key: key.pem\n`);
  assert.equal(await reload(node, {}), true);
  assert.match(node.tls.subject, /one\.test/);
  const fp1 = node.tls.fingerprint256;
  const second = await generateSelfSigned(['two.test']);
  writeFileSync(cert, second.cert); writeFileSync(key, second.key);
  assert.equal(await reload(node, {}), true);
  assert.match(node.tls.subject, /two\.test/);
  assert.notEqual(node.tls.fingerprint256, fp1);
  writeFileSync(key, first.key); // no longer matches the certificate
  assert.equal(await reload(node, {}), true, 'the rest of the config still applies');
  assert.match(node.tls.subject, /two\.test/, 'old certificate kept');
  assert.match(log(), /TLS certificate refused, keeping the running one/);
  assert.equal(updates.length, 3);
});
