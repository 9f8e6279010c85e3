/** End-to-end with a real client library (imapflow). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startHarness, message, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness({ allowPlaintextAuth: false }); });
after(async () => { await h.close(); });

function client(user = 'alice@example.org', pass = 'alicepw', implicit = false): ImapFlow {
  return new ImapFlow({
    host: 'localhost', port: implicit ? h.tlsPort : h.port, secure: implicit, doSTARTTLS: implicit ? undefined : true,
    tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false, disableAutoIdle: true,
  } as ConstructorParameters<typeof ImapFlow>[0]);
}

test('imapflow: login over STARTTLS and implicit TLS', async () => {
  const a = client();
  await a.connect();
  assert.equal(a.usable, true);
  await a.logout();
  const b = client('alice@example.org', 'alicepw', true);
  await b.connect();
  assert.equal(b.usable, true);
  await b.logout();
  const bad = client('alice@example.org', 'wrong');
  await assert.rejects(bad.connect());
});

test('imapflow: append, fetch, search, store, copy, move, expunge', async () => {
  const c = client();
  await c.connect();
  await c.mailboxCreate('Work');
  await c.mailboxCreate('Archive/2026');
  const list = (await c.list()).map((m) => m.path).sort();
  assert.deepEqual(list, ['Archive', 'Archive/2026', 'INBOX', 'Work']);
  const r1 = await c.append('INBOX', message('first', 'alpha body\r\n'), ['\\Flagged']);
  assert.ok(r1 && r1.uid === 1);
  const r2 = await c.append('INBOX', message('second', 'beta body\r\n'));
  assert.ok(r2 && r2.uid === 2);
  const lock = await c.getMailboxLock('INBOX');
  try {
    assert.equal((c.mailbox as { exists: number }).exists, 2);
    const msgs = [];
    for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, bodyStructure: true, source: true, internalDate: true, size: true })) msgs.push(m);
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]!.envelope!.subject, 'first');
    assert.ok(msgs[0]!.flags!.has('\\Flagged'));
    assert.ok(msgs[0]!.source!.toString().includes('alpha body'));
    assert.equal(msgs[1]!.bodyStructure!.type, 'text/plain');
    assert.equal(msgs[1]!.size, msgs[1]!.source!.length);
    // Non-peek BODY[] set \Seen? imapflow uses BODY.PEEK, so still unseen.
    const unseen = await c.search({ seen: false });
    assert.deepEqual(unseen, [1, 2]);
    assert.deepEqual(await c.search({ body: 'beta' }), [2]);
    assert.deepEqual(await c.search({ subject: 'FIRST' }), [1]);
    assert.deepEqual(await c.search({ flagged: true }, { uid: true }), [1]);
    await c.messageFlagsAdd('2', ['\\Seen', 'Important']);
    const f = await c.fetchOne('2', { flags: true });
    assert.ok(f && f.flags!.has('\\Seen') && f.flags!.has('Important'));
    const cp = await c.messageCopy('1:2', 'Work');
    assert.ok(cp && cp.uidMap && cp.uidMap.size === 2);
    const mv = await c.messageMove('1', 'Archive/2026');
    assert.ok(mv && mv.uidMap && mv.uidMap.get(1) === 1);
    assert.equal((c.mailbox as { exists: number }).exists, 1);
    await c.messageFlagsAdd('1', ['\\Deleted']);
    await c.messageDelete('1');
    assert.equal((c.mailbox as { exists: number }).exists, 0);
  } finally {
    lock.release();
  }
  const st = await c.status('Work', { messages: true, unseen: true, uidNext: true });
  assert.ok(st);
  assert.equal(st.messages, 2);
  assert.equal(st.unseen, 1);
  assert.equal(st.uidNext, 3);
  await c.logout();
});

test('imapflow: two sessions see each other\'s changes; IDLE hears an append within a second (RFC 2177)', async () => {
  const a = client('bob@example.org', 'bobpw');
  const b = client('bob@example.org', 'bobpw');
  await a.connect();
  await b.connect();
  await a.mailboxOpen('INBOX');
  const got = new Promise<number>((resolve) => {
    a.on('exists', (d: { count: number }) => resolve(d.count));
  });
  const idling = a.idle();
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await b.append('INBOX', message('live'));
  const count = await Promise.race([got, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('no EXISTS within 1s')), 1000))]);
  assert.equal(count, 1);
  assert.ok(Date.now() - t0 < 1000);
  // Flag change by the other session reaches the idling one.
  const flagged = new Promise<void>((resolve) => { a.on('flags', () => resolve()); });
  await b.mailboxOpen('INBOX');
  await b.messageFlagsAdd('1', ['\\Flagged']);
  await Promise.race([flagged, new Promise<void>((_, rej) => setTimeout(() => rej(new Error('no FETCH FLAGS within 1s')), 1000))]);
  // Expunge by b reaches a.
  const gone = new Promise<void>((resolve) => { a.on('expunge', () => resolve()); });
  await b.messageDelete('1');
  await Promise.race([gone, new Promise<void>((_, rej) => setTimeout(() => rej(new Error('no EXPUNGE within 1s')), 1000))]);
  await a.noop();
  await idling.catch(() => undefined);
  await a.logout();
  await b.logout();
});
