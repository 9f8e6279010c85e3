/**
 * The cluster end to end (issue 6): real slapd with the UCS schema (alice homed on site-a.test, bob
 * on site-b.test, group team@ with both), the machine's Redis (own prefix), two backend mail nodes
 * (directory.type ldap, separate mail roots) and two proxy processes (IMAP, LMTP, admin API).
 * mailctl is the real command line talking to a proxy's admin API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { startSlapd, freePort, type Slapd } from '../../libs/testing/src/slapd.js';
import { CLUSTER_LDIF, mailFiles, startProc, writeBackendConfig, writeProxyConfig, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-cluster-'));
const PREFIX = `test:cluster:${randomBytes(4).toString('hex')}:`;
const REDIS = 'redis://127.0.0.1:6379';
const KEY = 'cluster-admin-key';
const ALICE = { user: 'alice@example.org', password: 'alicepw' };
const BOB = { user: 'bob@example.org', password: 'bobpw' };
const procs: Proc[] = [];
let slapd: Slapd;
let siteA: Proc, siteB: Proc, p1: Proc, p2: Proc;
const imapB = { port: 0 };
let lmtpB = 0;


const ldapDirectory = () => `directory: { type: ldap, ldapUris: ["${slapd.url}"], ldapBase: "${slapd.suffix}" }`;
const redisSection = `redis: { url: "${REDIS}", prefix: "${PREFIX}" }`;
// Backends and proxies share one registry: a proxied session is in it twice (proxy + backend), each
// counted in its own user+IP set (libs/registry redis.ts uipKey), so the limit is not halved.
const backendRedis = redisSection;

function backendConfig(name: string, imapPort: number, lmtpPort: number): string {
  const path = writeBackendConfig(dir, name, imapPort);
  const text = readFileSync(path, 'utf8')
    .replace(/^directory: .*$/m, `${ldapDirectory()}\n${backendRedis}`)
    .replace('lmtp: { port: null, socket: false }', `lmtp: { host: 127.0.0.1, port: ${lmtpPort}, socket: false }`);
  writeFileSync(path, text);
  return path;
}

function proxyConfig(name: string, imap: Record<string, number>, lmtp: Record<string, number>): string {
  const path = writeProxyConfig(dir, name, imap,
    `${redisSection}\nadmin: { host: 127.0.0.1, port: 0, apiKey: ${KEY} }\nimap: { maxUserIpConnections: 2 }`);
  const text = readFileSync(path, 'utf8').replace(/^directory: .*$/m, ldapDirectory())
    + `  lmtpPort: 0\n  lmtpBackends:\n${Object.entries(lmtp).map(([n, p]) => `    ${n}: 127.0.0.1:${p}`).join('\n')}\n`;
  writeFileSync(path, text);
  return path;
}

function mailctl(proxy: Proc, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const script = new URL('../mailctl/main.js', import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(process.execPath, [script, '--url', `http://127.0.0.1:${proxy.port('admin')}`, '--api-key', KEY, ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

async function connect(port: number, localAddress?: string): Promise<RawClient> {
  const sock = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const c = new RawClient(sock);
  await c.line(10_000);
  return c;
}

async function login(port: number, u: { user: string; password: string }, tag = 'a'): Promise<{ c: RawClient; reply: string }> {
  const c = await connect(port);
  return { c, reply: (await c.cmd(tag, `LOGIN ${u.user} ${u.password}`, 15_000)).at(-1)! };
}

/** Waits for the server to close the connection; returns the lines it sent until then. */
async function drain(c: RawClient): Promise<string[]> {
  const rest: string[] = [];
  for (;;) { try { rest.push(await c.line(5000)); } catch { break; } }
  return rest;
}

/** One LMTP transaction (RFC 2033): the RCPT replies and, for each accepted recipient, its DATA reply. */
async function lmtp(port: number, rcpts: string[], body: string): Promise<{ rcpt: string[]; data: string[] }> {
  const sock = net.connect({ host: '127.0.0.1', port });
  let buf = '';
  const waiting: Array<(l: string) => void> = [];
  const lines: string[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
      const l = buf.slice(0, i); buf = buf.slice(i + 2);
      if (/^\d{3}-/.test(l)) continue; // continuation lines of multi-line replies
      const w = waiting.shift(); if (w) w(l); else lines.push(l);
    }
  });
  const reply = () => new Promise<string>((resolve, reject) => {
    const l = lines.shift(); if (l !== undefined) { resolve(l); return; }
    const t = setTimeout(() => reject(new Error('LMTP reply timeout')), 20_000);
    waiting.push((x) => { clearTimeout(t); resolve(x); });
  });
  try {
    assert.match(await reply(), /^220 /);
    sock.write('LHLO test.example\r\n'); assert.match(await reply(), /^250 /);
    sock.write('MAIL FROM:<sender@elsewhere.test>\r\n'); assert.match(await reply(), /^250 /);
    const rcpt: string[] = [];
    for (const r of rcpts) { sock.write(`RCPT TO:<${r}>\r\n`); rcpt.push(await reply()); }
    const accepted = rcpt.filter((r) => r.startsWith('250')).length;
    const data: string[] = [];
    if (accepted > 0) {
      sock.write('DATA\r\n'); assert.match(await reply(), /^354 /);
      sock.write(`${body.replace(/\n/g, '\r\n')}\r\n.\r\n`);
      for (let i = 0; i < accepted; i++) data.push(await reply());
    }
    sock.write('QUIT\r\n');
    return { rcpt, data };
  } finally {
    sock.destroy();
  }
}

const filesOf = (site: string, local: string) => mailFiles(join(dir, site, 'mail', 'example.org', local));

before(async () => {
  slapd = await startSlapd({ ldif: CLUSTER_LDIF });
  const [ia, ib, la, lb] = [await freePort(), await freePort(), await freePort(), await freePort()];
  imapB.port = ib;
  lmtpB = lb;
  siteA = startProc('mail', backendConfig('site-a.test', ia, la));
  siteB = startProc('mail', backendConfig('site-b.test', ib, lb));
  procs.push(siteA, siteB);
  await Promise.all([siteA.waitFor(/ready/), siteB.waitFor(/ready/)]);
  const imap = { 'site-a.test': ia, 'site-b.test': ib };
  const lmtpMap = { 'site-a.test': la, 'site-b.test': lb };
  p1 = startProc('proxy', proxyConfig('proxy-1', imap, lmtpMap));
  p2 = startProc('proxy', proxyConfig('proxy-2', imap, lmtpMap));
  procs.push(p1, p2);
  await Promise.all([p1.waitFor(/^proxy node proxy-1 ready/m), p2.waitFor(/^proxy node proxy-2 ready/m)]);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await slapd?.close();
  const r = new Redis(REDIS, { lazyConnect: true });
  await r.connect().catch(() => undefined);
  const keys = await r.keys(`${PREFIX}*`).catch(() => [] as string[]);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test('logging in through either proxy reaches the user\'s home server (the mail files land there)', async () => {
  const msg = (s: string) => `From: t@example.org\r\nSubject: ${s}\r\n\r\nhello\r\n`;
  for (const [proxy, u] of [[p1, ALICE], [p2, ALICE], [p1, BOB], [p2, BOB]] as const) {
    const { c, reply } = await login(proxy.port('imap'), u);
    assert.match(reply, /^a OK /, `${u.user} via ${proxy === p1 ? 'proxy-1' : 'proxy-2'}`);
    const m = msg(`via proxy`);
    c.send(`b APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}\r\n`);
    assert.match((await c.until('b', 10_000)).at(-1)!, /^b OK /);
    c.close();
  }
  assert.equal(filesOf('site-a.test', 'alice').length, 2);
  assert.equal(filesOf('site-b.test', 'alice').length, 0);
  assert.equal(filesOf('site-b.test', 'bob').length, 2);
  assert.equal(filesOf('site-a.test', 'bob').length, 0);
});

test('LMTP to a group with members on both sites through a proxy delivers on both', async () => {
  const beforeA = filesOf('site-a.test', 'alice').length;
  const beforeB = filesOf('site-b.test', 'bob').length;
  const r = await lmtp(p2.port('lmtp'), ['team@example.org'], 'From: s@elsewhere.test\nSubject: team\n\nto the team');
  assert.match(r.rcpt[0]!, /^250 /);
  assert.ok(r.data.every((d) => d.startsWith('250')), r.data.join('\n'));
  assert.equal(filesOf('site-a.test', 'alice').length, beforeA + 1);
  assert.equal(filesOf('site-b.test', 'bob').length, beforeB + 1);
});

test('mailctl who shows sessions from both proxies; mailctl kick disconnects them', async () => {
  const one = await login(p1.port('imap'), ALICE);
  const two = await login(p2.port('imap'), BOB);
  assert.match(one.reply, /^a OK /);
  assert.match(two.reply, /^a OK /);
  const who = await mailctl(p1, '--json', '-1', 'who', '*@example.org');
  assert.equal(who.code, 0, who.err);
  const sessions = (JSON.parse(who.out) as { sessions: Array<{ node: string; user: string; proxy?: boolean }> }).sessions;
  const proxied = sessions.filter((s) => s.proxy === true);
  assert.ok(proxied.some((s) => s.node.startsWith('proxy-1/') && s.user === ALICE.user), who.out);
  assert.ok(proxied.some((s) => s.node.startsWith('proxy-2/') && s.user === BOB.user), who.out);
  const table = await mailctl(p2, 'who');
  assert.match(table.out, /alice@example\.org/);
  assert.match(table.out, /bob@example\.org/);
  const kick = await mailctl(p2, 'kick', '*@example.org');
  assert.equal(kick.code, 0, kick.err);
  const kicked = Number(/kicked (\d+)/.exec(kick.out)?.[1]);
  assert.ok(kicked >= 2, kick.out);
  for (const { c } of [one, two]) {
    const rest = await drain(c);
    assert.ok(c.closed, 'connection closed by kick');
    assert.ok(rest.some((l) => l.startsWith('* BYE')), rest.join('\n'));
  }
});

test('mailctl reload through one proxy reloads both proxies (the cluster reload channel); sessions stay up', async () => {
  const held = await login(p2.port('imap'), BOB, 'h');
  assert.match(held.reply, /^h OK /);
  const r = await mailctl(p1, '--json', 'reload');
  assert.equal(r.code, 0, r.err);
  assert.ok((JSON.parse(r.out) as { nodes: number }).nodes >= 2, r.out);
  await Promise.all([p1.waitFor(/reload: new login processes use the new configuration/, 5000), p2.waitFor(/reload: new login processes use the new configuration/, 5000)]);
  assert.match((await held.c.cmd('n', 'NOOP')).at(-1)!, /^n OK /, 'an established session survives the reload');
  held.c.close();
});

test('the per-user-and-IP limit holds across the two proxies', async () => {
  await new Promise((r) => setTimeout(r, 300)); // kicked sessions' slots are released
  const one = await login(p1.port('imap'), ALICE, 'x');
  const two = await login(p2.port('imap'), ALICE, 'y');
  assert.match(one.reply, /^x OK /);
  assert.match(two.reply, /^y OK /);
  const three = await login(p1.port('imap'), ALICE, 'z');
  assert.match(three.reply, /^z NO \[LIMIT\] /);
  for (const c of [one.c, two.c, three.c]) c.close();
});

test('a proxy under 1,000 connections from many 127.0.0.x addresses stays responsive', async () => {
  const port = p1.port('imap');
  const held: net.Socket[] = [];
  try {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => new Promise<void>((resolve, reject) => {
        const n = batch * 100 + i;
        const s = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${2 + (n % 249)}` });
        held.push(s);
        s.once('error', reject);
        s.once('data', () => resolve()); // the greeting
        s.setTimeout(20_000, () => reject(new Error(`connection ${n}: no greeting`)));
      })));
    }
    assert.equal(held.length, 1000);
    const t0 = Date.now();
    const { c, reply } = await login(port, BOB);
    const ms = Date.now() - t0;
    assert.match(reply, /^a OK /);
    assert.ok(ms < 5000, `login took ${ms} ms under 1,000 connections`);
    assert.match((await c.cmd('s', 'SELECT INBOX', 5000)).at(-1)!, /^s OK /);
    c.close();
  } finally {
    for (const s of held) s.destroy();
  }
});

test('backend B down: B\'s users get NO [UNAVAILABLE], LMTP 451 for them, A unaffected; mailctl backends shows B open', async () => {
  await siteB.stop('SIGKILL');
  for (let i = 0; i < 4; i++) {
    const { c, reply } = await login(p1.port('imap'), BOB, 't');
    assert.match(reply, /^t NO \[UNAVAILABLE\] /);
    c.close();
  }
  const a = await login(p1.port('imap'), ALICE, 'u');
  assert.match(a.reply, /^u OK /);
  a.c.close();
  let backends = '';
  for (let i = 0; i < 20; i++) {
    backends = (await mailctl(p1, 'backends')).out;
    if (/site-b\.test \(imap\)\s+\S+\s+open/.test(backends)) break;
    const { c } = await login(p1.port('imap'), BOB, 'v'); // each process has its own breaker: feed them
    c.close();
  }
  assert.match(backends, /site-b\.test \(imap\)\s+127\.0\.0\.1:\d+\s+open/);
  assert.match(backends, /site-a\.test \(imap\)\s+127\.0\.0\.1:\d+\s+closed/);
  const r = await lmtp(p1.port('lmtp'), ['alice@example.org', 'bob@example.org'], 'From: s@elsewhere.test\nSubject: split\n\nhalf');
  const replies = [...r.rcpt.filter((x) => !x.startsWith('250')), ...r.data];
  assert.ok(r.rcpt[0]!.startsWith('250'), r.rcpt.join('\n'));
  // Bob's 451 comes at RCPT (breaker open / connect failed) or after DATA (RFC 2033 per-recipient reply).
  assert.ok(replies.some((x) => /^451 4\.4\./.test(x)), JSON.stringify(r));
  assert.ok(r.data.some((x) => x.startsWith('250')), JSON.stringify(r));
  assert.equal(lmtpB > 0 && imapB.port > 0, true);
});
