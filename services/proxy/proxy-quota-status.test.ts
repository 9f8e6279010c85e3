/**
 * quota-status and the admin API on a proxy node (issue 6), with real sockets: two backend mail
 * nodes as processes (site-a, site-b; bob on site-b is over quota) and a proxy process in front.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { startProc, writeBackendConfig, writeProxyConfig, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-qs-'));
const KEY = 'proxy-admin-test-key';
let a: Proc, b: Proc, proxy: Proc;
let qsPort = 0, adminPort = 0, httpPort = 0;

function backendConfig(name: string, success: string): string {
  const path = writeBackendConfig(dir, name, 0);
  // The backends' success answers differ, so a relayed answer shows which backend gave it.
  writeFileSync(path, readFileSync(path, 'utf8').replace('quotaStatus: { port: null }', `quotaStatus: { host: 127.0.0.1, port: 0, success: "${success}" }`));
  return path;
}

/** One policy request on a fresh connection (as Postfix's check_policy_service). */
function policy(port: number, attrs: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('policy answer timeout')); });
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /^action=(.*)\n\n/.exec(buf);
      if (m) { s.end(); resolve(m[1]!); }
    });
    s.write(`request=smtpd_access_policy\nprotocol_state=RCPT\n${Object.entries(attrs).map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`);
  });
}

function mailctl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const script = new URL('../mailctl/main.js', import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(process.execPath, [script, '--url', `http://127.0.0.1:${adminPort}`, '--api-key', KEY, ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

before(async () => {
  writeFileSync(join(dir, 'users.yaml'), `users:
  alice@example.org: { password: "${hashPassword('alicepw')}", homeServer: site-a.test }
  bob@example.org: { password: "${hashPassword('bobpw')}", homeServer: site-b.test, quota: 1 }
`);
  a = startProc('mail', backendConfig('site-a', 'OK site-a'));
  b = startProc('mail', backendConfig('site-b', 'OK site-b'));
  await Promise.all([a.waitFor(/listening quota-status/), b.waitFor(/listening quota-status/)]);
  const cfg = writeProxyConfig(dir, 'proxy-1', { 'site-a.test': a.port('imap'), 'site-b.test': b.port('imap') },
    `quotaStatus: { host: 127.0.0.1, port: 0, nouser: "REJECT unknown here", fail: "DEFER_IF_PERMIT quota backend down" }\nadmin: { host: 127.0.0.1, port: 0, apiKey: ${KEY} }`);
  writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}  quotaStatusBackends:\n    site-a.test: 127.0.0.1:${a.port('quota-status')}\n    site-b.test: 127.0.0.1:${b.port('quota-status')}\n`);
  proxy = startProc('proxy', cfg);
  await proxy.waitFor(/proxy node .* ready/);
  qsPort = proxy.port('quota-status');
  adminPort = proxy.port('admin');
  httpPort = proxy.port('http');
});

after(async () => {
  await Promise.all([proxy?.stop(), a?.stop(), b?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test('quota-status on a proxy relays the home backend\'s answer (site-a user, site-b user with +detail)', async () => {
  assert.equal(await policy(qsPort, { recipient: 'alice@example.org', size: '100' }), 'OK site-a');
  assert.equal(await policy(qsPort, { recipient: 'bob+lists@example.org', size: '100' }), 'OK site-b');
});

test('quota-status on a proxy: over quota with this message size gets the backend\'s overquota answer', async () => {
  assert.equal(await policy(qsPort, { recipient: 'bob@example.org', size: String(2 * 1024 * 1024) }), '552 5.2.2 Mailbox is full');
});

test('quota-status on a proxy: unknown user gets quotaStatus.nouser; outside RCPT DUNNO', async () => {
  assert.equal(await policy(qsPort, { recipient: 'nobody@example.org', size: '1' }), 'REJECT unknown here');
  assert.equal(await policy(qsPort, { recipient: 'alice@example.org', protocol_state: 'DATA' }).catch(() => 'x'), 'DUNNO');
});

test('quota-status on a proxy: one connection, pipelined requests answered in order; a bad request gets the fail answer and the connection goes on', async () => {
  const s = net.connect({ host: '127.0.0.1', port: qsPort });
  let buf = '';
  s.on('data', (c: Buffer) => { buf += c.toString(); });
  s.write('request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=bob@example.org\nsize=1\n\nthis is not name=value\nno equals sign\n\nprotocol_state=RCPT\nrecipient=alice@example.org\n\n');
  for (let i = 0; i < 100 && (buf.match(/\n\n/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  s.destroy();
  assert.deepEqual(buf.split('\n\n').filter(Boolean), ['action=OK site-b', 'action=DEFER_IF_PERMIT quota backend down', 'action=OK site-a']);
});

test('admin API on a proxy: user lookup names the backend, auth test, backends, quota get 501, log test', async () => {
  const lookup = await mailctl('--json', 'user', 'lookup', 'bob@example.org');
  assert.equal(lookup.code, 0, lookup.err);
  const u = JSON.parse(lookup.out) as { homeServer: string; backend: string };
  assert.equal(u.homeServer, 'site-b.test');
  assert.equal(u.backend, `127.0.0.1:${b.port('imap')}`);
  assert.equal((await mailctl('auth', 'test', 'alice@example.org', 'alicepw')).code, 0);
  assert.notEqual((await mailctl('auth', 'test', 'alice@example.org', 'wrong')).code, 0);
  const be = await mailctl('backends');
  assert.equal(be.code, 0, be.err);
  assert.match(be.out, /site-a\.test \(imap\)\s+127\.0\.0\.1:\d+\s+closed/);
  const q = await mailctl('quota', 'get', '-u', 'alice@example.org');
  assert.notEqual(q.code, 0);
  assert.match(q.err, /not served by this node/);
  assert.equal((await mailctl('log', 'test')).code, 0);
  assert.match(proxy.out() + proxy.err(), /This is a warn level test line/);
});

test('quota-status on a proxy: backend down gets quotaStatus.fail, a log line and a metric', async () => {
  await b.stop();
  assert.equal(await policy(qsPort, { recipient: 'bob@example.org', size: '1' }), 'DEFER_IF_PERMIT quota backend down');
  assert.equal(await policy(qsPort, { recipient: 'alice@example.org', size: '1' }), 'OK site-a', 'site A unaffected');
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /mail_quota_status_proxy_requests_total\{result="backend-failed"\} [1-9]/);
  assert.match(metrics, /mail_quota_status_proxy_requests_total\{result="relayed"\} [1-9]/);
  assert.match(proxy.out() + proxy.err(), /quota-status: home backend unavailable/);
});
