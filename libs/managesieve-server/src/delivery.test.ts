// A script uploaded and activated over ManageSieve is the one LMTP delivery runs (the UCS layout both sides share).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MaildirStore } from '../../maildir/src/index.js';
import { Deliverer } from '../../delivery/src/deliverer.js';
import { bufferSource } from '../../delivery/src/source.js';
import { mailHome } from '../../delivery/src/home.js';
import { startHarness, RawClient, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('PUTSCRIPT + SETACTIVE over ManageSieve, then a delivery files the message as the script says', async () => {
  const c = await RawClient.connect(h.port);
  await c.response();
  await c.starttls(h.cert);
  await c.login('alice@example.org', 'alicepw');
  const script = 'require "fileinto";\r\nif header :contains "subject" "report" { fileinto "Reports"; }\r\n';
  assert.match((await c.cmd(`PUTSCRIPT "filters" {${script.length}+}\r\n${script}`)).at(-1)!, /^OK/);
  assert.match((await c.cmd('SETACTIVE "filters"')).at(-1)!, /^OK/);
  c.close();

  const store = new MaildirStore({ hostname: 'test.local', fsync: false });
  const d = new Deliverer({
    store, directory: h.directory, hostname: 'mx.test', sieveBefore: null,
    mailHome: (u) => mailHome(h.mailRoot, u.user),
    relay: { async send() { throw new Error('no relay in this test'); }, close() {} },
  });
  try {
    const rcpt = await d.resolve('alice@example.org');
    assert.ok(rcpt);
    const env = { from: 's@example.net', heloName: 'client', remote: '127.0.0.1', id: 't1' };
    const out = await d.deliver(env, [rcpt], bufferSource(Buffer.from('Subject: weekly report\r\n\r\nnumbers\r\n')));
    assert.deepEqual(out, [{ ok: true }]);
    const reports = await readdir(join(h.home('alice@example.org'), 'Maildir', '.Reports', 'new'));
    assert.equal(reports.length, 1);
    const inbox = await readdir(join(h.home('alice@example.org'), 'Maildir', 'new')).catch(() => []);
    assert.equal(inbox.length, 0);
  } finally {
    await store.close();
  }
});
