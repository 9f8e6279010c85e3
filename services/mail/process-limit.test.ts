// The mail node's connection limits (Dovecot service imap / pop3 process_limit, UCS 400 each): past the
// limit a connection gets * BYE [UNAVAILABLE] (IMAP) or -ERR [SYS/TEMP] (POP3), is closed, and the
// node logs Dovecot's warning; a closed connection frees its slot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { startProc, writeBackendConfig, writeUsers, type Proc } from '../proxy/testing.js';
import { loadConfig } from '../../libs/config/src/load.js';

const dir = mkdtempSync(join(tmpdir(), 'process-limit-'));
let node: Proc;
const clients: RawClient[] = [];

before(async () => {
  writeUsers(dir);
  node = startProc('mail', writeBackendConfig(dir, 'node.test', 0, { pop3: 0 }), { MAIL_IMAP__PROCESSLIMIT: '2', MAIL_POP3__PROCESSLIMIT: '1' });
  await node.waitFor(/ready/);
});

after(async () => {
  for (const c of clients) c.close();
  await node.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('defaults: 400 IMAP and 400 POP3 connections, as UCS ships', () => {
  const c = loadConfig(null, {}, { environment: { isRoot: false, hostname: 'h' } }).config!;
  assert.equal(c.imap.processLimit, 400);
  assert.equal(c.pop3.processLimit, 400);
});

test('IMAP: the third connection past process_limit=2 gets * BYE [UNAVAILABLE] and the warning is logged; a freed slot is usable', async () => {
  const a = await RawClient.connect(node.port('imap'));
  const b = await RawClient.connect(node.port('imap'));
  clients.push(a, b);
  assert.match(await a.line(), /^\* OK /);
  assert.match(await b.line(), /^\* OK /);
  const c = await RawClient.connect(node.port('imap'));
  clients.push(c);
  assert.equal(await c.line(), '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.');
  await assert.rejects(c.line(3000), /closed/);
  await node.waitFor(/"msg":"service\(imap\): process_limit \(2\) reached, client connections are being dropped"/, 5000);
  a.close();
  await new Promise((r) => setTimeout(r, 200));
  const d = await RawClient.connect(node.port('imap'));
  clients.push(d);
  assert.match(await d.line(), /^\* OK /);
});

test('POP3: past process_limit=1 the client gets -ERR [SYS/TEMP] and the warning', async () => {
  const line = (s: net.Socket) => new Promise<string>((resolve) => { let b = ''; s.on('data', (d) => { b += d.toString(); const i = b.indexOf('\r\n'); if (i >= 0) resolve(b.slice(0, i)); }); });
  const a = net.connect(node.port('pop3'), '127.0.0.1');
  assert.match(await line(a), /^\+OK /);
  const b = net.connect(node.port('pop3'), '127.0.0.1');
  assert.equal(await line(b), '-ERR [SYS/TEMP] Maximum number of connections reached, try again later.');
  await node.waitFor(/service\(pop3\): process_limit \(1\) reached, client connections are being dropped/, 5000);
  a.destroy(); b.destroy();
});
