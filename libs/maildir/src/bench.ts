/**
 * Large-folder benchmark (not a test): node --import tsx libs/maildir/src/bench.ts [count]
 * Builds a folder of <count> messages directly on disk (as a Dovecot Maildir would look), then times
 * first open (no index), reopen (index present), STATUS, full FLAGS walk, ENVELOPE walk, one append.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { formatUidlist } from './uidlist.js';
import { MaildirStore } from './store.js';

const N = Number(process.argv[2] ?? 100_000);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maildir-bench-'));
  const home = join(dir, 'u');
  const md = join(home, 'Maildir');
  for (const s of ['cur', 'new', 'tmp']) await mkdir(join(md, s), { recursive: true });
  const entries = [];
  let t = Date.now();
  for (let i = 0; i < N; i++) {
    const body = `From: a@example.org\r\nSubject: message ${i}\r\nMessage-ID: <${i}@x>\r\n\r\nbody ${i}\r\n`;
    const base = `${1700000000 + i}.M${i}P1Q${i}.bench,S=${body.length},W=${body.length}`;
    await writeFile(join(md, 'cur', `${base}:2,${i % 3 ? 'S' : ''}`), body);
    entries.push({ uid: i + 1, base, ext: [] as string[] });
  }
  await writeFile(join(md, 'dovecot-uidlist'), formatUidlist({ uidValidity: 1700000000, nextUid: N + 1, guid: '0'.repeat(32), extraHeader: [], entries }));
  console.log(`created ${N} files in ${Date.now() - t} ms`);
  const ref = { user: 'u', home };
  const time = async (label: string, fn: () => Promise<unknown>) => {
    const t0 = process.hrtime.bigint();
    const r = await fn();
    console.log(`${label}: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
    return r;
  };
  let store = new MaildirStore({ fsync: false });
  let acc = await store.openAccount(ref);
  await time('first SELECT (no index, builds it)', async () => { const mb = await acc.open('INBOX'); await mb.sync(); await mb.close(); });
  await store.close();
  store = new MaildirStore({ fsync: false });
  acc = await store.openAccount(ref);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const mem0 = process.memoryUsage().heapUsed;
  const mb = await acc.open('INBOX');
  const snap = await time('SELECT with index (open + sync)', () => mb.sync()) as Awaited<ReturnType<typeof mb.sync>>;
  gc?.();
  console.log(`heap for the folder: ~${Math.round((process.memoryUsage().heapUsed - mem0) / N)} bytes/message${gc ? '' : ' (run with --expose-gc for a real figure)'}`);
  await time('sync again (nothing changed)', () => mb.sync());
  await time('FETCH 1:* FLAGS (walk)', async () => { let n = 0; for (const m of snap.messages) n += m.flags.length; return n; });
  await time('STATUS (shared state)', () => acc.status('INBOX'));
  await time('ENVELOPE 1:2000 (parse + fill cache)', async () => { for (const m of snap.messages.slice(0, 2000)) await mb.structure(m.uid); });
  await time('ENVELOPE 1:2000 (from cache)', async () => { for (const m of snap.messages.slice(0, 2000)) await mb.structure(m.uid); });
  await time('APPEND one message', () => acc.append('INBOX', Readable.from([Buffer.from('Subject: x\r\n\r\ny\r\n')])));
  await time('STORE +FLAGS on 1000', () => mb.store(snap.messages.slice(0, 1000).map((m) => m.uid), 'add', ['\\Flagged']));
  await mb.close();
  await store.close();
  store = new MaildirStore({ fsync: false });
  acc = await store.openAccount(ref);
  await time('STATUS cold (new process, index present)', () => acc.status('INBOX'));
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
