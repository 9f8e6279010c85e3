import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManageSieveReceiver } from './receiver.js';
import { encodeResponse, encodeString } from './response.js';
import type { ReceiverEvent } from './types.js';
import { feedInPieces } from '../../testing/src/chunks.js';

const OPTS = { maxLineLength: 1024, maxLiteralSize: 4096, maxArgs: 8 };

function feed(input: string | Buffer, splits: number[] = [], opts = OPTS, cont = false): ReceiverEvent[] {
  const r = new ManageSieveReceiver(opts);
  if (cont) r.expectContinuation();
  return feedInPieces<ReceiverEvent>(r, typeof input === 'string' ? Buffer.from(input, 'utf8') : input, splits);
}

test('RFC 5804 §2.6 PUTSCRIPT with a non-synchronising literal', () => {
  const ev = feed('PUTSCRIPT "foo" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n');
  assert.deepEqual(ev, [{ type: 'command', name: 'PUTSCRIPT', args: [
    { type: 'string', value: 'foo' }, { type: 'string', value: '#comment\r\nInvalidSieveCommand\r\n' }] }]);
});

test('synchronising literal {n} is accepted like {n+}, a literal in the middle of a line too', () => {
  assert.deepEqual(feed('renamescript {3}\r\nabc "d\\"e"\r\n'), [{ type: 'command', name: 'RENAMESCRIPT', args: [
    { type: 'string', value: 'abc' }, { type: 'string', value: 'd"e' }] }]);
});

test('RFC 5804 §2.5 HAVESPACE number argument; bad atoms and unterminated strings are BAD', () => {
  assert.deepEqual(feed('HAVESPACE "x" 1000\r\n'), [{ type: 'command', name: 'HAVESPACE', args: [
    { type: 'string', value: 'x' }, { type: 'number', value: 1000 }] }]);
  assert.equal(feed('GETSCRIPT foo\r\n')[0]!.type, 'bad');
  assert.equal(feed('GETSCRIPT "foo\r\n')[0]!.type, 'bad');
  assert.equal(feed('HAVESPACE "x" 99999999999\r\n')[0]!.type, 'bad');
  assert.equal(feed('NOOP "a\u0000b"\r\n')[0]!.type, 'bad');
});

test('a literal above the limit is skipped unbuffered and reported once, the next command still parses', () => {
  const big = 'x'.repeat(5000);
  const ev = feed(`PUTSCRIPT "s" {5000+}\r\n${big}\r\nNOOP\r\n`, [7, 30, 2000]);
  assert.deepEqual(ev, [{ type: 'tooBig', name: 'PUTSCRIPT', size: 5000 }, { type: 'command', name: 'NOOP', args: [] }]);
});

test('an over-long line is reported and skipped', () => {
  const ev = feed(`NOOP "${'y'.repeat(3000)}"\r\nLOGOUT\r\n`, [100, 1500]);
  assert.deepEqual(ev, [{ type: 'lineTooLong' }, { type: 'command', name: 'LOGOUT', args: [] }]);
});

test('RFC 5804 §2.1 AUTHENTICATE continuation: a string or "*"', () => {
  assert.deepEqual(feed('"dGVzdA=="\r\n', [], OPTS, true), [{ type: 'continuation', value: 'dGVzdA==' }]);
  assert.deepEqual(feed('{4+}\r\nabcd\r\n', [], OPTS, true), [{ type: 'continuation', value: 'abcd' }]);
  assert.deepEqual(feed('*\r\n', [], OPTS, true), [{ type: 'cancel' }]);
});

test('responses: codes, quoted and literal strings (RFC 5804 §1.3, §4)', () => {
  assert.equal(encodeResponse({ status: 'NO', code: 'ACTIVE', text: 'Script is active' }), 'NO (ACTIVE) "Script is active"\r\n');
  assert.equal(encodeResponse({ status: 'OK' }), 'OK\r\n');
  assert.equal(encodeResponse({ status: 'OK', code: 'SASL', codeArg: 'eA==' }), 'OK (SASL "eA==")\r\n');
  assert.equal(encodeString('a\r\nb'), '{4}\r\na\r\nb');
  assert.equal(encodeString('q"\\'), '"q\\"\\\\"');
});

/** How a client writes a string: quoted when it can, else a non-synchronising literal. */
function clientString(s: string, forceLiteral: boolean): string {
  if (!forceLiteral && !/[\r\n\u0000"\\]/.test(s)) return `"${s}"`;
  return `{${Buffer.byteLength(s)}+}\r\n${s}`;
}

test('property: any command with any string arguments survives any split of its bytes', () => {
  fc.assert(fc.property(
    fc.constantFrom('PUTSCRIPT', 'GETSCRIPT', 'RENAMESCRIPT', 'checkscript', 'Noop'),
    fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.boolean()), { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 6 }),
    (name, args, splits) => {
      const line = `${name}${args.map(([s, lit]) => ` ${clientString(s, lit)}`).join('')}\r\n`;
      const ev = feed(line + 'LOGOUT\r\n', splits);
      assert.deepEqual(ev, [
        { type: 'command', name: name.toUpperCase(), args: args.map(([s]) => ({ type: 'string', value: s })) },
        { type: 'command', name: 'LOGOUT', args: [] },
      ]);
    }), { numRuns: 300 });
});

test('property: random bytes never throw and give only known events', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, splits) => {
    // A trailing CRLF ends whatever the noise was, unless it opened a literal; a big literal is then skipped.
    const input = Buffer.concat([Buffer.from(bytes), Buffer.from('\r\n')]);
    const ev = feed(input, splits);
    for (const e of ev) assert.ok(['command', 'bad', 'tooBig', 'lineTooLong'].includes(e.type));
  }), { numRuns: 500 });
});
