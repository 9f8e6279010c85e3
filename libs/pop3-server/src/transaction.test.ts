/** TRANSACTION and UPDATE states over real sockets (RFC 1939 §5–§7), pipelining (RFC 2449 §6.6), workarounds, IMAP interplay, locking. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pop3Client, loggedIn, message, startHarness, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

/** Client-side view of a multi-line body: undo dot-stuffing, CRLF line ends. */
const unstuff = (lines: string[]) => lines.map((l) => (l.startsWith('.') ? l.slice(1) : l)).map((l) => l + '\r\n').join('');

async function imapLogin(user = 'alice@example.org'): Promise<Pop3Client> {
  const c = await Pop3Client.connect(h.imapPort);
  await c.line();
  assert.match(await c.cmd(`a LOGIN ${user} ${user.startsWith('alice') ? 'alicepw' : 'bobpw'}`), /^a OK/);
  return c;
}
async function imapUntil(c: Pop3Client, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) { const l = await c.line(); out.push(l); if (l.startsWith(tag + ' ')) return out; }
}

test('STAT, LIST, UIDL, RETR, TOP: sizes are the octets the client receives; dot-stuffing not counted', async () => {
  const msgs = [message('one'), message('two', '.dotted line\r\n..two dots\r\nend\r\n'), message('three', 'x'.repeat(5000) + '\r\n')];
  for (const m of msgs) await h.deliver('bob@example.org', m);
  const c = await loggedIn(h, 'bob@example.org');
  const total = msgs.reduce((n, m) => n + Buffer.byteLength(m), 0);
  assert.equal(await c.cmd('STAT'), `+OK 3 ${total}`);
  const [l1, list] = await c.multi('LIST');
  assert.equal(l1, '+OK 3 messages:');
  assert.deepEqual(list, msgs.map((m, i) => `${i + 1} ${Buffer.byteLength(m)}`));
  assert.equal(await c.cmd('LIST 2'), `+OK 2 ${Buffer.byteLength(msgs[1]!)}`);
  const [, uidl] = await c.multi('UIDL');
  assert.equal(uidl.length, 3);
  for (const [i, l] of uidl.entries()) assert.match(l, new RegExp(`^${i + 1} [0-9a-f]{16}$`));
  assert.equal(await c.cmd('UIDL 3'), `+OK ${uidl[2]}`);
  for (const [i, m] of msgs.entries()) {
    const [first, body] = await c.multi(`RETR ${i + 1}`);
    assert.equal(first, `+OK ${Buffer.byteLength(m)} octets`);
    assert.equal(unstuff(body), m);
    assert.equal(Buffer.byteLength(unstuff(body)), Number(list[i]!.split(' ')[1]));
  }
  const [, raw2] = await c.multi('RETR 2');
  assert.ok(raw2.includes('..dotted line') && raw2.includes('...two dots'));
  const [t0, top0] = await c.multi('TOP 2 0');
  assert.equal(t0, '+OK');
  assert.equal(unstuff(top0), msgs[1]!.slice(0, msgs[1]!.indexOf('\r\n\r\n') + 4));
  const [, top1] = await c.multi('TOP 2 1');
  assert.equal(top1[top1.length - 1], '..dotted line');
  assert.equal(await c.cmd('NOOP'), '+OK');
  c.close();
});

test('bad arguments and states get -ERR, never a crash; 20 bad commands close', async () => {
  const c = await loggedIn(h, 'bob@example.org');
  for (const cmd of ['LIST 0', 'LIST 99', 'LIST abc', 'LIST 1 2', 'RETR', 'RETR -1', 'TOP 1', 'TOP 1 x', 'DELE 4294967296', 'UIDL 0', 'USER bob', 'PASS x', 'STLS', 'XYZZY', '']) {
    assert.match(await c.cmd(cmd), /^-ERR /, cmd);
  }
  c.send('A'.repeat(20_000) + '\r\n');
  assert.equal(await c.line(), '-ERR Line too long');
  assert.equal(await c.cmd('NOOP'), '+OK');
  for (let i = 0; i < 20; i++) c.send('BOGUS\r\n');
  assert.ok(await c.closedByServer());
});

test('DELE, RSET, QUIT: RFC 1939 §6 expunge happens only at QUIT; an open IMAP session sees the expunge', async () => {
  await h.deliver('alice@example.org', message('a1'));
  await h.deliver('alice@example.org', message('a2'));
  await h.deliver('alice@example.org', message('a3'));
  const imap = await imapLogin();
  imap.send('s SELECT INBOX\r\n');
  const sel = await imapUntil(imap, 's');
  assert.ok(sel.includes('* 3 EXISTS'), sel.join('|'));

  // Disconnect without QUIT: nothing removed.
  let c = await loggedIn(h);
  assert.equal(await c.cmd('DELE 1'), '+OK Marked to be deleted.');
  c.close();
  await new Promise((r) => setTimeout(r, 100));
  c = await loggedIn(h);
  assert.match(await c.cmd('STAT'), /^\+OK 3 /);
  const [, uidlBefore] = await c.multi('UIDL');
  assert.equal(await c.cmd('DELE 2'), '+OK Marked to be deleted.');
  assert.match(await c.cmd('DELE 2'), /^-ERR Message is deleted/);
  assert.match(await c.cmd('RETR 2'), /^-ERR/);
  assert.match(await c.cmd('STAT'), /^\+OK 2 /);
  const [, list] = await c.multi('LIST');
  assert.deepEqual(list.map((l) => l.split(' ')[0]), ['1', '3']);
  assert.equal(await c.cmd('RSET'), '+OK');
  assert.match(await c.cmd('STAT'), /^\+OK 3 /);
  await c.cmd('DELE 1');
  await c.cmd('DELE 2');
  assert.equal(await c.cmd('QUIT'), '+OK Logging out, messages deleted.');
  assert.ok(await c.closedByServer());

  imap.send('n NOOP\r\n');
  const noop = await imapUntil(imap, 'n');
  assert.equal(noop.filter((l) => /^\* \d+ EXPUNGE$/.test(l)).length, 2, noop.join('|'));
  imap.close();

  // UIDL is stable: the survivor keeps its UIDL under a new message number.
  c = await loggedIn(h);
  const [, uidlAfter] = await c.multi('UIDL');
  assert.deepEqual(uidlAfter.map((l) => l.split(' ')[1]), [uidlBefore[2]!.split(' ')[1]]);
  c.close();
});

test('RETR of a message that IMAP expunged meanwhile: -ERR, session goes on', async () => {
  const uid = await h.deliver('bob@example.org', message('gone'));
  const c = await loggedIn(h, 'bob@example.org');
  const [, uidl] = await c.multi('UIDL');
  const n = uidl.length;
  const imap = await imapLogin('bob@example.org');
  imap.send(`s SELECT INBOX\r\n`); await imapUntil(imap, 's');
  imap.send(`u UID STORE ${uid} +FLAGS (\\Deleted)\r\n`); await imapUntil(imap, 'u');
  imap.send('e EXPUNGE\r\n'); await imapUntil(imap, 'e');
  imap.close();
  assert.match(await c.cmd(`RETR ${n}`), /^-ERR /);
  assert.equal(await c.cmd('NOOP'), '+OK');
  c.close();
});

test('RFC 2449 §6.6 PIPELINING: many commands in one write, answers in order', async () => {
  const c = await Pop3Client.connect(h.port);
  await c.line();
  c.send('CAPA\r\nUSER bob@example.org\r\nPASS bobpw\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 1 0\r\nNOOP\r\nQUIT\r\n');
  assert.match(await c.line(), /^\+OK/); await c.body();
  assert.equal(await c.line(), '+OK');
  assert.equal(await c.line(), '+OK Logged in.');
  assert.match(await c.line(), /^\+OK \d+ \d+$/);
  assert.match(await c.line(), /^\+OK/); await c.body();
  assert.match(await c.line(), /^\+OK/); await c.body();
  assert.match(await c.line(), /^\+OK \d+ octets/); await c.body();
  assert.equal(await c.line(), '+OK'); await c.body();
  assert.equal(await c.line(), '+OK');
  assert.match(await c.line(), /^\+OK Logging out/);
  assert.ok(await c.closedByServer());
});

test('Dovecot outlook-no-nuls and oe-ns-eoh: on by default, off when configured', async () => {
  const raw = Buffer.from('Subject: nul\r\nX-A: b\0c\r\n', 'latin1'); // NUL, and no empty line after the header
  for (const [wk, expect] of [[['outlook-no-nuls', 'oe-ns-eoh'], 'Subject: nul\r\nX-A: bc\r\n\r\n'], [[], 'Subject: nul\r\nX-A: b\0c\r\n']] as const) {
    const hh = await startHarness({ workarounds: wk });
    try {
      await hh.deliver('alice@example.org', raw);
      const c = await loggedIn(hh);
      const [, body] = await c.multi('RETR 1');
      assert.equal(unstuff(body), expect);
      const [, top] = await c.multi('TOP 1 5');
      assert.equal(unstuff(top), expect);
      c.close();
    } finally { await hh.close(); }
  }
});

test('pop3_lock_session: a second session gets -ERR [IN-USE] until the first ends', async () => {
  const hh = await startHarness({ lockSessions: true });
  try {
    const a = await loggedIn(hh);
    const b = await Pop3Client.connect(hh.port);
    await b.line();
    await b.cmd('USER alice@example.org');
    assert.equal(await b.cmd('PASS alicepw'), '-ERR [IN-USE] Mailbox is locked by another POP3 session.');
    assert.equal((await loggedIn(hh, 'bob@example.org').then((x) => { x.close(); return 'ok'; })), 'ok');
    assert.match(await a.cmd('QUIT'), /^\+OK/);
    await a.closedByServer();
    await new Promise((r) => setTimeout(r, 50));
    await b.cmd('USER alice@example.org');
    assert.equal(await b.cmd('PASS alicepw'), '+OK Logged in.');
    b.close();
  } finally { await hh.close(); }
});

test('RETR marks \\Seen at QUIT (Dovecot pop3_no_flag_updates = no); TOP does not', async () => {
  const hh = await startHarness();
  try {
    await hh.deliver('alice@example.org', message('s1'));
    await hh.deliver('alice@example.org', message('s2'));
    const c = await loggedIn(hh);
    await c.multi('RETR 1');
    await c.multi('TOP 2 1');
    await c.cmd('QUIT');
    await c.closedByServer();
    const acc = await hh.store.openAccount({ user: 'alice@example.org', home: hh.config.mailHome({ user: 'alice@example.org' } as never) });
    const mb = await acc.open('INBOX', { readOnly: true });
    const snap = await mb.sync();
    assert.deepEqual(snap.messages.map((m) => m.flags.includes('\\Seen')), [true, false]);
    await mb.close(); await acc.close();
  } finally { await hh.close(); }
});
