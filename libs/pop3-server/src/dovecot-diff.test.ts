/**
 * Differential test against Debian's dovecot-pop3d on one Maildir: STAT, LIST and UIDL replies must
 * be identical (pop3_uidl_format %08Xu%08Xv), whichever server saw the Maildir first, and after a
 * DELE+QUIT on our side. Clients moving from Dovecot must not download everything again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MaildirStore } from '../../maildir/src/index.js';
import { startDovecot, chownTree, dovecotVersion, type DovecotInstance } from '../../../loadtest/lib/dovecot.js';
import { generateMaildir, copyMaildir } from '../../../loadtest/lib/maildir-gen.js';
import { Pop3Server } from './server.js';
import { Pop3Client, TestDirectory, USERS, homeOf, testCert } from './testing.js';

let dir: string;
let dovecot: DovecotInstance;
let ours: Pop3Server;
let store: MaildirStore;
let oursPort: number;
let dovecotPop3: number;
const DOMAIN = 'example.org';

before(async () => {
  if (!dovecotVersion()) throw new Error('dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d (scripts/test-deps.sh)');
  if (!existsSync('/usr/lib/dovecot/pop3')) throw new Error('dovecot-pop3d is not installed: apt-get install dovecot-pop3d (scripts/test-deps.sh)');
  dir = await mkdtemp(join(tmpdir(), 'pop3-diff-'));
  await chmod(dir, 0o755); // Dovecot's auth and mail processes (dovecot, nobody) must reach their files
  const root = join(dir, 'mail');
  // alice: Dovecot sees it first; bob: we see it first (a copy of the same messages).
  generateMaildir({ dir: join(root, DOMAIN, 'alice', 'Maildir'), messages: 60, seed: 7 });
  copyMaildir(join(root, DOMAIN, 'alice', 'Maildir'), join(root, DOMAIN, 'bob', 'Maildir'), false);
  // carol: migrated mail, a dovecot-uidlist with POP3 UIDLs ("P" fields) for some messages.
  const carol = join(root, DOMAIN, 'carol', 'Maildir');
  copyMaildir(join(root, DOMAIN, 'alice', 'Maildir'), carol, false);
  const bases = readdirSync(join(carol, 'cur')).sort().map((f) => f.split(':2,')[0]!);
  writeFileSync(join(carol, 'dovecot-uidlist'), `3 V1700000001 N${bases.length + 1}\n`
    + bases.map((b, i) => `${i + 1} ${i % 3 === 0 ? `Pmigrated-${i}.x ` : ''}:${b}\n`).join(''));
  USERS['carol@example.org'] = 'carolpw';
  chownTree(root);
  const base = 20000 + Math.floor(Math.random() * 20000);
  dovecotPop3 = base + 1;
  dovecot = await startDovecot({
    dir: join(dir, 'dovecot'), mailRoot: root, port: base, pop3Port: dovecotPop3,
    users: [{ user: 'alice@example.org', password: 'alicepw' }, { user: 'bob@example.org', password: 'bobpw' }, { user: 'carol@example.org', password: 'carolpw' }],
  });
  const { key, cert } = await testCert();
  store = new MaildirStore({ hostname: 'test.host', fsync: false });
  ours = new Pop3Server({
    store, directory: new TestDirectory(), logger: pino({ level: 'silent' }), metrics: new Registry(),
    tls: tls.createSecureContext({ key, cert }),
    config: {
      hostname: 'pop3.test', allowPlaintextAuth: true, mailHome: (u) => homeOf(root, u.user), uidlFormat: '%08Xu%08Xv',
      workarounds: ['outlook-no-nuls', 'oe-ns-eoh'], lockSessions: false, idleTimeoutMs: 600_000, maxUserIpConnections: 10,
    },
  });
  oursPort = await ours.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
});

after(async () => {
  await ours?.close();
  await store?.close();
  await dovecot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Listing { stat: string; list: string[]; uidl: string[] }

async function listing(port: number, user: string, pw: string, dele: number[] = []): Promise<Listing> {
  const c = await Pop3Client.connect(port);
  await c.line();
  assert.equal(await c.cmd(`USER ${user}`), '+OK');
  assert.match(await c.cmd(`PASS ${pw}`), /^\+OK/);
  const stat = await c.cmd('STAT');
  const [, list] = await c.multi('LIST');
  const [, uidl] = await c.multi('UIDL');
  for (const n of dele) assert.match(await c.cmd(`DELE ${n}`), /^\+OK/);
  assert.match(await c.cmd('QUIT'), /^\+OK/);
  await c.closedByServer();
  return { stat, list, uidl };
}

test('dovecot first, then ours: STAT, LIST and UIDL are identical', async (t) => {
  t.diagnostic(dovecot.version);
  const d = await listing(dovecotPop3, 'alice@example.org', 'alicepw');
  const o = await listing(oursPort, 'alice@example.org', 'alicepw');
  assert.equal(d.list.length, 60);
  assert.equal(o.stat, d.stat);
  assert.deepEqual(o.list, d.list);
  assert.deepEqual(o.uidl, d.uidl);
  assert.match(o.uidl[0]!, /^1 [0-9a-f]{16}$/);
});

test('ours first, then dovecot; and after our DELE+QUIT dovecot agrees on what is left', async () => {
  const o = await listing(oursPort, 'bob@example.org', 'bobpw', [2, 5]);
  chownTree(join(dir, 'mail'));
  const d = await listing(dovecotPop3, 'bob@example.org', 'bobpw');
  const o2 = await listing(oursPort, 'bob@example.org', 'bobpw');
  assert.equal(d.list.length, 58);
  assert.deepEqual(o2.list, d.list);
  assert.deepEqual(o2.uidl, d.uidl);
  assert.equal(o2.stat, d.stat);
  const left = o.uidl.filter((_, i) => i !== 1 && i !== 4).map((l) => l.split(' ')[1]);
  assert.deepEqual(d.uidl.map((l) => l.split(' ')[1]), left);
});

test('migrated mail: UIDLs stored in dovecot-uidlist ("P" field) are sent as Dovecot sends them', async () => {
  const o = await listing(oursPort, 'carol@example.org', 'carolpw');
  const d = await listing(dovecotPop3, 'carol@example.org', 'carolpw');
  assert.deepEqual(o.uidl, d.uidl);
  assert.equal(o.uidl[0], '1 migrated-0.x');
  assert.equal(o.uidl[1], '2 000000026553f101');
  assert.deepEqual(o.list, d.list);
});
