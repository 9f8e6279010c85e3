/**
 * IDLE hibernation (hibernate.ts) over real sockets: the session hibernates after
 * hibernateTimeoutMs, wakes for a delivery by another process, for changes by another session, for
 * DONE, kick, autologout and shutdown, and behaves as before (RFC 2177, RFC 3501 §7, §5.4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { readdirSync, readlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ImapServer } from './server.js';
import type { ImapServerConfig } from './deps.js';
import { WakeQueue } from './hibernate.js';
import { MaildirStore } from '../../maildir/src/store.js';
import { MemoryRegistry } from '../../registry/src/memory.js';
import { sleepingFolders } from '../../maildir/src/sleepers.js';
import { RawClient, TestDirectory, USERS, appendRaw, message, testCert } from './testing.js';

const run = promisify(execFile);

interface H { server: ImapServer; store: MaildirStore; port: number; dir: string; metrics: Registry; registry: MemoryRegistry; close(): Promise<void> }

async function start(over: Partial<ImapServerConfig>): Promise<H> {
  const dir = await mkdtemp(join(tmpdir(), 'imap-hib-'));
  const { key, cert } = await testCert();
  const store = new MaildirStore({ hostname: 'test.host', fsync: false });
  const metrics = new Registry();
  const registry = new MemoryRegistry('imap.test');
  const config: ImapServerConfig = {
    hostname: 'imap.test', allowPlaintextAuth: true,
    mailHome: (u) => join(dir, u.user.split('@')[1]!, u.user.split('@')[0]!),
    autoMailboxes: {}, specialUse: {}, maxMessageSize: 10 * 1024 * 1024,
    idleTimeoutMs: 30 * 60 * 1000, maxUserIpConnections: 50, hibernateTimeoutMs: 150, ...over,
  };
  const server = new ImapServer({
    store, directory: new TestDirectory(), logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), metrics,
    tls: tls.createSecureContext({ key, cert }), config, registry,
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  return {
    server, store, port, dir, metrics, registry,
    async close() { await server.close(); await store.close(); await rm(dir, { recursive: true, force: true }); },
  };
}

async function login(h: H, user = 'alice@example.org'): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  await c.line();
  const r = await c.cmd('L', `LOGIN ${user} ${USERS[user]}`);
  assert.match(r.at(-1)!, /^L OK/);
  return c;
}

async function gauge(h: H): Promise<number> {
  const m = await h.metrics.getSingleMetric('imap_hibernated_sessions')!.get();
  return m.values[0]?.value ?? 0;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The maildir holding `new/` for INBOX of a user (found on disk: the test does not assume the layout). */
async function inboxDir(root: string): Promise<string> {
  const walk = async (d: string): Promise<string | null> => {
    const names = await readdir(d);
    if (names.includes('new') && names.includes('cur') && names.includes('tmp')) return d;
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(d, n);
      if ((await stat(p)).isDirectory()) { const r = await walk(p); if (r) return r; }
    }
    return null;
  };
  const r = await walk(root);
  if (!r) throw new Error('no maildir under ' + root);
  return r;
}

test('hibernates after the timeout; another process delivers, another session flags and expunges; DONE answers', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    const b = await login(h);
    await appendRaw(b, 'INBOX', message('first'));
    const sel = await a.cmd('s', 'SELECT INBOX');
    assert.ok(sel.includes('* 1 EXISTS'));
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    assert.equal(h.server.hibernation.size, 1);

    // A delivery by another process (Maildir: write in tmp/, rename into new/) wakes it.
    const maildir = await inboxDir(join(h.dir, 'example.org', 'alice'));
    const t0 = Date.now();
    const name = `${Math.floor(Date.now() / 1000)}.P999Q1.other.host`;
    await run('sh', ['-c', 'printf "%s" "$1" > "$2/tmp/$3" && mv "$2/tmp/$3" "$2/new/$3"', 'sh', message('from outside'), maildir, name]);
    assert.equal(await a.line(1000), '* 2 EXISTS');
    assert.ok(Date.now() - t0 < 1000, `EXISTS after ${Date.now() - t0} ms`);
    assert.match(await a.line(1000), /^\* \d+ RECENT$/);

    // Back to sleep, then a flag change by another session of this process.
    await until(async () => (await gauge(h)) === 1);
    const s2 = await b.cmd('b1', 'SELECT INBOX');
    assert.match(s2.at(-1)!, /^b1 OK/);
    await b.cmd('b2', 'STORE 1 +FLAGS (\\Flagged)');
    assert.match(await a.line(1000), /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged \\Recent\)\)$/);

    // And an expunge: RFC 3501 §7.4.1 allows EXPUNGE during IDLE.
    await until(async () => (await gauge(h)) === 1);
    await b.cmd('b3', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    const fl = await a.line(1000);
    assert.match(fl, /^\* 1 FETCH \(UID 1 FLAGS \(\\Deleted \\Flagged \\Recent\)\)$/);
    await b.cmd('b4', 'EXPUNGE');
    assert.equal(await a.line(1000), '* 1 EXPUNGE');

    // DONE wakes it and gets the tagged OK; the session goes on as before.
    await until(async () => (await gauge(h)) === 1);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    assert.equal(await gauge(h), 0);
    const f = await a.cmd('f', 'UID FETCH 1:* (FLAGS)');
    assert.equal(f.length, 2);
    assert.match(f[0]!, /^\* 1 FETCH \(UID 2 FLAGS \(\\Recent\)\)$|^\* 1 FETCH \(FLAGS \(\\Recent\) UID 2\)$/);
    assert.match(f.at(-1)!, /^f OK/);
    // A second IDLE hibernates again; input other than DONE is BAD, as without hibernation.
    a.send('j IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    a.send('NOOP\r\n');
    assert.equal(await a.line(1000), 'j BAD Expected DONE');
    const n = await a.cmd('n', 'NOOP');
    assert.match(n.at(-1)!, /^n OK/);
    a.close(); b.close();
  } finally {
    await h.close();
  }
});

test('a hibernated CONDSTORE session gets MODSEQ in its FETCH updates (RFC 7162 §3.2)', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    const b = await login(h);
    await appendRaw(b, 'INBOX', message('one'));
    await a.cmd('e', 'ENABLE CONDSTORE');
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('b1', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    const st = await b.cmd('b2', 'STORE 1 +FLAGS ($Work)');
    const modseq = /MODSEQ \((\d+)\)/.exec(st.join(' '))?.[1];
    const f = await a.line(1000);
    assert.match(f, /^\* 1 FETCH \(UID 1 FLAGS \(\$Work \\Recent\) MODSEQ \((\d+)\)\)$/);
    if (modseq) assert.ok(f.includes(`MODSEQ (${modseq})`));
    // The keyword new to the mailbox is announced too (RFC 3501 §7.2.6), from the kept keyword list.
    assert.match(await a.line(1000), /^\* FLAGS \(.*\$Work\)$/);
    assert.match(await a.line(1000), /^\* OK \[PERMANENTFLAGS /);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    a.close(); b.close();
  } finally {
    await h.close();
  }
});

test('kick closes a hibernated session with BYE; shutdown too', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    const b = await login(h, 'bob@example.org');
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    b.send('i IDLE\r\n'); // IDLE in the authenticated state (RFC 2177 allows it)
    assert.equal(await b.line(), '+ idling');
    await until(async () => (await gauge(h)) === 2);
    const k = await h.registry.kick({ userMask: 'alice@example.org' });
    assert.equal(k.kicked, 1);
    assert.equal(await a.line(1000), '* BYE Disconnected by administrator.');
    await until(() => a.closed);
    await until(() => h.server.connections() === 1);
    assert.equal(await gauge(h), 1);
    assert.equal((await h.registry.list({ userMask: 'alice@example.org' })).length, 0);
    // Server shutdown reaches the other hibernated session.
    const closing = h.server.close();
    assert.equal(await b.line(1000), '* BYE Server shutting down.');
    b.close();
    await closing;
    assert.equal(await gauge(h), 0);
  } finally {
    await h.close();
  }
});

test('the autologout timer still applies to a hibernated session (RFC 3501 §5.4)', async () => {
  const h = await start({ idleTimeoutMs: 800, hibernateTimeoutMs: 100 });
  try {
    const a = await login(h);
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    assert.equal(await a.line(2000), '* BYE Disconnected for inactivity.');
    await until(() => a.closed, 4000);
    await until(() => h.server.connections() === 0);
    assert.equal(await gauge(h), 0);
  } finally {
    await h.close();
  }
});

test('hibernateTimeoutMs 0 never hibernates', async () => {
  const h = await start({ hibernateTimeoutMs: 0 });
  try {
    const a = await login(h);
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(h.server.hibernation.size, 0);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    a.close();
  } finally {
    await h.close();
  }
});

/** Descriptors of this process open on anything under `dir`. */
function fdsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const t = readlinkSync(`/proc/self/fd/${fd}`); if (t.startsWith(dir)) out.push(t); } catch { /* closed meanwhile */ }
  }
  return out;
}

/** The file in cur/ or new/ of `maildir` holding the message with this subject. */
async function fileOf(maildir: string, subject: string): Promise<string> {
  for (const sub of ['cur', 'new']) {
    for (const n of await readdir(join(maildir, sub))) {
      const p = join(maildir, sub, n);
      if ((await readFile(p, 'latin1')).includes(`Subject: ${subject}\r\n`)) return p;
    }
  }
  throw new Error(`no file for ${subject}`);
}

test('while hibernated the folder is closed (no state, no descriptor); the account and the registry entry stay usable', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    for (const x of ['one', 'two']) await appendRaw(a, 'INBOX', message(x));
    await a.cmd('s', 'SELECT INBOX');
    const env = await a.cmd('f', 'FETCH 1:* (ENVELOPE)');
    assert.match(env.at(-1)!, /^f OK/);
    const home = join(h.dir, 'example.org', 'alice');
    assert.ok(fdsUnder(home).length > 0, 'the caches are open while selected');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    // Closing writes the index and then closes the caches: wait for it, bounded.
    await until(() => fdsUnder(home).length === 0, 2000);
    assert.equal(h.store.openFolders, 0, 'no folder state kept for the sleeper');
    assert.equal(sleepingFolders(), 1);
    // who: the hibernated session is still registered.
    assert.equal((await h.registry.list({ userMask: 'alice@example.org' })).length, 1);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    assert.equal(h.store.openFolders, 1);
    assert.equal(sleepingFolders(), 0);
    const f = await a.cmd('f2', 'UID FETCH 1:* (FLAGS)');
    assert.equal(f.length, 3);
    const st = await a.cmd('t', 'STATUS INBOX (MESSAGES)');
    assert.match(st[0]!, /MESSAGES 2/);
    a.close();
  } finally {
    await h.close();
  }
});

test('changes by another process while asleep: flag change and expunges come with the sequence numbers the client knows (RFC 3501 §7.4.1)', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    for (const x of ['m1', 'm2', 'm3', 'm4', 'm5']) await appendRaw(a, 'INBOX', message(x));
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    await until(() => h.store.openFolders === 0);
    const maildir = await inboxDir(join(h.dir, 'example.org', 'alice'));
    const [f2, f3, f4] = await Promise.all([fileOf(maildir, 'm2'), fileOf(maildir, 'm3'), fileOf(maildir, 'm4')]);
    // Another process: expunges 2 and 4 (unlink), flags 3 (rename: Maildir flags live in the name).
    const flagged = f3.includes(':2,') ? `${f3.slice(0, f3.indexOf(':2,'))}:2,F` : `${f3}:2,F`;
    await run('sh', ['-c', 'rm -f "$1" "$2" && mv "$3" "$4"', 'sh', f2, f4, f3, flagged]);
    assert.match(await a.line(1000), /^\* 3 FETCH \(UID 3 FLAGS \(\\Flagged \\Recent\)\)$/);
    assert.equal(await a.line(1000), '* 4 EXPUNGE');
    assert.equal(await a.line(1000), '* 2 EXPUNGE');
    await until(async () => (await gauge(h)) === 1);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    const f = await a.cmd('f', 'FETCH 1:* (UID)');
    assert.deepEqual(f.slice(0, -1), ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', '* 3 FETCH (UID 5)']);
    a.close();
  } finally {
    await h.close();
  }
});

test("a delivery by another process running our store (deliver's path) reaches a hibernated IDLE within a second", async () => {
  const h = await start({});
  try {
    const a = await login(h);
    await appendRaw(a, 'INBOX', message('first'));
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    await until(() => h.store.openFolders === 0);
    const storeJs = new URL('../../maildir/src/store.js', import.meta.url).href;
    const script = `
      import { Readable } from 'node:stream';
      import { MaildirStore } from ${JSON.stringify(storeJs)};
      const store = new MaildirStore({ hostname: 'other.host', fsync: false });
      const acc = await store.openAccount({ user: 'alice@example.org', home: process.argv[1] });
      await acc.append('INBOX', Readable.from([Buffer.from(${JSON.stringify(message('delivered'))})]), { delivery: true, lazyUid: true });
      await store.close();`;
    await run(process.execPath, ['--input-type=module', '-e', script, join(h.dir, 'example.org', 'alice')]);
    const t0 = Date.now();
    assert.equal(await a.line(1000), '* 2 EXISTS');
    assert.ok(Date.now() - t0 < 1000, `EXISTS ${Date.now() - t0} ms after the delivering process ended`);
    assert.match(await a.line(1000), /^\* 2 RECENT$/);
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    a.close();
  } finally {
    await h.close();
  }
});

test('a changed UIDVALIDITY found on wake ends the session with BYE (RFC 3501 §2.3.1.1)', async () => {
  const h = await start({});
  try {
    const a = await login(h);
    await appendRaw(a, 'INBOX', message('first'));
    await a.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    await until(async () => (await gauge(h)) === 1);
    await until(() => h.store.openFolders === 0);
    const maildir = await inboxDir(join(h.dir, 'example.org', 'alice'));
    // Another process renumbers the folder (a new dovecot-uidlist), then a message arrives.
    const ul = join(maildir, 'dovecot-uidlist');
    const text = await readFile(ul, 'utf8');
    const v = Number(/ V(\d+)/.exec(text)![1]);
    await writeFile(`${ul}.new`, text.replace(/ V\d+/, ` V${v + 1000}`));
    await rename(`${ul}.new`, ul);
    await unlink(join(maildir, 'mailstore.index')).catch(() => undefined);
    const name = `${Math.floor(Date.now() / 1000)}.P998Q1.other.host`;
    await run('sh', ['-c', 'printf "%s" "$1" > "$2/tmp/$3" && mv "$2/tmp/$3" "$2/new/$3"', 'sh', message('new'), maildir, name]);
    assert.equal(await a.line(1000), '* BYE Mailbox UIDVALIDITY changed; reconnect.');
    await until(() => a.closed, 3000);
    await until(() => h.server.connections() === 0);
    assert.equal(await gauge(h), 0);
  } finally {
    await h.close();
  }
});

test("one client's wake does not wake the same user's other hibernated session (its re-open is no change)", async () => {
  const h = await start({});
  try {
    const a = await login(h);
    const b = await login(h);
    await appendRaw(a, 'INBOX', message('first'));
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('s', 'SELECT INBOX');
    a.send('i IDLE\r\n');
    b.send('j IDLE\r\n');
    assert.equal(await a.line(), '+ idling');
    assert.equal(await b.line(), '+ idling');
    await until(async () => (await gauge(h)) === 2);
    await until(() => h.store.openFolders === 0);
    // Without its index the re-open builds the folder afresh from the disk (no change to tell anyone).
    await unlink(join(await inboxDir(join(h.dir, 'example.org', 'alice')), 'mailstore.index'));
    a.send('DONE\r\n');
    assert.equal(await a.line(1000), 'i OK IDLE terminated');
    // Shorter than the 150 ms hibernate timeout: a woken b would not be asleep again yet.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(h.server.hibernation.size, 1);
    // A real change still wakes it.
    await appendRaw(a, 'INBOX', message('second'));
    assert.equal(await b.line(1000), '* 2 EXISTS');
    b.send('DONE\r\n');
    assert.match(await b.line(1000), /^\* \d+ RECENT$|^j OK IDLE terminated$/);
    a.close(); b.close();
  } finally {
    await h.close();
  }
});

test('the wake queue runs at most its limit at once, in arrival order', async () => {
  const q = new WakeQueue(2);
  let running = 0, peak = 0;
  const started: number[] = [];
  const gates: Array<() => void> = [];
  const all = [0, 1, 2, 3, 4].map((i) => q.run(async () => {
    started.push(i);
    running++; peak = Math.max(peak, running);
    await new Promise<void>((r) => gates.push(r));
    running--;
    return i;
  }));
  for (let k = 0; k < 5; k++) {
    await until(() => gates.length > 0);
    gates.shift()!();
  }
  assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
});
