/**
 * The client's address through the POP3 and ManageSieve proxies (issue 6: "passes on the client's IP,
 * port and session id (as Dovecot does with ID and x-originating-ip)"): the backends offer XCLIENT to the
 * proxy (it is in their sasl.trustedNetworks), the proxy sends ADDR/PORT/SESSION, and the backends'
 * session registry entries (cluster-wide in Redis, read with `mailctl who`) and log lines show the
 * client's address (127.0.0.5, not the proxy's 127.0.0.1).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import type { SessionInfo } from '../../libs/registry/src/types.js';
import { USERS, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-xclient-'));
const KEY = 'proxy-xclient-test-key';
const REDIS = `redis: { url: "redis://127.0.0.1:6379", prefix: "xclient-test-${randomBytes(4).toString('hex')}:" }`;
const CLIENT_IP = '127.0.0.5';
const procs: Proc[] = [];
let siteA: Proc;
let proxy: Proc;

before(async () => {
  writeUsers(dir);
  const cfgA = writeBackendConfig(dir, 'site-a.test', 0, { pop3: 0, sieve: 0 });
  const cfgB = writeBackendConfig(dir, 'site-b.test', 0, { pop3: 0, sieve: 0 });
  for (const c of [cfgA, cfgB]) appendFileSync(c, `${REDIS}\n`);
  siteA = startProc('mail', cfgA);
  const siteB = startProc('mail', cfgB);
  procs.push(siteA, siteB);
  await Promise.all([siteA.waitFor(/ready/), siteB.waitFor(/ready/)]);
  proxy = startProc('proxy', writeProxyConfig(dir, 'proxy1', { 'site-a.test': siteA.port('imap'), 'site-b.test': siteB.port('imap') },
    `${REDIS}\nadmin: { host: 127.0.0.1, port: 0, apiKey: ${KEY} }`,
    { pop3Backends: { 'site-a.test': siteA.port('pop3'), 'site-b.test': siteB.port('pop3') }, sieveBackends: { 'site-a.test': siteA.port('managesieve'), 'site-b.test': siteB.port('managesieve') } }));
  procs.push(proxy);
  await proxy.waitFor(/^proxy node proxy1 ready/m);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function connectFrom(port: number): Promise<RawClient> {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress: CLIENT_IP });
  await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
  return new RawClient(sock);
}

function who(): Promise<SessionInfo[]> {
  const script = new URL('../mailctl/main.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, '--url', `http://127.0.0.1:${proxy.port('admin')}`, '--api-key', KEY, '--json', 'who'], { timeout: 20_000 }, (e, out, err) => {
      if (e) reject(new Error(`mailctl who: ${err}`)); else resolve((JSON.parse(out) as { sessions: SessionInfo[] }).sessions);
    });
  });
}

async function whoUntil(pred: (s: SessionInfo[]) => boolean): Promise<SessionInfo[]> {
  let last: SessionInfo[] = [];
  for (let i = 0; i < 50; i++) {
    last = await who();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

const sieveResponse = async (c: RawClient): Promise<string[]> => {
  const out: string[] = [];
  for (;;) { const l = await c.line(); out.push(l); if (/^(OK|NO|BYE)\b/.test(l)) return out; }
};

test('the backend POP3 server offers XCLIENT to the proxy (trusted network) and the proxy passes the client on', async () => {
  // Straight to the backend from the proxies' network: "+OK [XCLIENT]" as Dovecot's greeting.
  const direct = await RawClient.connect(siteA.port('pop3'));
  assert.match(await direct.line(), /^\+OK \[XCLIENT\] /);
  direct.close();
  const c = await connectFrom(proxy.port('pop3'));
  assert.match(await c.line(), /^\+OK /);
  c.send(`USER ${USERS.alice.user}\r\nPASS ${USERS.alice.password}\r\n`);
  assert.equal(await c.line(), '+OK');
  assert.match(await c.line(), /^\+OK Logged in/);
  const sessions = await whoUntil((s) => s.filter((x) => x.service === 'pop3').length === 2);
  const pop3 = sessions.filter((x) => x.service === 'pop3' && x.user === USERS.alice.user);
  assert.equal(pop3.length, 2, JSON.stringify(sessions));
  const backend = pop3.find((x) => !x.proxy);
  const relay = pop3.find((x) => x.proxy);
  assert.equal(relay?.ip, CLIENT_IP);
  assert.equal(backend?.ip, CLIENT_IP, 'the backend\'s entry names the client, not the proxy');
  assert.ok(backend?.node.startsWith('site-a.test'), backend?.node);
  assert.equal(backend?.port, relay?.port, 'and its port');
  // The backend's log line for the login carries the client and the proxy's session id.
  await siteA.waitFor(new RegExp(`"client":"${CLIENT_IP.replace(/\./g, '\\.')}".*"session":"${relay!.id.replace(/[^\w]/g, '.')}".*"msg":"logged in"`));
  c.send('QUIT\r\n');
  assert.match(await c.line(), /^\+OK/);
  await whoUntil((s) => !s.some((x) => x.service === 'pop3'));
});

test('the backend ManageSieve server lists XCLIENT to the proxy; its registry entry names the client', async () => {
  const direct = await RawClient.connect(siteA.port('managesieve'));
  assert.ok((await sieveResponse(direct)).includes('"XCLIENT"'));
  direct.close();
  const c = await connectFrom(proxy.port('managesieve'));
  const caps = await sieveResponse(c);
  assert.ok(!caps.includes('"XCLIENT"'), 'the proxy does not offer XCLIENT to its clients');
  c.send(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${USERS.bob.user}\0${USERS.bob.password}`).toString('base64')}"\r\n`);
  assert.match((await sieveResponse(c)).at(-1)!, /^OK "Logged in\."/);
  const sessions = await whoUntil((s) => s.filter((x) => x.service === 'sieve').length === 2);
  const sieve = sessions.filter((x) => x.service === 'sieve' && x.user === USERS.bob.user);
  assert.equal(sieve.length, 2, JSON.stringify(sessions));
  const backend = sieve.find((x) => !x.proxy);
  assert.equal(sieve.find((x) => x.proxy)?.ip, CLIENT_IP);
  assert.equal(backend?.ip, CLIENT_IP, 'the backend\'s entry names the client, not the proxy');
  assert.ok(backend?.node.startsWith('site-b.test'), backend?.node);
  c.send('LOGOUT\r\n');
  await sieveResponse(c);
  await whoUntil((s) => !s.some((x) => x.service === 'sieve'));
});
