// The ManageSieve login proxy end to end: two backend mail nodes with ManageSieve, a proxy process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { USERS, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-sieve-'));
const procs: Proc[] = [];
let siteB: Proc;
let sieveA = 0;
let sievePort = 0;

before(async () => {
  writeUsers(dir);
  const siteA = startProc('mail', writeBackendConfig(dir, 'site-a.test', 0, { sieve: 0 }));
  siteB = startProc('mail', writeBackendConfig(dir, 'site-b.test', 0, { sieve: 0 }));
  procs.push(siteA, siteB);
  await Promise.all([siteA.waitFor(/ready/), siteB.waitFor(/ready/)]);
  sieveA = siteA.port('managesieve');
  const proxy = startProc('proxy', writeProxyConfig(dir, 'proxy1', { 'site-a.test': siteA.port('imap'), 'site-b.test': siteB.port('imap') }, '',
    { sieveBackends: { 'site-a.test': sieveA, 'site-b.test': siteB.port('managesieve') } }));
  procs.push(proxy);
  await proxy.waitFor(/^proxy node proxy1 ready/m);
  sievePort = proxy.port('managesieve');
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

/** Lines up to and including the next OK/NO/BYE line. */
async function response(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) { const l = await c.line(); out.push(l); if (/^(OK|NO|BYE)\b/.test(l)) return out; }
}

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else out.push(p); } };
  walk(root);
  return out;
}

const plain = (u: { user: string; password: string }) => Buffer.from(`\0${u.user}\0${u.password}`).toString('base64');

test('ManageSieve capabilities before login match the backend\'s', async () => {
  const p = await RawClient.connect(sievePort);
  const b = await RawClient.connect(sieveA);
  const pc = (await response(p)).slice(0, -1).sort();
  // The backend lists XCLIENT to us (127.0.0.1 is in its sasl.trustedNetworks); the proxy never offers it.
  const bc = (await response(b)).slice(0, -1).filter((l) => l !== '"XCLIENT"').sort();
  assert.deepEqual(pc, bc);
  assert.ok(pc.some((l) => l.startsWith('"SIEVE" ')), pc.join('\n'));
  p.close(); b.close();
});

test('AUTHENTICATE through the proxy: bob\'s PUTSCRIPT lands on site-b; wrong password is refused', async () => {
  const p = await RawClient.connect(sievePort);
  await response(p);
  p.send(`AUTHENTICATE "PLAIN" "${plain({ user: USERS.bob.user, password: 'wrong' })}"\r\n`);
  assert.deepEqual(await response(p), ['NO "Authentication failed."']);
  const script = 'keep;\r\n';
  // The PUTSCRIPT is pipelined behind AUTHENTICATE: relayed to the backend.
  p.send(`AUTHENTICATE "PLAIN" "${plain(USERS.bob)}"\r\nPUTSCRIPT "viaproxy" {${script.length}+}\r\n${script}\r\nLISTSCRIPTS\r\n`);
  assert.match((await response(p)).at(-1)!, /^OK "Logged in\."/);
  assert.match((await response(p)).at(-1)!, /^OK/);
  const list = await response(p);
  assert.ok(list.includes('"viaproxy"'), list.join('\n'));
  p.send('LOGOUT\r\n');
  await response(p);
  assert.ok(files(join(dir, 'site-b.test')).some((f) => f.includes('viaproxy')), 'script stored on site-b');
  assert.ok(!files(join(dir, 'site-a.test')).some((f) => f.includes('viaproxy')), 'nothing on site-a');
});

test('ManageSieve backend down: NO (TRYLATER)', async () => {
  await siteB.stop('SIGKILL');
  const p = await RawClient.connect(sievePort);
  await response(p);
  p.send(`AUTHENTICATE "PLAIN" "${plain(USERS.bob)}"\r\n`);
  assert.match((await response(p)).at(-1)!, /^NO \(TRYLATER\) /);
  p.close();
});
