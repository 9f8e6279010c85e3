// The node's wiring of ManageSieve, quota-status and quota warnings, from a loaded configuration.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../libs/config/src/load.js';
import { MemoryDirectory } from '../../libs/testing/src/directory.js';
import { MaildirStore } from '../../libs/maildir/src/index.js';
import { startManageSieve, startQuotaStatus, startQuotaWarnings } from './sieve-quota.js';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function readUntil(sock: net.Socket, re: RegExp): Promise<string> {
  let buf = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout: ${JSON.stringify(buf)}`)), 5000);
    sock.on('data', (d) => { buf += d; if (re.test(buf)) { clearTimeout(t); resolve(buf); } });
  });
}

test('config sections managesieve / quota / quotaStatus start their services (ports 0) and stop cleanly', async () => {
  const data = await mkdtemp(join(tmpdir(), 'node-sq-'));
  dirs.push(data);
  const r = loadConfig(null, {
    MAIL_NODE__DATADIR: data, MAIL_MANAGESIEVE__HOST: '127.0.0.1', MAIL_MANAGESIEVE__PORT: '0', MAIL_QUOTASTATUS__PORT: '0',
    MAIL_QUOTA__WARNINGTEXT__90: '"Ninety: $PERCENT%"', MAIL_STORAGE__FSYNC: 'false',
  }, { environment: { isRoot: false, hostname: 'h' } });
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.quotaStatus.overquota, '552 5.2.2 Mailbox is full');
  assert.equal(c.quota.warningText['90'], 'Ninety: $PERCENT%');
  const logger = pino({ level: 'silent' });
  const directory = new MemoryDirectory({ 'alice@example.org': { password: 'alicepw', quotaBytes: 1000 } });
  const sieve = await startManageSieve(c, directory, null, logger);
  const qs = await startQuotaStatus(c, directory, logger);
  const store = new MaildirStore({ fsync: false });
  const warnings = startQuotaWarnings(c, store, directory, logger);
  try {
    const s1 = net.connect(sieve.listener!.port, '127.0.0.1');
    const greeting = await readUntil(s1, /^OK .*\r\n/m);
    assert.match(greeting, /"IMPLEMENTATION" "UCS mail node ManageSieve"/);
    s1.destroy();
    const s2 = net.connect(qs.listener!.port, '127.0.0.1');
    s2.write('request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=alice@example.org\nsize=5000\n\n');
    assert.equal(await readUntil(s2, /\n\n$/), 'action=552 5.2.2 Mailbox is full\n\n');
    s2.destroy();
    // A port already taken: logged, the node goes on without that service.
    const again = await startQuotaStatus({ ...c, quotaStatus: { ...c.quotaStatus, host: '127.0.0.1', port: qs.listener!.port } }, directory, logger);
    assert.equal(again.listener, null);
    await again.server.close();
  } finally {
    await sieve.server.close();
    await qs.server.close();
    await warnings.close();
    await store.close();
  }
});
