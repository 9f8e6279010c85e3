// The node wires LMTP: the embedded service listens on <dataDir>/lmtp.sock and the TCP port, and
// a message delivered there lands in the sample user's Maildir (through the deliver path, Sieve on).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './testing.js';
import { SAMPLE_USER } from './first-start.js';
import { LmtpTestClient } from '../../libs/lmtp-server/src/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mail-lmtp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('service: LMTP on the default socket and a TCP port delivers to the sample user', async (t) => {
  const data = join(dir, 'data');
  const svc = startService([], {
    MAIL_NODE__DATADIR: data, MAIL_NODE__HOSTNAME: 'lmtp.test', MAIL_IMAP__HOST: '127.0.0.1', MAIL_IMAP__PORT: '0', MAIL_IMAP__TLSPORT: 'false',
    MAIL_HTTP__PORT: 'false', MAIL_LMTP__PORT: '0', MAIL_POP3__PORT: 'false', MAIL_POP3__TLSPORT: 'false',
    MAIL_MANAGESIEVE__PORT: 'false', MAIL_QUOTASTATUS__PORT: 'false', MAIL_SASL__SOCKET: 'false', MAIL_LOG__LEVEL: 'warn',
  });
  t.after(() => { if (svc.child.exitCode === null) svc.child.kill('SIGKILL'); });
  const m = await svc.waitFor(/listening lmtp 127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  for (const target of [{ path: join(data, 'lmtp.sock') }, { port }]) {
    const c = await LmtpTestClient.open(target);
    c.write(`LHLO mx\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<${SAMPLE_USER}>\r\nDATA\r\n`);
    assert.deepEqual((await c.replies(4)).map((r) => r.code), [250, 250, 250, 354]);
    c.write(`Subject: via ${'path' in target ? 'socket' : 'tcp'}\r\n\r\nhello\r\n.\r\n`);
    assert.match((await c.reply()).text, /^250 2\.0\.0 /);
    c.close();
  }
  const [local, domain] = SAMPLE_USER.split('@');
  const newDir = join(data, 'mail', domain!, local!, 'Maildir', 'new');
  const texts = readdirSync(newDir).map((f) => readFileSync(join(newDir, f), 'utf8'));
  assert.ok(texts.some((x) => x.includes('Subject: via socket')) && texts.some((x) => x.includes('Subject: via tcp')), texts.join('\n---\n'));
  svc.child.kill('SIGTERM');
  assert.equal(await svc.exited, 0);
});
