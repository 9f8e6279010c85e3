import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, loggedIn, appendRaw, message, RawClient, type Harness } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const NESTED = [
  'From: a@example.org',
  'To: b@example.org',
  'Subject: nested',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="XX"',
  '',
  'preamble',
  '--XX',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'part one text',
  '--XX',
  'Content-Type: message/rfc822',
  '',
  'From: inner@example.org',
  'Subject: inner subject',
  'Content-Type: multipart/alternative; boundary="YY"',
  '',
  '--YY',
  'Content-Type: text/plain',
  '',
  'inner plain',
  '--YY',
  'Content-Type: text/html',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<b>inner=20html</b>',
  '--YY--',
  '',
  '--XX--',
  '',
].join('\r\n');

async function fresh(user = 'alice@example.org'): Promise<RawClient> {
  const c = await loggedIn(h, user);
  return c;
}

test('SELECT responses (RFC 3501 §6.3.1) and EXAMINE is READ-ONLY (§6.3.2)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Sel');
  await appendRaw(c, 'Sel', message('s1'), '\\Seen');
  await appendRaw(c, 'Sel', message('s2'));
  const r = await c.cmd('a', 'SELECT Sel');
  assert.equal(r[0], '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)');
  assert.equal(r[1], '* 2 EXISTS');
  assert.equal(r[2], '* 2 RECENT');
  assert.equal(r[3], '* OK [UNSEEN 2] First unseen.');
  assert.match(r[4]!, /^\* OK \[PERMANENTFLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\\*\)\]/);
  assert.match(r[5]!, /^\* OK \[UIDVALIDITY \d+\]/);
  assert.match(r[6]!, /^\* OK \[UIDNEXT 3\]/);
  assert.match(r[7]!, /^\* OK \[HIGHESTMODSEQ \d+\]/);
  assert.equal(r[8], 'a OK [READ-WRITE] SELECT completed');
  const e = await c.cmd('b', 'EXAMINE Sel');
  assert.equal(e.at(-1), 'b OK [READ-ONLY] EXAMINE completed');
  assert.ok(e.includes('* OK [PERMANENTFLAGS ()] Read-only mailbox.'));
  assert.match((await c.cmd('c', 'STORE 1 +FLAGS (\\Flagged)')).at(-1)!, /^c NO/);
  // BODY[] on a read-only mailbox does not set \Seen.
  const f = await c.cmd('d', 'FETCH 2 (BODY[TEXT])');
  assert.ok(!f[0]!.includes('FLAGS'));
  c.close();
});

test('FETCH BODY[] sets \\Seen and reports FLAGS; BODY.PEEK does not (RFC 3501 §6.4.5)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Seen');
  await appendRaw(c, 'Seen', message('m1', 'body1\r\n'));
  await c.cmd('s', 'SELECT Seen');
  const p = await c.cmd('a', 'FETCH 1 (BODY.PEEK[TEXT])');
  assert.deepEqual(p, ['* 1 FETCH (BODY[TEXT] {7}\r\nbody1\r\n)', 'a OK FETCH completed']);
  const f = await c.cmd('b', 'FETCH 1 (BODY[TEXT])');
  assert.deepEqual(f, ['* 1 FETCH (BODY[TEXT] {7}\r\nbody1\r\n FLAGS (\\Seen \\Recent))', 'b OK FETCH completed']);
  const u = await c.cmd('c', 'UID FETCH 1 (FLAGS)');
  assert.deepEqual(u, ['* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))', 'c OK UID FETCH completed']);
  c.close();
});

test('FETCH sections of a nested message: parts, MIME, HEADER/TEXT of message/rfc822, partial (RFC 3501 §6.4.5)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Nest');
  await appendRaw(c, 'Nest', NESTED);
  await c.cmd('s', 'EXAMINE Nest');
  const one = await c.cmd('a', 'FETCH 1 (BODY[1])');
  assert.deepEqual(one, ['* 1 FETCH (BODY[1] {13}\r\npart one text)', 'a OK FETCH completed']);
  const mime = await c.cmd('b', 'FETCH 1 (BODY[1.MIME])');
  assert.deepEqual(mime, ['* 1 FETCH (BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n)', 'b OK FETCH completed']);
  const hdr = await c.cmd('c', 'FETCH 1 (BODY[2.HEADER])');
  assert.ok(hdr[0]!.includes('Subject: inner subject\r\n'), hdr[0]);
  assert.ok(hdr[0]!.startsWith('* 1 FETCH (BODY[2.HEADER] {'));
  const inner = await c.cmd('d', 'FETCH 1 (BODY[2.1])');
  assert.deepEqual(inner, ['* 1 FETCH (BODY[2.1] {11}\r\ninner plain)', 'd OK FETCH completed']);
  const inner2 = await c.cmd('e', 'FETCH 1 (BODY[2.2])');
  assert.deepEqual(inner2, ['* 1 FETCH (BODY[2.2] {19}\r\n<b>inner=20html</b>)', 'e OK FETCH completed']);
  const fields = await c.cmd('f', 'FETCH 1 (BODY[2.HEADER.FIELDS (FROM)])');
  assert.deepEqual(fields, ['* 1 FETCH (BODY[2.HEADER.FIELDS (FROM)] {27}\r\nFrom: inner@example.org\r\n\r\n)', 'f OK FETCH completed']);
  const partial = await c.cmd('g', 'FETCH 1 (BODY[1]<5.3>)');
  assert.deepEqual(partial, ['* 1 FETCH (BODY[1]<5> {3}\r\none)', 'g OK FETCH completed']);
  const beyond = await c.cmd('h', 'FETCH 1 (BODY[1]<500.3>)');
  assert.deepEqual(beyond, ['* 1 FETCH (BODY[1]<500> "")', 'h OK FETCH completed']);
  const nil = await c.cmd('i', 'FETCH 1 (BODY[7])');
  assert.deepEqual(nil, ['* 1 FETCH (BODY[7] NIL)', 'i OK FETCH completed']);
  const not = await c.cmd('j', 'FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (FROM TO MIME-VERSION CONTENT-TYPE)])');
  assert.deepEqual(not, ['* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO MIME-VERSION CONTENT-TYPE)] {19}\r\nSubject: nested\r\n\r\n)', 'j OK FETCH completed']);
  const bs = await c.cmd('k', 'FETCH 1 (BODYSTRUCTURE)');
  assert.match(bs[0]!, /^\* 1 FETCH \(BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "7BIT" 13 \d+ NIL NIL NIL NIL\)\("message" "rfc822" NIL NIL NIL "7BIT" \d+ \(NIL "inner subject" /);
  const body = await c.cmd('l', 'FETCH 1 (BODY)');
  assert.match(body[0]!, /"alternative"\)\s\d+\) "mixed"\)\)$/);
  const rfc = await c.cmd('m', 'FETCH 1 (RFC822.HEADER RFC822.SIZE)');
  assert.match(rfc[0]!, /^\* 1 FETCH \(RFC822.HEADER \{\d+\}\r\nFrom: a@example.org\r\n[^]*\r\n\r\n RFC822.SIZE \d+\)$/);
  c.close();
});

test('SEARCH keys (RFC 3501 §6.4.4), CHARSET, BADCHARSET', async () => {
  const c = await fresh('bob@example.org');
  await c.cmd('x', 'CREATE Find');
  await appendRaw(c, 'Find', message('Apples', 'red fruit\r\n'), '\\Seen');
  await appendRaw(c, 'Find', message('Bananas', 'yellow fruit\r\n'), '\\Flagged');
  await appendRaw(c, 'Find', message('=?utf-8?q?K=C3=A4se?=', 'cheese =C3=A4\r\n', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n'));
  await c.cmd('s', 'SELECT Find');
  const q = async (crit: string) => (await c.cmd('q', `SEARCH ${crit}`))[0];
  assert.equal(await q('ALL'), '* SEARCH 1 2 3');
  assert.equal(await q('SEEN'), '* SEARCH 1');
  assert.equal(await q('UNSEEN'), '* SEARCH 2 3');
  assert.equal(await q('FLAGGED'), '* SEARCH 2');
  assert.equal(await q('BODY fruit'), '* SEARCH 1 2');
  assert.equal(await q('BODY FRUIT NOT SUBJECT apples'), '* SEARCH 2');
  assert.equal(await q('OR SUBJECT apples SUBJECT bananas'), '* SEARCH 1 2');
  assert.equal((await c.cmd('q', 'SEARCH CHARSET UTF-8 SUBJECT {5+}\r\nkäse'))[0], '* SEARCH 3');
  assert.equal((await c.cmd('q', 'SEARCH CHARSET UTF-8 BODY {3+}\r\nä'))[0], '* SEARCH 3');
  assert.equal(await q('TEXT yellow'), '* SEARCH 2');
  assert.equal(await q('FROM alice'), '* SEARCH 1 2 3');
  assert.equal(await q('HEADER Message-ID Bananas'), '* SEARCH 2');
  assert.equal(await q('LARGER 10 SMALLER 100000'), '* SEARCH 1 2 3');
  assert.equal(await q('SENTON 2-Nov-2026'), '* SEARCH 1 2 3');
  assert.equal(await q('SENTBEFORE 2-Nov-2026'), '* SEARCH');
  assert.equal(await q('SINCE 1-Jan-2020'), '* SEARCH 1 2 3');
  assert.equal(await q('2:3 UNSEEN'), '* SEARCH 2 3');
  assert.equal(await q('UID 1,3'), '* SEARCH 1 3');
  assert.equal(await q('NEW'), '* SEARCH 2 3');
  assert.equal((await c.cmd('u', 'UID SEARCH FLAGGED'))[0], '* SEARCH 2');
  const bad = await c.cmd('b', 'SEARCH CHARSET KOI8-R ALL');
  assert.match(bad.at(-1)!, /^b NO \[BADCHARSET/);
  c.close();
});

test('ESEARCH RETURN (MIN MAX COUNT ALL) (RFC 4731)', async () => {
  const c = await fresh('bob@example.org');
  await c.cmd('s', 'SELECT Find');
  assert.equal((await c.cmd('a', 'SEARCH RETURN (MIN MAX COUNT) ALL'))[0], '* ESEARCH (TAG "a") MIN 1 MAX 3 COUNT 3');
  assert.equal((await c.cmd('b', 'UID SEARCH RETURN () UNSEEN'))[0], '* ESEARCH (TAG "b") UID ALL 2:3');
  assert.equal((await c.cmd('c', 'SEARCH RETURN (COUNT MIN) DELETED'))[0], '* ESEARCH (TAG "c") COUNT 0');
  c.close();
});

test('STORE +FLAGS/-FLAGS/FLAGS/.SILENT and keywords (RFC 3501 §6.4.6)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE St');
  await appendRaw(c, 'St', message('a'));
  await appendRaw(c, 'St', message('b'));
  await c.cmd('s', 'SELECT St');
  assert.deepEqual(await c.cmd('a', 'STORE 1:2 +FLAGS (\\Flagged $Work)'), [
    '* 1 FETCH (UID 1 FLAGS ($Work \\Flagged \\Recent))'.replace('($Work \\Flagged \\Recent)', '(' + ['$Work', '\\Flagged'].sort().join(' ') + ' \\Recent)'),
    '* 2 FETCH (UID 2 FLAGS (' + ['$Work', '\\Flagged'].sort().join(' ') + ' \\Recent))',
    // RFC 3501 §7.2.6: the new keyword changes the mailbox's FLAGS; announced as Dovecot does.
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)',
    '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.',
    'a OK STORE completed',
  ]);
  assert.deepEqual(await c.cmd('b', 'STORE 1 -FLAGS.SILENT ($Work)'), ['b OK STORE completed']);
  assert.deepEqual(await c.cmd('c', 'UID STORE 2 FLAGS (\\Answered)'), ['* 2 FETCH (UID 2 FLAGS (\\Answered \\Recent))', 'c OK UID STORE completed']);
  assert.deepEqual(await c.cmd('d', 'FETCH 1 FLAGS'), ['* 1 FETCH (FLAGS (\\Flagged \\Recent))', 'd OK FETCH completed']);
  assert.match((await c.cmd('e', 'STORE 1 +FLAGS (\\Bogus)')).at(-1)!, /^e BAD/);
  assert.match((await c.cmd('f', 'STORE 5 +FLAGS (\\Seen)')).at(-1)!, /^f BAD/);
  const sel = await c.cmd('g', 'SELECT St');
  assert.ok(sel[0]!.includes('$Work'), 'new keyword appears in FLAGS');
  c.close();
});

test('COPY/MOVE with COPYUID (RFC 4315, RFC 6851) and [TRYCREATE]', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Src');
  await c.cmd('y', 'CREATE Dst');
  for (const s of ['1', '2', '3']) await appendRaw(c, 'Src', message('m' + s));
  await c.cmd('s', 'SELECT Src');
  const cp = await c.cmd('a', 'COPY 1:2 Dst');
  assert.match(cp.at(-1)!, /^a OK \[COPYUID \d+ 1:2 1:2\] COPY completed$/);
  const mv = await c.cmd('b', 'UID MOVE 2:3 Dst');
  assert.match(mv[0]!, /^\* OK \[COPYUID \d+ 2:3 3:4\]/);
  assert.deepEqual(mv.slice(1), ['* 3 EXPUNGE', '* 2 EXPUNGE', 'b UID MOVE completed'.replace('b ', 'b OK ')]);
  assert.match((await c.cmd('c', 'COPY 1 Nowhere')).at(-1)!, /^c NO \[TRYCREATE\]/);
  assert.match((await appendRaw(c, 'Nowhere', message('x'))).at(-1)!, /^A NO \[TRYCREATE\]/);
  const st = await c.cmd('d', 'STATUS Dst (MESSAGES)');
  assert.equal(st[0], '* STATUS Dst (MESSAGES 4)');
  c.close();
});

test('EXPUNGE, UID EXPUNGE (RFC 4315), CLOSE expunges silently, UNSELECT does not (RFC 3691)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Ex');
  for (const s of ['1', '2', '3', '4']) await appendRaw(c, 'Ex', message('e' + s), '\\Deleted');
  await c.cmd('s', 'SELECT Ex');
  assert.deepEqual(await c.cmd('a', 'UID EXPUNGE 2'), ['* 2 EXPUNGE', 'a OK UID EXPUNGE completed']);
  await c.cmd('b', 'STORE 1 -FLAGS.SILENT (\\Deleted)');
  assert.deepEqual(await c.cmd('c', 'EXPUNGE'), ['* 3 EXPUNGE', '* 2 EXPUNGE', 'c OK EXPUNGE completed']);
  await appendRaw(c, 'Ex', message('e5'), '\\Deleted');
  assert.deepEqual(await c.cmd('d', 'UNSELECT'), ['d OK UNSELECT completed']);
  assert.equal((await c.cmd('e', 'STATUS Ex (MESSAGES)'))[0], '* STATUS Ex (MESSAGES 2)');
  await c.cmd('f', 'SELECT Ex');
  assert.deepEqual(await c.cmd('g', 'CLOSE'), ['g OK CLOSE completed']);
  assert.equal((await c.cmd('h', 'STATUS Ex (MESSAGES)'))[0], '* STATUS Ex (MESSAGES 1)');
  assert.match((await c.cmd('i', 'FETCH 1 FLAGS')).at(-1)!, /^i BAD/);
  c.close();
});

test('no EXPUNGE during FETCH/STORE/SEARCH; it comes at the next allowed command (RFC 3501 §7.4.1)', async () => {
  const a = await fresh('bob@example.org');
  const b = await fresh('bob@example.org');
  await a.cmd('x', 'CREATE Race');
  for (const s of ['1', '2']) await appendRaw(a, 'Race', message('r' + s), '\\Deleted');
  await a.cmd('s', 'SELECT Race');
  await b.cmd('s', 'SELECT Race');
  await b.cmd('e', 'EXPUNGE');
  const f = await a.cmd('f', 'FETCH 1:2 FLAGS');
  assert.ok(!f.some((l) => l.includes('EXPUNGE')), f.join('|'));
  assert.ok(f.at(-1)!.startsWith('f OK') || f.at(-1)!.startsWith('f NO'));
  const s = await a.cmd('g', 'SEARCH ALL');
  assert.ok(!s.some((l) => l.includes('EXPUNGE')));
  const n = await a.cmd('n', 'NOOP');
  assert.deepEqual(n, ['* 2 EXPUNGE', '* 1 EXPUNGE', 'n OK NOOP completed']);
  a.close(); b.close();
});

test('another session\'s APPEND and flag change appear at NOOP (RFC 3501 §6.1.2, §7.4.1)', async () => {
  const a = await fresh('bob@example.org');
  const b = await fresh('bob@example.org');
  await a.cmd('x', 'CREATE Live');
  await a.cmd('s', 'SELECT Live');
  await appendRaw(b, 'Live', message('l1'));
  const n = await a.cmd('n', 'NOOP');
  assert.deepEqual(n, ['* 1 EXISTS', '* 1 RECENT', 'n OK NOOP completed']);
  await b.cmd('s', 'SELECT Live');
  await b.cmd('f', 'STORE 1 +FLAGS.SILENT (\\Answered)');
  const m = await a.cmd('m', 'CHECK');
  assert.deepEqual(m, ['* 1 FETCH (UID 1 FLAGS (\\Answered \\Recent))', 'm OK CHECK completed']);
  a.close(); b.close();
});

test('MULTIAPPEND (RFC 3502) with APPENDUID set; synchronising literal flow (RFC 3501 §7.5)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Multi');
  const m1 = message('one');
  const m2 = message('two');
  c.send(`A APPEND Multi (\\Seen) {${m1.length}}\r\n`);
  assert.equal(await c.line(), '+ OK');
  c.send(m1 + ` {${m2.length}}\r\n`);
  assert.equal(await c.line(), '+ OK');
  c.send(m2 + '\r\n');
  assert.match(await c.line(), /^A OK \[APPENDUID \d+ 1:2\] APPEND completed$/);
  c.close();
});

test('CONDSTORE: FETCH MODSEQ, CHANGEDSINCE, STORE UNCHANGEDSINCE → MODIFIED (RFC 7162 §3.1)', async () => {
  const c = await fresh();
  await c.cmd('x', 'CREATE Cond');
  await appendRaw(c, 'Cond', message('c1'));
  await appendRaw(c, 'Cond', message('c2'));
  const sel = await c.cmd('s', 'SELECT Cond (CONDSTORE)');
  assert.ok(sel.some((l) => /HIGHESTMODSEQ \d+/.test(l)));
  const f = await c.cmd('a', 'FETCH 1:2 (MODSEQ)');
  const ms = f.slice(0, 2).map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
  await c.cmd('b', 'STORE 2 +FLAGS.SILENT (\\Seen)');
  const ch = await c.cmd('c', `FETCH 1:* (FLAGS) (CHANGEDSINCE ${Math.max(...ms)})`);
  assert.equal(ch.length, 2, ch.join('|'));
  assert.match(ch[0]!, /^\* 2 FETCH \(FLAGS \(\\Seen \\Recent\) MODSEQ \(\d+\)\)$/);
  const st = await c.cmd('d', `STORE 1:2 (UNCHANGEDSINCE ${ms[0]}) +FLAGS (\\Flagged)`);
  assert.match(st.at(-1)!, /^d OK \[MODIFIED 2\]/);
  c.close();
});

test('IDLE: + idling, updates while idling, DONE ends it (RFC 2177)', async () => {
  const a = await fresh();
  const b = await fresh();
  await a.cmd('x', 'CREATE Idle');
  await a.cmd('s', 'SELECT Idle');
  a.send('i IDLE\r\n');
  assert.equal(await a.line(), '+ idling');
  const t0 = Date.now();
  await appendRaw(b, 'Idle', message('while idle'));
  assert.equal(await a.line(1000), '* 1 EXISTS');
  assert.ok(Date.now() - t0 < 1000);
  a.send('DONE\r\n');
  const rest = await a.until('i');
  assert.equal(rest.at(-1), 'i OK IDLE terminated');
  a.close(); b.close();
});
