// SIGHUP reaches the running LMTP server: new SIZE / recipient limit, relay and sieve.before apply
// to what comes next; the listener (host, port, socket) is restart-only and keeps running as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../libs/config/src/load.js';
import { FileDirectory } from '../../libs/directory/src/file/file-directory.js';
import { SmtpSink } from '../../libs/delivery/src/testing.js';
import { mailHome } from '../../libs/delivery/src/home.js';
import { LmtpTestClient } from '../../libs/lmtp-server/src/testing.js';
import { MaildirStore } from '../../libs/maildir/src/index.js';
import { loadTls } from '../../libs/tls/src/index.js';
import { createLogger, createMetrics } from '../../libs/telemetry/src/index.js';
import type { ImapServerLike } from './components.js';
import { startLmtp } from './lmtp.js';
import { reload, type RunningNode } from './reload.js';

const dir = mkdtempSync(join(tmpdir(), 'lmtp-reload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('SIGHUP: LMTP limits, relay and sieve.before reload; lmtp.port stays until restart', async (t) => {
  const sink1 = new SmtpSink(); const sink2 = new SmtpSink();
  await sink1.start(); await sink2.start();
  t.after(async () => { await sink1.stop(); await sink2.stop(); });
  const base = (o: { size: string; rcpts: number; relay: number; port: number; before: string }) =>
    `node:\n  hostname: l.test\n  dataDir: data\nimap:\n  host: 127.0.0.1\n  port: 0\n  tlsPort: 0\nhttp:\n  port: null\n`
    + `lmtp:\n  host: 127.0.0.1\n  port: ${o.port}\n  socket: false\n  maxMessageSize: ${o.size}\n  maxRecipients: ${o.rcpts}\n`
    + `submission:\n  relay: 127.0.0.1:${o.relay}\nsieve:\n  before: '${o.before}'\n`;
  const configPath = join(dir, 'c.yaml');
  writeFileSync(configPath, base({ size: '1M', rcpts: 5, relay: sink1.port, port: 0, before: '' }));
  writeFileSync(join(dir, 'users.yaml'), 'users:\n  a@example.org:\n    password: "{PLAIN}x"\n  b@example.org:\n    password: "{PLAIN}x"\n  c@example.org:\n    password: "{PLAIN}x"\n');
  const c = loadConfig(configPath, {}).config!;
  let logText = '';
  const out = new PassThrough(); out.on('data', (b: Buffer) => { logText += b.toString(); });
  const logger = createLogger({ level: 'info', destination: out });
  const directory = await FileDirectory.open({ path: join(dir, 'users.yaml') });
  const store = new MaildirStore({ hostname: 'l.test', fsync: false });
  const lmtp = await startLmtp(c, store, directory, logger);
  t.after(async () => { await lmtp.close(); await store.close(); });
  const l = lmtp.listeners.find((x) => x.name === 'lmtp');
  assert.ok(l && 'port' in l);
  const port = l.port;
  const imap: ImapServerLike = { async listen() { return 1; }, connections: () => 0, async close() {}, updateConfig() {} };
  const node: RunningNode = { configPath, config: c, logger, imap, metrics: createMetrics(), tls: await loadTls({ ...c.tls }), directory, lmtp };

  const session = async (rcpts: string[], body: string) => {
    const cl = await LmtpTestClient.open({ port });
    const lhlo = await cl.cmd('LHLO mx');
    await cl.cmd('MAIL FROM:<s@example.net>');
    const codes: number[] = [];
    for (const r of rcpts) codes.push((await cl.cmd(`RCPT TO:<${r}>`)).code);
    let final: number[] = [];
    if (codes.some((x) => x === 250)) {
      assert.equal((await cl.cmd('DATA')).code, 354);
      cl.write(`${body}\r\n.\r\n`);
      final = (await cl.replies(codes.filter((x) => x === 250).length)).map((r) => r.code);
    }
    cl.close();
    return { size: /SIZE (\d+)/.exec(lhlo.text)?.[1], codes, final };
  };

  let s = await session(['a@example.org', 'b@example.org', 'c@example.org'], 'Subject: one\r\nX-Spam-Flag: YES\r\n\r\nhi');
  assert.equal(s.size, String(1024 * 1024));
  assert.deepEqual(s.codes, [250, 250, 250]);
  const inbox = (u: string, f = '') => { try { return readdirSync(join(mailHome(c.storage.mailRoot, u), 'Maildir', f, 'new')); } catch { return []; } };
  assert.equal(inbox('a@example.org').length, 1, 'no global script yet: INBOX');

  // A user script that redirects: goes through the configured relay.
  const home = mailHome(c.storage.mailRoot, 'c@example.org');
  const { mkdirSync, symlinkSync } = await import('node:fs');
  mkdirSync(join(home, 'sieve'), { recursive: true });
  writeFileSync(join(home, 'sieve', 'r.sieve'), 'require "copy";\nredirect :copy "elsewhere@example.net";\n');
  symlinkSync('sieve/r.sieve', join(home, '.dovecot.sieve'));

  writeFileSync(configPath, base({ size: '2M', rcpts: 2, relay: sink2.port, port: 2424, before: 'require ["fileinto","mailbox"]; if header :is "X-Spam-Flag" "YES" { fileinto :create "Junk2"; }' }));
  assert.equal(await reload(node, {}), true);
  assert.match(logText, /changed keys take effect only after a restart: lmtp\.port/);
  assert.equal(node.config.lmtp.port, 0, 'running listener value kept');
  assert.equal(node.config.lmtp.maxRecipients, 2);

  s = await session(['a@example.org', 'b@example.org', 'c@example.org'], 'Subject: two\r\nX-Spam-Flag: YES\r\n\r\nhi');
  assert.equal(s.size, String(2 * 1024 * 1024), 'new SIZE in LHLO');
  assert.deepEqual(s.codes, [250, 250, 452], 'maxRecipients 2: 452 4.5.3 for the third');
  assert.deepEqual(s.final, [250, 250]);
  assert.equal(inbox('a@example.org', '.Junk2').length, 1, 'new sieve.before ran');
  assert.equal(inbox('a@example.org').length, 1);

  s = await session(['c@example.org'], 'Subject: three\r\n\r\nhi');
  assert.deepEqual(s.final, [250]);
  const got = await sink2.waitFor(1);
  assert.deepEqual(got[0]!.to, ['elsewhere@example.net'], 'redirect left through the new relay');
  assert.equal(sink1.messages.length, 0, 'nothing through the old relay');
  assert.match(readFileSync(join(home, 'Maildir', 'new', readdirSync(join(home, 'Maildir', 'new')).sort().pop()!), 'utf8'), /Subject: /);
});
