import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { MailError } from '../../core/src/errors.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { AccountRef, AppendOptions, MailAccount, MailStore } from '../../mailstore/src/types.js';
import { deliverMessage } from './deliver.js';
import { mailHome } from './home.js';
import { stripMboxFromLine } from './from-line.js';

const alice: UserRecord = { user: 'alice@example.org', aliases: ['postmaster@example.org'], homeServer: null, quotaBytes: 1024, forwards: [], forwardCopyToSelf: false, disabled: false };

const directory: Directory = {
  async authenticate() { return null; },
  async lookup(a) { return ['alice@example.org', 'postmaster@example.org'].includes(a.toLowerCase()) ? alice : null; },
  async resolve(a) { const u = await this.lookup(a); return u ? { kind: 'user', user: u } : null; },
  async sharedFolders() { return []; },
  async domains() { return ['example.org']; },
  async close() {},
};

/** A store that records what it is asked (the real engine has its own contract suite). */
function fakeStore(opts: { badNames?: string[] } = {}) {
  const log: string[] = [];
  const boxes = new Map<string, Buffer[]>([['INBOX', []]]);
  const refs: AccountRef[] = [];
  const account: MailAccount = {
    user: 'alice@example.org',
    async list() { return []; },
    async create(name) {
      if (opts.badNames?.includes(name)) throw new MailError('BADNAME', 'bad');
      if (boxes.has(name)) throw new MailError('EXISTS', 'exists');
      boxes.set(name, []); log.push(`create ${name}`);
    },
    async delete() {}, async rename() {},
    async subscribe(name) { log.push(`subscribe ${name}`); },
    async unsubscribe() {},
    async status() { throw new Error('n/a'); },
    async open() { throw new Error('n/a'); },
    async append(name: string, message: Readable, o?: AppendOptions) {
      const chunks: Buffer[] = [];
      for await (const c of message) chunks.push(c as Buffer);
      const b = Buffer.concat(chunks);
      boxes.get(name)!.push(b);
      log.push(`append ${name} delivery=${o?.delivery}`);
      return { uidValidity: 7, uid: boxes.get(name)!.length, size: b.length };
    },
    async quota() { throw new Error('n/a'); },
    async close() { log.push('close'); },
  };
  const store: MailStore = { async openAccount(ref) { refs.push(ref); return account; }, async close() {} };
  return { store, log, boxes, refs };
}

const cfg = { mailHome: (u: UserRecord) => mailHome('/srv/mail', u.user) };

test('delivers to INBOX as a delivery, through an alias, into <mailRoot>/<domain>/<localpart>', async () => {
  const f = fakeStore();
  const r = await deliverMessage(f.store, directory, cfg, 'Postmaster@example.org', Readable.from([Buffer.from('Subject: x\r\n\r\nhi\r\n')]));
  assert.deepEqual(r, { user: 'alice@example.org', mailbox: 'INBOX', uid: 1, uidValidity: 7, size: 18, fellBackToInbox: false });
  assert.deepEqual(f.refs, [{ user: 'alice@example.org', home: '/srv/mail/example.org/alice', quotaBytes: 1024 }]);
  assert.deepEqual(f.log, ['append INBOX delivery=true', 'close']);
});

test('named folder is created and subscribed when missing, reused when present', async () => {
  const f = fakeStore();
  await deliverMessage(f.store, directory, cfg, 'alice@example.org', Readable.from([Buffer.from('a\r\n')]), 'Lists/Node');
  await deliverMessage(f.store, directory, cfg, 'alice@example.org', Readable.from([Buffer.from('b\r\n')]), 'Lists/Node');
  assert.deepEqual(f.log, ['create Lists/Node', 'subscribe Lists/Node', 'append Lists/Node delivery=true', 'close', 'append Lists/Node delivery=true', 'close']);
});

test('an unusable folder name falls back to INBOX (mail is not refused for it)', async () => {
  const f = fakeStore({ badNames: ['Bad'] });
  const r = await deliverMessage(f.store, directory, cfg, 'alice@example.org', Readable.from([Buffer.from('a\r\n')]), 'Bad');
  assert.equal(r.mailbox, 'INBOX');
  assert.equal(r.fellBackToInbox, true);
});

test('unknown recipient is NOTFOUND and nothing is opened', async () => {
  const f = fakeStore();
  await assert.rejects(deliverMessage(f.store, directory, cfg, 'nobody@example.org', Readable.from([Buffer.from('x')])),
    (e: unknown) => e instanceof MailError && e.code === 'NOTFOUND');
  assert.deepEqual(f.refs, []);
});

test('a failing input stream fails the delivery and the account is closed', async () => {
  const f = fakeStore();
  const src = new Readable({ read() { this.destroy(new Error('stdin broke')); } });
  await assert.rejects(deliverMessage(f.store, directory, cfg, 'alice@example.org', src), /stdin broke|premature/i);
  assert.deepEqual(f.log, ['close']);
});

async function strip(chunks: string[]): Promise<string> {
  let out = '';
  for await (const c of Readable.from(chunks.map((s) => Buffer.from(s))).pipe(stripMboxFromLine())) out += (c as Buffer).toString();
  return out;
}

test('a leading mbox "From " line is dropped (as dovecot-lda does), even split across chunks; others kept', async () => {
  assert.equal(await strip(['From MAILER-DAEMON Tue Nov 24 10:00:00 2026\nSubject: a\n\nb\n']), 'Subject: a\n\nb\n');
  assert.equal(await strip(['Fr', 'om x@y Tue', ' Nov\r\nSubject: a\r\n']), 'Subject: a\r\n');
  assert.equal(await strip(['Subject: From \n\nFrom here\n']), 'Subject: From \n\nFrom here\n');
  assert.equal(await strip(['Fro']), 'Fro');
  assert.equal(await strip(['']), '');
});

test('mailHome refuses addresses that would leave the mail root', () => {
  assert.equal(mailHome('/m', 'Bob@Example.ORG'), '/m/example.org/bob');
  for (const a of ['../x@example.org', 'x@../etc', 'a/b@example.org', 'nodomain', '@example.org', '.x@example.org']) {
    assert.throws(() => mailHome('/m', a), (e: unknown) => e instanceof MailError, a);
  }
});
