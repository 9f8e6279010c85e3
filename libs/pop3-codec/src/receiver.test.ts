/** Pop3Receiver: framing, RFC 1939 §3 keywords/arguments, limits, and chunking independence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pop3Receiver } from './receiver.js';
import type { Pop3Event } from './types.js';

function drain(r: Pop3Receiver): Pop3Event[] {
  const out: Pop3Event[] = [];
  for (let ev = r.next(); ev; ev = r.next()) out.push(ev);
  return out;
}

function feed(chunks: Buffer[], max = 100): Pop3Event[] {
  const r = new Pop3Receiver({ maxLineLength: max });
  const out: Pop3Event[] = [];
  for (const c of chunks) { r.push(c); out.push(...drain(r)); }
  return out;
}

test('RFC 1939 §3: keyword is case-insensitive, arguments split on spaces', () => {
  const ev = feed([Buffer.from('retr 1\r\nuSeR alice@example.org\r\nSTAT\r\n')]);
  assert.deepEqual(ev.map((e) => e.type === 'command' ? [e.command.name, e.command.args] : e.type), [
    ['RETR', ['1']], ['USER', ['alice@example.org']], ['STAT', []],
  ]);
});

test('RFC 1939 §7: PASS keeps spaces in the rest of the line', () => {
  const [ev] = feed([Buffer.from('PASS my secret  pw\r\n')]);
  assert.ok(ev && ev.type === 'command');
  assert.equal(ev.command.rest, 'my secret  pw');
});

test('bare LF ends a line too; empty lines and junk are bad events', () => {
  const ev = feed([Buffer.from('NOOP\n\r\n\u00ff\u00feX\r\n12 3\r\n')]);
  assert.deepEqual(ev.map((e) => e.type), ['command', 'bad', 'bad', 'bad']);
});

test('an over-long line gives one bad event, is never buffered whole, and the next line works', () => {
  const r = new Pop3Receiver({ maxLineLength: 50 });
  const out: Pop3Event[] = [];
  for (let i = 0; i < 100; i++) { r.push(Buffer.alloc(40, 0x41)); out.push(...drain(r)); }
  r.push(Buffer.from('AAAA\r\nNOOP\r\n'));
  out.push(...drain(r));
  assert.deepEqual(out.map((e) => e.type), ['bad', 'command']);
});

test('expectLine delivers the next line raw (RFC 5034 §4 continuation)', () => {
  const r = new Pop3Receiver({ maxLineLength: 100 });
  r.push(Buffer.from('AUTH PLAIN\r\nAGFsaWNlAHB3\r\nQUIT\r\n'));
  const a = r.next();
  assert.ok(a?.type === 'command');
  r.expectLine();
  assert.deepEqual(r.next(), { type: 'line', text: 'AGFsaWNlAHB3' });
  assert.equal((r.next() as { command: { name: string } }).command.name, 'QUIT');
});

test('property: any bytes, any split: no throw, same events as unsplit', () => {
  const alphabet = [...'ARETUSQIPNOL 1234.\r\n\0\u00e9'].map((c) => c.charCodeAt(0) & 0xff);
  fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 8 }), (bytes, cuts) => {
    const buf = Buffer.from(bytes);
    const whole = feed([buf], 40);
    const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
    const parts: Buffer[] = [];
    let prev = 0;
    for (const p of points) { parts.push(buf.subarray(prev, p)); prev = p; }
    parts.push(buf.subarray(prev));
    // Byte-by-byte too.
    assert.deepEqual(feed(parts, 40), whole);
    assert.deepEqual(feed([...buf].map((b) => Buffer.from([b])), 40), whole);
  }), { numRuns: 300 });
});
