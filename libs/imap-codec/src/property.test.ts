/** Properties and a hostile-input corpus: the receiver never throws, never loops, and frames identically however input is split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImapReceiver } from './receiver.js';
import { run } from './testing.js';
import type { ReceiverEvent } from './types.js';

/** Drives a receiver over chunks with a bounded number of steps; fails on a throw or a runaway. */
function drive(chunks: Uint8Array[], opts = {}, decide = 0): ReceiverEvent[] {
  const r = new ImapReceiver({ maxLineLength: 200, maxCommandBytes: 400, maxLiteralSize: 300, ...opts });
  const out: ReceiverEvent[] = [];
  let total = 0;
  for (const c of chunks) total += c.length;
  let n = 0;
  for (const c of chunks) {
    r.push(Buffer.from(c));
    let ev: ReceiverEvent | null;
    while ((ev = r.next())) {
      out.push(ev);
      if (++n > total * 4 + 100) assert.fail('runaway event production');
      if (ev.type === 'literal-request') {
        if ((decide++ & 1) === 0) r.acceptLiteral(); else r.rejectLiteral();
      }
      if (ev.type === 'command' && ev.command.name === 'IDLE') r.expectLine();
    }
  }
  return out;
}

const ALPHABET = [...'a1 {}()[]<>"\\*%$:,.~+-\r\nUIDFETCHAPPENDLOGINSEARCHNOTOR0123456789&'].map((c) => c.charCodeAt(0));

test('property: random bytes never throw or run away', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
    drive(chunks);
  }), { numRuns: 400 });
});

test('property: random IMAP-ish text never throws; chunking does not change the events', () => {
  const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 200 }).map((a) => Buffer.from(a));
  fc.assert(fc.property(text, fc.integer({ min: 1, max: 1000 }), (buf, seed) => {
    const opts = { maxLineLength: 100, maxCommandBytes: 300, maxLiteralSize: 200 };
    const whole = run(buf, 'whole', opts, () => 'accept');
    assert.deepEqual(run(buf, 'random', opts, () => 'accept', seed), whole);
    assert.deepEqual(run(buf, 'bytes', opts, () => 'accept'), whole);
  }), { numRuns: 300 });
});

const VALID = [
  'a1 CAPABILITY\r\n',
  'a2 LOGIN {4+}\r\nuser {4}\r\npass\r\n',
  'a3 SELECT INBOX (CONDSTORE)\r\n',
  'a4 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM)]<0.512>) (CHANGEDSINCE 4 VANISHED)\r\n',
  'a5 APPEND Sent (\\Seen) {7}\r\nmessage {3+}\r\nabc\r\n',
  'a6 SEARCH RETURN (COUNT) OR FROM {3}\r\nbob NOT SEEN\r\n',
  'a7 IDLE\r\nDONE\r\n',
  'a8 STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n',
  'a9 LIST (SUBSCRIBED) "" (INBOX "*") RETURN (STATUS (MESSAGES))\r\n',
];

test('property: any sequence of valid commands in any chunking gives the same events, all commands', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...VALID), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 1e6 }), (cmds, seed) => {
    const input = cmds.join('');
    const onEv = (ev: ReceiverEvent, r: ImapReceiver) => { if (ev.type === 'command' && ev.command.name === 'IDLE') r.expectLine(); };
    const whole = run(input, 'whole', {}, undefined, 1, onEv);
    assert.deepEqual(run(input, 'random', {}, undefined, seed, onEv), whole);
    assert.ok(!whole.some((e) => e.type === 'bad' || e.type === 'fatal'), JSON.stringify(whole));
    assert.equal(whole.filter((e) => e.type === 'command' || e.type === 'append-end').length, cmds.length);
  }), { numRuns: 100 });
});

const HOSTILE: Array<[string, string | Buffer]> = [
  ['huge sync literal', 'a LOGIN {18446744073709551616}\r\n'],
  ['huge non-sync literal', 'a LOGIN {18446744073709551616+}\r\n'],
  ['huge APPEND literal', 'a APPEND INBOX {18446744073709551616}\r\n'],
  ['deep parens', 'a SEARCH ' + '('.repeat(5000) + '\r\n'],
  ['deep NOT', 'a SEARCH ' + 'NOT '.repeat(5000) + 'ALL\r\n'],
  ['deep OR', 'a SEARCH ' + 'OR ALL '.repeat(3000) + 'ALL\r\n'],
  ['unterminated quote', 'a LOGIN "abc\r\n'],
  ['quote then literal-looking text', 'a LOGIN "{5}\r\n'],
  ['NULs', Buffer.from([0x61, 0x20, 0, 0, 0, 0x0d, 0x0a])],
  ['8-bit atoms', Buffer.from('a \xc3\xa9\xff NOOP\r\n', 'latin1')],
  ['literal after literal', 'a LOGIN {1+}\r\na{1+}\r\nb\r\n'],
  ['missing CRLF', 'a NOOP'],
  ['only CRs', '\r\r\r\r\r\r'],
  ['only LFs', '\n\n\n\n\n'],
  ['literal with no data', 'a LOGIN {5+}\r\n'],
  ['tag only', 'abc\r\n'],
  ['very long tag', 'x'.repeat(150) + ' NOOP\r\n'],
  ['many args', 'a SEARCH ' + '1 '.repeat(3000) + '1\r\n'],
  ['braces', 'a {{{{}}}}\r\n'],
  ['negative literal', 'a LOGIN {-1}\r\n'],
  ['literal8 outside APPEND', 'a LOGIN ~{3+}\r\nabc x\r\n'],
  ['FETCH partial overflow', 'a FETCH 1 BODY[]<99999999999999999999.1>\r\n'],
  ['section overflow', 'a FETCH 1 BODY[99999999999.1]\r\n'],
  ['APPEND empty', 'a APPEND\r\n'],
  ['APPEND flags unterminated', 'a APPEND x (\\Seen {3+}\r\nabc\r\n'],
  ['CRLF inside literal count', 'a LOGIN {2+}\r\n\r\n\r\n'],
];

for (const [name, input] of HOSTILE) {
  test(`hostile input: ${name}`, () => {
    const buf = typeof input === 'string' ? Buffer.from(input) : input;
    const evs = drive([buf], { maxArgs: 1000 });
    const evs2 = drive([...buf].map((b) => Uint8Array.of(b)), { maxArgs: 1000 });
    assert.deepEqual(evs2.map((e) => e.type), evs.map((e) => e.type));
    assert.ok(!evs.some((e) => e.type === 'command' && /NOT|OR/.test(name)), 'deep input must not parse');
  });
}

test('hostile: flood while a literal awaits the server does not produce events', () => {
  const r = new ImapReceiver();
  r.push(Buffer.from('a LOGIN {5}\r\n'));
  assert.equal(r.next()?.type, 'literal-request');
  for (let i = 0; i < 100; i++) r.push(Buffer.from('b NOOP\r\n'));
  assert.equal(r.next(), null);
  assert.ok(r.buffered >= 800, 'server can see how much is queued and stop reading');
});
