import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import { MaildirStore } from '../../maildir/src/index.js';
import { deliverMessage } from '../../delivery/src/deliver.js';
import { mailHome } from '../../delivery/src/home.js';
import type { UserRecord } from '../../directory/src/types.js';
import { MemoryDirectory } from '../../testing/src/directory.js';
import { decideWarning, readCrossed } from './warning-state.js';
import { QuotaWarner, storeWithQuotaWarnings, warningJob } from './warnings.js';
import { BullmqWarningQueue, InProcessWarningQueue, type WarningQueue } from './warning-queue.js';
import type { WarningTexts } from './warning-message.js';

const roots: string[] = [];
after(async () => { for (const r of roots) await rm(r, { recursive: true, force: true }); });

// The UCS defaults (mail/dovecot/quota/warning/*).
const TEXTS: WarningTexts = {
  subject: 'Quota-Warning',
  texts: { 80: 'Your mailbox has filled up to over $PERCENT%.', 95: 'Attention: Your mailbox has already filled up to over $PERCENT%.' },
  from: null,
};

test('decideWarning: once per upward crossing, highest only when several at once, re-armed after dropping below', () => {
  const T = [80, 95];
  assert.deepEqual(decideWarning(T, [], 79), { warn: null, crossed: [] });
  assert.deepEqual(decideWarning(T, [], 80), { warn: 80, crossed: [80] });
  assert.deepEqual(decideWarning(T, [80], 90), { warn: null, crossed: [80] });
  assert.deepEqual(decideWarning(T, [80], 95), { warn: 95, crossed: [80, 95] });
  assert.deepEqual(decideWarning(T, [80, 95], 99), { warn: null, crossed: [80, 95] });
  assert.deepEqual(decideWarning(T, [80, 95], 85), { warn: null, crossed: [80] });
  assert.deepEqual(decideWarning(T, [80], 96), { warn: 95, crossed: [80, 95] });
  assert.deepEqual(decideWarning(T, [80, 95], 10), { warn: null, crossed: [] });
  assert.deepEqual(decideWarning(T, [], 97), { warn: 95, crossed: [80, 95] });
});

interface Setup { root: string; store: MaildirStore; directory: MemoryDirectory; user: UserRecord; home: string; deps: Parameters<typeof warningJob>[0] }

async function setup(): Promise<Setup> {
  const root = await mkdtemp(join(tmpdir(), 'qwarn-'));
  roots.push(root);
  const store = new MaildirStore({ hostname: 'test.local', fsync: false });
  const directory = new MemoryDirectory({ 'alice@example.org': { password: 'x', quotaBytes: 20_000 } });
  const user = directory.record('alice@example.org');
  const mh = (u: UserRecord) => mailHome(join(root, 'mail'), u.user);
  return {
    root, store, directory, user, home: mh(user),
    deps: { store, directory, mailHome: mh, texts: TEXTS, logger: pino({ level: 'silent' }), fsync: false },
  };
}

/** Delivers 1 KB messages, checking warnings after each, until usage reaches `untilPercent`. */
async function fillTo(s: Setup, warner: QuotaWarner, untilPercent: number): Promise<number[]> {
  const queued: number[] = [];
  for (let i = 0; i < 100; i++) {
    await deliverMessage(s.store, s.directory, { mailHome: s.deps.mailHome }, s.user.user,
      Readable.from([Buffer.from(`Subject: filler ${i}\r\n\r\n${'x'.repeat(1000)}\r\n`)]));
    const w = await warner.check({ user: s.user.user, home: s.home, quotaBytes: s.user.quotaBytes });
    if (w !== null) queued.push(w);
    const acc = await s.store.openAccount({ user: s.user.user, home: s.home, quotaBytes: s.user.quotaBytes });
    const q = await acc.quota();
    await acc.close();
    if (q.storageUsed * 100 >= untilPercent * q.storageLimit!) break;
  }
  return queued;
}

async function warningsInInbox(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    for (const f of await readdir(join(home, 'Maildir', sub)).catch(() => [] as string[])) {
      const text = await readFile(join(home, 'Maildir', sub, f), 'utf8');
      if (!/^Subject: Quota-Warning\r?$/m.test(text)) continue;
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      out.push(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8').trim());
    }
  }
  return out.sort();
}

async function crossingGivesTwoWarnings(queue: WarningQueue, s: Setup): Promise<void> {
  const warner = new QuotaWarner(s.deps, queue);
  assert.deepEqual(await fillTo(s, warner, 96), [80, 95]);
  await queue.idle();
  assert.deepEqual(await warningsInInbox(s.home), [
    'Attention: Your mailbox has already filled up to over 95%.',
    'Your mailbox has filled up to over 80%.',
  ]);
  // The crossed thresholds survive a restart: a new warner does not warn again.
  assert.deepEqual(await readCrossed(s.home), [80, 95]);
  const again = new QuotaWarner(s.deps, queue);
  assert.equal(await again.check({ user: s.user.user, home: s.home, quotaBytes: s.user.quotaBytes }), null);
  await queue.idle();
  assert.equal((await warningsInInbox(s.home)).length, 2);
}

test('crossing 80% then 95% delivers exactly two warnings with the configured texts (in-process jobs)', async () => {
  const s = await setup();
  const queue = new InProcessWarningQueue(warningJob(s.deps), s.deps.logger, 10);
  try {
    await crossingGivesTwoWarnings(queue, s);
  } finally {
    await queue.close();
  }
});

test('crossing 80% then 95% delivers exactly two warnings with the configured texts (bullmq on the real Redis)', async () => {
  const s = await setup();
  const queue = new BullmqWarningQueue(warningJob(s.deps), s.deps.logger, {
    connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }, prefix: `test-quota-${randomBytes(4).toString('hex')}`, worker: true,
  });
  try {
    await crossingGivesTwoWarnings(queue, s);
  } finally {
    await queue.obliterate().catch(() => undefined);
    await queue.close();
  }
});

test('a failing warning job never fails the check (the delivery path); it is retried and logged', async () => {
  const s = await setup();
  let calls = 0;
  const queue = new InProcessWarningQueue(async () => { calls++; throw new Error('relay down'); }, s.deps.logger, 1);
  const warner = new QuotaWarner(s.deps, queue);
  const queued = await fillTo(s, warner, 81);
  assert.deepEqual(queued, [80]);
  await queue.idle();
  assert.equal(calls, 5);
  await queue.close();
});

test('the node store wrapper checks after every append: deliveries alone produce the two warnings', async () => {
  const s = await setup();
  const queue = new InProcessWarningQueue(warningJob(s.deps), s.deps.logger, 10);
  const warner = new QuotaWarner(s.deps, queue);
  const wrapped = storeWithQuotaWarnings(s.store, warner);
  try {
    for (let i = 0; i < 19; i++) {
      await deliverMessage(wrapped, s.directory, { mailHome: s.deps.mailHome }, s.user.user,
        Readable.from([Buffer.from(`Subject: filler ${i}\r\n\r\n${'x'.repeat(1000)}\r\n`)]));
      await warner.idle();
    }
    await queue.idle();
    assert.deepEqual(await warningsInInbox(s.home), [
      'Attention: Your mailbox has already filled up to over 95%.',
      'Your mailbox has filled up to over 80%.',
    ]);
  } finally {
    await queue.close();
  }
});
