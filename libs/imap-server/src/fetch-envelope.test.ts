/**
 * FETCH ENVELOPE over a socket (RFC 3501 §6.4.5, §7.4.2): the batched header-only path (ENVELOPE
 * with metadata items), the per-message path (ENVELOPE with a header section) and the full
 * structure path (ENVELOPE with BODYSTRUCTURE) send byte-identical ENVELOPEs, for mail no one
 * parsed before (files placed in the Maildir by hand) and again from the cache.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, loggedIn, type Harness, type RawClient } from './testing.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const MSGS = [
  'From: "Kowalski, Alice" <alice@example.org>\nTo: bob@example.org, Carol <carol@example.org>\nCc: team: d@x.example, e@x.example;\nSubject: plain\nDate: Mon, 2 Nov 2026 10:00:00 +0100\nMessage-ID: <p@example.org>\nIn-Reply-To: <q@example.org>\n\nbody\n',
  'From: Jörg <j@example.de>\r\nSubject: Grüße "quoted" \\ back\r\nReply-To: <@r1,@r2:u@h.example>\r\n\r\n8-bit header\r\n',
  `Subject: long header\nX-Pad: ${'x'.repeat(9000)}\nFrom: late@example.org\n\nbody\n`,
  'Subject: no body and no blank line\nFrom: (comment only)',
  'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nSubject: inner\n\n--b--\n',
];

async function selectFolder(c: RawClient, name: string): Promise<void> {
  const r = await c.cmd('s', `SELECT ${name}`);
  assert.match(r[r.length - 1]!, /^s OK/);
}

/** "* n FETCH (" lines of a response, keyed by sequence number. */
function fetchLines(r: string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const l of r) {
    const m = /^\* (\d+) FETCH \(/.exec(l);
    if (m) out.set(Number(m[1]), l);
  }
  return out;
}

/** The ENVELOPE text of a FETCH line: from "ENVELOPE " to the matching parenthesis (literals skipped). */
function envelopeOf(line: string): string {
  const at = line.indexOf('ENVELOPE (');
  assert.ok(at >= 0, line);
  let i = at + 'ENVELOPE '.length;
  let depth = 0;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === '"') { for (i++; line[i] !== '"'; i++) if (line[i] === '\\') i++; continue; }
    const lit = /^\{(\d+)\}\r\n/.exec(line.slice(i));
    if (lit) { i += lit[0].length + Number(lit[1]) - 1; continue; }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) break;
  }
  return line.slice(at + 'ENVELOPE '.length, i + 1);
}

test('ENVELOPE is the same on every FETCH path, first time (header only) and again (cache)', async () => {
  const c = await loggedIn(h);
  assert.match((await c.cmd('c', 'CREATE Env')).pop()!, /^c OK/);
  const cur = join(h.dir, 'example.org', 'alice', 'Maildir', '.Env', 'cur');
  MSGS.forEach((m, i) => writeFileSync(join(cur, `${1700000000 + i}.M${i}P9.host:2,`), m));
  await selectFolder(c, 'Env');
  const first = await c.cmd('f1', 'FETCH 1:* (ENVELOPE)');
  assert.match(first.pop()!, /^f1 OK/);
  const lines = fetchLines(first);
  assert.equal(lines.size, MSGS.length);
  const env = new Map([...lines].map(([n, l]) => [n, envelopeOf(l)]));
  for (const [n, l] of lines) assert.equal(l, `* ${n} FETCH (ENVELOPE ${env.get(n)})`);

  const meta = fetchLines(await c.cmd('f2', 'UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)'));
  const full = fetchLines(await c.cmd('f3', 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)'));
  const section = fetchLines(await c.cmd('f4', 'FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)] ENVELOPE)'));
  const again = fetchLines(await c.cmd('f5', 'FETCH 1:* ENVELOPE'));
  for (let n = 1; n <= MSGS.length; n++) {
    const e = env.get(n)!;
    assert.match(meta.get(n)!, new RegExp(`^\\* ${n} FETCH \\(UID \\d+ FLAGS \\([^)]*\\) ENVELOPE `));
    assert.equal(envelopeOf(meta.get(n)!), e, `UID FETCH ${n}`);
    assert.equal(envelopeOf(full.get(n)!), e, `with BODYSTRUCTURE ${n}`);
    assert.equal(envelopeOf(section.get(n)!), e, `with a header section ${n}`);
    assert.equal(again.get(n), lines.get(n), `again ${n}`);
  }
  // A few wire details the cache must keep (RFC 3501 §7.4.2): group syntax, 8-bit as a literal, adl.
  assert.match(env.get(1)!, /\(NIL NIL "team" NIL\)\("?NIL"? NIL "d" "x\.example"\)/);
  // (The test client reads bytes as latin1: the UTF-8 subject arrives as its bytes, in a literal.)
  assert.ok(env.get(2)!.includes(`{23}\r\n${Buffer.from('Grüße "quoted" \\ back').toString('latin1')}`), env.get(2));
  assert.match(env.get(2)!, /\(NIL "@r1,@r2" "u" "h\.example"\)/);
  assert.match(env.get(3)!, /"late" "example\.org"/);
  c.close();
});

test('a message expunged by another session: the batched path answers as the structure path does', async () => {
  const a = await loggedIn(h);
  const b = await loggedIn(h);
  assert.match((await a.cmd('c', 'CREATE Gone')).pop()!, /^c OK/);
  const cur = join(h.dir, 'example.org', 'alice', 'Maildir', '.Gone', 'cur');
  for (let i = 0; i < 3; i++) writeFileSync(join(cur, `${1700000100 + i}.M${i}P9.host:2,`), `Subject: g${i}\n\nbody\n`);
  await selectFolder(a, 'Gone');
  await selectFolder(b, 'Gone');
  assert.match((await b.cmd('d', 'STORE 2 +FLAGS (\\Deleted)')).pop()!, /^d OK/);
  assert.match((await b.cmd('e', 'EXPUNGE')).pop()!, /^e OK/);
  // RFC 3501 §7.4.1: no EXPUNGE during FETCH; the client still sees 3 messages, one is gone.
  const fast = await a.cmd('f1', 'FETCH 1:3 (ENVELOPE)');
  const slow = await a.cmd('f2', 'FETCH 1:3 (ENVELOPE BODYSTRUCTURE)');
  const tail = (r: string[]) => r[r.length - 1]!.replace(/^\S+ /, '');
  assert.equal(tail(fast), 'NO [EXPUNGEISSUED] Some of the requested messages no longer exist');
  assert.equal(tail(fast), tail(slow));
  assert.deepEqual([...fetchLines(fast).keys()], [1, 3]);
  assert.deepEqual([...fetchLines(slow).keys()], [1, 3]);
  a.close();
  b.close();
});
