/**
 * Reload of a proxy node (issue 6: "reload (the admin command, or SIGHUP to a node) makes every node take
 * the new configuration; established sessions are not dropped"), over real sockets: two backend mail nodes
 * (IMAP, LMTP, quota-status) and a proxy process. alice's home server site-a.test is re-pointed at the
 * site-b backend in every map and the proxy gets SIGHUP: new IMAP logins, LMTP deliveries and quota-status
 * requests go to site-b; the IMAP session opened before stays up on site-a; a changed listener key is
 * logged as needing a restart and the listener is kept.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { USERS, mailFiles, startProc, writeBackendConfig, writeProxyConfig, writeUsers, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-reload-'));
const procs: Proc[] = [];
let a: Proc, b: Proc, proxy: Proc;
let proxyCfg = '';

function backendConfig(name: string): string {
  const path = writeBackendConfig(dir, name, 0);
  // quota-status answers differ per backend, so a relayed answer shows which backend gave it.
  writeFileSync(path, readFileSync(path, 'utf8')
    .replace('quotaStatus: { port: null }', `quotaStatus: { host: 127.0.0.1, port: 0, success: "OK ${name}" }`)
    .replace('lmtp: { port: null, socket: false }', 'lmtp: { host: 127.0.0.1, port: 0, socket: false }'));
  return path;
}

/** The proxy's config with every map pointing home server site-a.test at `siteA` (a backend process). */
function proxyConfig(siteA: Proc, opts: { imapTlsPort: string; logLevel: string } = { imapTlsPort: '0', logLevel: 'info' }): string {
  const path = writeProxyConfig(dir, 'proxy1', { 'site-a.test': siteA.port('imap'), 'site-b.test': b.port('imap') }, 'quotaStatus: { host: 127.0.0.1, port: 0 }');
  const map = (key: string, service: string) => `  ${key}:\n    site-a.test: 127.0.0.1:${siteA.port(service)}\n    site-b.test: 127.0.0.1:${b.port(service)}\n`;
  writeFileSync(path, readFileSync(path, 'utf8').replace('  imapTlsPort: 0\n', `  imapTlsPort: ${opts.imapTlsPort}\n`).replace('log: { level: info }', `log: { level: ${opts.logLevel} }`)
    + `  lmtpPort: 0\n${map('lmtpBackends', 'lmtp')}${map('quotaStatusBackends', 'quota-status')}`);
  return path;
}

before(async () => {
  writeUsers(dir);
  a = startProc('mail', backendConfig('site-a.test'));
  b = startProc('mail', backendConfig('site-b.test'));
  procs.push(a, b);
  await Promise.all([a.waitFor(/ready/), b.waitFor(/ready/)]);
  proxyCfg = proxyConfig(a);
  proxy = startProc('proxy', proxyCfg);
  procs.push(proxy);
  await proxy.waitFor(/^proxy node proxy1 ready/m);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
});

let tagN = 0;
/** Sends one command; returns its lines up to the tagged reply. */
async function imap(c: RawClient, command: string): Promise<string[]> {
  const tag = `t${++tagN}`;
  c.send(`${tag} ${command}\r\n`);
  const out: string[] = [];
  for (;;) { const l = await c.line(); out.push(l); if (l.startsWith(`${tag} `)) return out; }
}

async function append(c: RawClient, subject: string): Promise<string> {
  const msg = `From: t@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
  const tag = `t${++tagN}`;
  c.send(`${tag} APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
  for (;;) { const l = await c.line(); if (l.startsWith(`${tag} `)) return l; }
}

async function login(): Promise<RawClient> {
  const c = await RawClient.connect(proxy.port('imap'));
  await c.line();
  assert.match((await imap(c, `LOGIN ${USERS.alice.user} ${USERS.alice.password}`)).at(-1)!, /^t\d+ OK /);
  return c;
}

const files = (site: string) => mailFiles(join(dir, site)).filter((f) => !f.includes('dovecot')).length;

/** One LMTP transaction to the proxy; returns the reply to the end of DATA. */
function lmtpDeliver(port: number, rcpt: string, subject: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const steps = ['LHLO test\r\n', 'MAIL FROM:<t@example.org>\r\n', `RCPT TO:<${rcpt}>\r\n`, 'DATA\r\n', `Subject: ${subject}\r\n\r\nhi\r\n.\r\n`, 'QUIT\r\n'];
    const replies: string[] = [];
    s.setTimeout(20_000, () => { s.destroy(); reject(new Error(`lmtp timeout: ${replies.join(' | ')}`)); });
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^\d{3}-/.test(line)) continue;
        replies.push(line);
        const next = steps.shift();
        if (next) s.write(next); else { s.end(); resolve(replies[5] ?? replies.join(' | ')); }
      }
    });
  });
}

function policy(port: number, recipient: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('policy answer timeout')); });
    s.on('error', reject);
    s.on('data', (c: Buffer) => { buf += c.toString(); const m = /^action=(.*)\n\n/.exec(buf); if (m) { s.end(); resolve(m[1]!); } });
    s.write(`request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=${recipient}\nsize=1\n\n`);
  });
}

test('SIGHUP after re-pointing a home server: new logins, deliveries and quota-status go to the new backend; the established session stays', async () => {
  // Before: alice's home server is the site-a backend.
  const s1 = await login();
  assert.match(await append(s1, 'before reload'), /^t\d+ OK /);
  assert.match(await lmtpDeliver(proxy.port('lmtp'), USERS.alice.user, 'lmtp before'), /^250 /);
  assert.equal(await policy(proxy.port('quota-status'), USERS.alice.user), 'OK site-a.test');
  assert.equal(files('site-a.test'), 2);
  assert.equal(files('site-b.test'), 0);
  const imapsPort = proxy.port('imaps');

  // site-a.test now means the site-b backend (IMAP, LMTP, quota-status); imapTlsPort is a listener key;
  // log.level goes to warn (so the reload's own info line is not logged).
  const count = (msg: string) => proxy.out().split(msg).length - 1;
  const relayedBefore = count('lmtp-proxy: relayed');
  const proxyingBefore = count('"msg":"proxying"');
  assert.equal(relayedBefore, 1);
  assert.equal(proxyingBefore, 1);
  proxyConfig(b, { imapTlsPort: 'null', logLevel: 'warn' });
  proxy.child.kill('SIGHUP');
  await proxy.waitFor(/reload: changed keys need a restart \(listeners and the main process keep the running values; new login processes read them\): proxy\.imapTlsPort"/);

  // A new login goes to the site-b backend: alice's INBOX there is empty, and what she appends lands there.
  const s2 = await login();
  assert.ok((await imap(s2, 'SELECT INBOX')).includes('* 0 EXISTS'));
  assert.match(await append(s2, 'after reload'), /^t\d+ OK /);
  assert.equal(files('site-b.test'), 1);
  assert.match(await lmtpDeliver(proxy.port('lmtp'), USERS.alice.user, 'lmtp after'), /^250 /);
  assert.equal(files('site-b.test'), 2);
  assert.equal(await policy(proxy.port('quota-status'), USERS.alice.user), 'OK site-b.test');
  // log.level warn: the delivery's info line ("lmtp-proxy: relayed") is no longer logged, nor the new login's "proxying".
  assert.equal(count('lmtp-proxy: relayed'), relayedBefore);
  assert.equal(count('"msg":"proxying"'), proxyingBefore);
  assert.doesNotMatch(proxy.out(), /reload: new login processes use/);

  // The session opened before the reload is still up, still relayed to site-a.
  const sel = await imap(s1, 'SELECT INBOX');
  assert.ok(sel.includes('* 2 EXISTS'), sel.join('\n'));
  assert.match((await imap(s1, 'FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).join('\n'), /Subject: before reload/);
  assert.match(await append(s1, 'still on a'), /^t\d+ OK /);
  assert.equal(files('site-a.test'), 3);
  assert.equal(files('site-b.test'), 2);
  s1.close();
  s2.close();

  // The listener whose key changed is kept until a restart.
  const t = tls.connect({ host: '127.0.0.1', port: imapsPort, rejectUnauthorized: false });
  const greeting = await new Promise<string>((resolve, reject) => { t.once('data', (d: Buffer) => resolve(d.toString())); t.once('error', reject); });
  assert.match(greeting, /^\* OK /);
  t.destroy();
});

test('a reload with a configuration error is refused: the running configuration stays, also for login processes started after it', async () => {
  writeFileSync(proxyCfg, readFileSync(proxyCfg, 'utf8').replace(/ {2}masterUser: .*\n/, ''));
  proxy.child.kill('SIGHUP');
  await proxy.waitFor(/reload: configuration has errors; keeping the running one/);
  const s = await login();
  assert.ok((await imap(s, 'SELECT INBOX')).includes('* 2 EXISTS'), 'still routed by the last good configuration (site-b)');
  s.close();
  // Kill the login processes: their replacements load the text the parent accepted last, not the broken file.
  const children = () => readFileSync(`/proc/${proxy.child.pid}/task/${proxy.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const old = children();
  assert.ok(old.length > 0);
  for (const pid of old) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && !children().some((p) => !old.includes(p)); i++) await new Promise((r) => setTimeout(r, 50));
  const again = await login();
  assert.ok((await imap(again, 'SELECT INBOX')).includes('* 2 EXISTS'));
  again.close();
  assert.doesNotMatch(proxy.err(), /login process: cannot start/);
});
