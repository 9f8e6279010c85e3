/** Framing, literals, APPEND streaming, raw lines, resynchronisation and hostile input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapReceiver } from './receiver.js';
import { run, type Ev, type Mode } from './testing.js';
import type { ReceiverEvent } from './types.js';

const MODES: Mode[] = ['whole', 'bytes', 'random'];

function feedAll(input: string | Buffer, opts = {}, policy?: Parameters<typeof run>[3]): Ev[] {
  const whole = run(input, 'whole', opts, policy);
  for (const m of MODES) for (const seed of [1, 5, 9]) assert.deepEqual(run(input, m, opts, policy, seed), whole, `mode ${m} differs`);
  return whole;
}

const types = (evs: Ev[]) => evs.map((e) => e.type);

test('RFC 3501 §7.5: synchronising literal pauses until acceptLiteral()', () => {
  const r = new ImapReceiver();
  r.push(Buffer.from('a LOGIN {4}\r\nfred x\r\n'));
  assert.deepEqual(r.next(), { type: 'literal-request', tag: 'a', size: 4, command: 'LOGIN' });
  assert.equal(r.next(), null);
  assert.equal(r.next(), null);
  assert.equal(r.awaitingLiteral, true);
  r.acceptLiteral();
  const ev = r.next();
  assert.equal(ev?.type, 'command');
  assert.deepEqual(ev?.type === 'command' && ev.command, { tag: 'a', uid: false, name: 'LOGIN', username: 'fred', password: 'x' });
  assert.equal(r.next(), null);
});

test('RFC 3501 §7.5: rejectLiteral() drops the command and resumes at the next line', () => {
  const evs = feedAll('a LOGIN {999}\r\nb NOOP\r\n', {}, () => 'reject');
  assert.deepEqual(evs, [
    { type: 'literal-request', tag: 'a', size: 999, command: 'LOGIN' },
    { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } },
  ]);
});

test('RFC 7888: non-synchronising literals need no acceptance', () => {
  const evs = feedAll('a LOGIN {4+}\r\nfred {0+}\r\n\r\n');
  assert.deepEqual(evs, [{ type: 'command', command: { tag: 'a', uid: false, name: 'LOGIN', username: 'fred', password: '' } }]);
});

test('literal holding CRLF, quotes and braces is taken verbatim', () => {
  const evs = feedAll('a LOGIN {11+}\r\nx\r\n"{3}\r\n\\y pw\r\n');
  assert.deepEqual(evs, [{ type: 'command', command: { tag: 'a', uid: false, name: 'LOGIN', username: 'x\r\n"{3}\r\n\\y', password: 'pw' } }]);
});

test('a "{N}" inside a quoted string is not a literal', () => {
  const evs = feedAll('a LOGIN "x {3}" y\r\nb NOOP\r\n');
  assert.equal(evs[0]!.type, 'command');
  const evs2 = feedAll('a LOGIN "x {3}\r\nb NOOP\r\n');
  assert.deepEqual(types(evs2), ['bad', 'command']);
});

test('bare LF line ends are accepted; CRLF stripped', () => {
  assert.deepEqual(feedAll('a NOOP\nb NOOP\r\n'), [
    { type: 'command', command: { tag: 'a', uid: false, name: 'NOOP' } },
    { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } },
  ]);
});

test('empty lines between commands are ignored', () => {
  assert.deepEqual(types(feedAll('\r\n\r\na NOOP\r\n')), ['command']);
});

test('expectLine(): the next line comes raw (AUTHENTICATE continuation, IDLE DONE, RFC 3501 §6.2.2, RFC 2177)', () => {
  const r = new ImapReceiver();
  r.push(Buffer.from('a IDLE\r\nDONE\r\nb AUTHENTICATE PLAIN\r\nAHVAAHA=\r\n{5}\r\n'));
  let ev = r.next();
  assert.equal(ev?.type === 'command' && ev.command.name, 'IDLE');
  r.expectLine();
  assert.deepEqual(r.next(), { type: 'line', text: 'DONE' });
  ev = r.next();
  assert.equal(ev?.type === 'command' && ev.command.name, 'AUTHENTICATE');
  r.expectLine();
  assert.deepEqual(r.next(), { type: 'line', text: 'AHVAAHA=' });
  r.expectLine();
  assert.deepEqual(r.next(), { type: 'line', text: '{5}' }, 'raw line is not literal-framed');
  assert.equal(r.next(), null);
});

// ---- APPEND -------------------------------------------------------------------------------

test('RFC 3501 §6.3.11: APPEND with flags and date streams the message', () => {
  const msg = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred\r\n\r\nHello Joe\r\n';
  const evs = feedAll(`A003 APPEND saved-messages (\\Seen) "07-Feb-1994 21:52:25 -0800" {${msg.length}}\r\n${msg}\r\n`);
  assert.deepEqual(evs, [
    { type: 'append-begin', tag: 'A003', mailbox: 'saved-messages' },
    { type: 'literal-request', tag: 'A003', size: msg.length, command: 'APPEND' },
    { type: 'append-message', tag: 'A003', meta: { flags: ['\\Seen'], internalDate: Date.UTC(1994, 1, 8, 5, 52, 25), size: msg.length, binary: false } },
    { type: 'literal-chunk', data: msg },
    { type: 'literal-end' },
    { type: 'append-end', tag: 'A003' },
  ]);
});

test('RFC 3502: MULTIAPPEND repeats messages; LITERAL+ and literal8 (RFC 3516)', () => {
  const evs = feedAll('a APPEND INBOX {3+}\r\none (\\Draft) ~{4+}\r\nt\0wo " 1-Jan-2020 00:00:00 +0000" {0}\r\n\r\n');
  assert.deepEqual(evs, [
    { type: 'append-begin', tag: 'a', mailbox: 'INBOX' },
    { type: 'append-message', tag: 'a', meta: { flags: [], internalDate: null, size: 3, binary: false } },
    { type: 'literal-chunk', data: 'one' },
    { type: 'literal-end' },
    { type: 'append-message', tag: 'a', meta: { flags: ['\\Draft'], internalDate: null, size: 4, binary: true } },
    { type: 'literal-chunk', data: 't\0wo' },
    { type: 'literal-end' },
    { type: 'literal-request', tag: 'a', size: 0, command: 'APPEND' },
    { type: 'append-message', tag: 'a', meta: { flags: [], internalDate: Date.UTC(2020, 0, 1), size: 0, binary: false } },
    { type: 'literal-end' },
    { type: 'append-end', tag: 'a' },
  ]);
});

test('APPEND mailbox given as a literal, then the message', () => {
  const evs = feedAll('a APPEND {5}\r\ninbox {2+}\r\nhi\r\n');
  assert.deepEqual(evs, [
    { type: 'literal-request', tag: 'a', size: 5, command: 'APPEND' },
    { type: 'append-begin', tag: 'a', mailbox: 'INBOX' },
    { type: 'append-message', tag: 'a', meta: { flags: [], internalDate: null, size: 2, binary: false } },
    { type: 'literal-chunk', data: 'hi' },
    { type: 'literal-end' },
    { type: 'append-end', tag: 'a' },
  ]);
});

test('APPEND literal-request comes before any data so the server can refuse (RFC 7889 TOOBIG / TRYCREATE)', () => {
  const evs = feedAll('a APPEND nosuch {100}\r\nb NOOP\r\n', {}, () => 'reject');
  assert.deepEqual(evs, [
    { type: 'append-begin', tag: 'a', mailbox: 'nosuch' },
    { type: 'literal-request', tag: 'a', size: 100, command: 'APPEND' },
    { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } },
  ]);
});

test('APPEND chunks are subarrays of the pushed buffers (no copy)', () => {
  const r = new ImapReceiver();
  const buf = Buffer.from('a APPEND x {10+}\r\n0123456789\r\n');
  r.push(buf);
  const chunks: Buffer[] = [];
  let ev: ReceiverEvent | null;
  while ((ev = r.next())) if (ev.type === 'literal-chunk') chunks.push(ev.data);
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.buffer, buf.buffer);
  assert.equal(chunks[0]!.toString(), '0123456789');
});

test('APPEND syntax errors give BAD and resync, skipping non-sync octets', () => {
  assert.deepEqual(types(feedAll('a APPEND\r\nb NOOP\r\n')), ['bad', 'command']);
  assert.deepEqual(types(feedAll('a APPEND INBOX\r\nb NOOP\r\n')), ['append-begin', 'bad', 'command']);
  assert.deepEqual(types(feedAll('a APPEND INBOX (\\Seen {5+}\r\nhello\r\nb NOOP\r\n')), ['append-begin', 'bad', 'command']);
  assert.deepEqual(types(feedAll('a APPEND INBOX "bad date" {5+}\r\nhello\r\nb NOOP\r\n')), ['append-begin', 'bad', 'command']);
  assert.deepEqual(types(feedAll('a APPEND INBOX {1+}\r\nx junk\r\nb NOOP\r\n')), ['append-begin', 'append-message', 'literal-chunk', 'literal-end', 'bad', 'command']);
});

test('APPEND over maxLiteralSize: sync → BAD [TOOBIG] (client sends nothing); non-sync → fatal', () => {
  const a = feedAll('a APPEND x {1000}\r\nb NOOP\r\n', { maxLiteralSize: 100 });
  assert.deepEqual(a.slice(1), [{ type: 'bad', tag: 'a', text: '[TOOBIG] Message too large' }, { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } }]);
  const b = feedAll('a APPEND x {1000+}\r\nxxxx', { maxLiteralSize: 100 });
  assert.deepEqual(types(b), ['append-begin', 'fatal']);
});

// ---- limits and hostile input ---------------------------------------------------------------

test('line over maxLineLength → BAD, resync at next line', () => {
  const evs = feedAll('tag1 NOOP ' + 'x'.repeat(300) + '\r\nb NOOP\r\n', { maxLineLength: 100 });
  assert.deepEqual(evs, [{ type: 'bad', tag: 'tag1', text: 'Line too long' }, { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } }]);
});

test('over-long line ending in a non-sync literal skips the literal too', () => {
  const evs = feedAll('a LOGIN ' + 'x'.repeat(300) + ' {5+}\r\nhello\r\nb NOOP\r\n', { maxLineLength: 100 });
  assert.deepEqual(types(evs), ['bad', 'command']);
});

test('unterminated line without CRLF never grows memory past the limit', () => {
  const r = new ImapReceiver({ maxLineLength: 1000 });
  const evs: ReceiverEvent[] = [];
  for (let i = 0; i < 200; i++) {
    r.push(Buffer.alloc(512, 0x41));
    let ev; while ((ev = r.next())) evs.push(ev);
    assert.ok(r.buffered < 3000, `buffered ${r.buffered}`);
  }
  assert.deepEqual(evs.map((e) => e.type), ['bad']);
});

test('huge non-synchronising literal announcement is fatal (RFC 7888 §4)', () => {
  const evs = feedAll('a LOGIN {99999999999999999999+}\r\n');
  assert.deepEqual(types(evs), ['fatal']);
});

test('huge synchronising literal announcement for a normal command → BAD, nothing waited for', () => {
  const evs = feedAll('a LOGIN {99999999999}\r\nb NOOP\r\n');
  assert.deepEqual(evs, [{ type: 'bad', tag: 'a', text: 'Literal too large for this command' }, { type: 'command', command: { tag: 'b', uid: false, name: 'NOOP' } }]);
});

test('command bytes over maxCommandBytes with non-sync literal → BAD and the octets are skipped', () => {
  const evs = feedAll('a LOGIN {50+}\r\n' + 'y'.repeat(50) + ' x\r\nb NOOP\r\n', { maxCommandBytes: 40 });
  assert.deepEqual(types(evs), ['bad', 'command']);
});

test('literal after literal and literal mid-line are syntax errors, framing survives', () => {
  assert.deepEqual(types(feedAll('a LOGIN {1+}\r\nx{1+}\r\ny\r\nb NOOP\r\n')), ['bad', 'command']);
  assert.deepEqual(types(feedAll('a LOGIN {1} x\r\nb NOOP\r\n')), ['bad', 'command']);
});

test('deep nesting → BAD (maxNesting)', () => {
  const evs = feedAll('a SEARCH ' + '('.repeat(100) + 'ALL' + ')'.repeat(100) + '\r\nb NOOP\r\n', { maxNesting: 10 });
  assert.deepEqual(evs[0], { type: 'bad', tag: 'a', text: 'Too deep nesting' });
  const evs2 = feedAll('a SEARCH ' + 'NOT '.repeat(100) + 'ALL\r\n', { maxNesting: 10 });
  assert.deepEqual(evs2[0], { type: 'bad', tag: 'a', text: 'Too deep nesting' });
});

test('too many arguments → BAD (maxArgs)', () => {
  const evs = feedAll('a SEARCH ' + 'ALL '.repeat(50) + 'ALL\r\n', { maxArgs: 20 });
  assert.deepEqual(evs, [{ type: 'bad', tag: 'a', text: 'Too many arguments' }]);
});

test('NUL in a line and NUL in a literal → BAD', () => {
  assert.deepEqual(types(feedAll('a NO\0OP\r\nb NOOP\r\n')), ['bad', 'command']);
  assert.deepEqual(types(feedAll('a LOGIN {3+}\r\nx\0y z\r\nb NOOP\r\n')), ['bad', 'command']);
});

test('8-bit in atoms → BAD; in quoted strings accepted as UTF-8 (RFC 6855)', () => {
  assert.deepEqual(types(feedAll(Buffer.from('a LOGIN \xff\xfe x\r\n', 'latin1'))), ['bad']);
  assert.deepEqual(types(feedAll('a LOGIN "\u00e9" x\r\n')), ['command']);
});

test('after fatal the receiver stays silent', () => {
  const r = new ImapReceiver();
  r.push(Buffer.from('a LOGIN {99999999999+}\r\n'));
  assert.equal(r.next()?.type, 'fatal');
  r.push(Buffer.from('b NOOP\r\n'));
  assert.equal(r.next(), null);
});

test('bad command with sync literal: BAD now, the client never sends the literal', () => {
  // A command already known to be broken (NUL) gets its BAD at the literal announcement.
  assert.deepEqual(types(feedAll('a\0 LOGIN {5}\r\nb NOOP\r\n')), ['bad', 'command']);
});
