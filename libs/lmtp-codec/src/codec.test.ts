import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCommand } from './parse-command.js';
import { formatReply, reply } from './reply.js';
import { dotStuff } from './dot-stuff.js';
import { runReceiver, split } from './testing.js';

test('RFC 2033/5321 commands parse: LHLO, MAIL with SIZE and BODY, RCPT, BDAT LAST, null sender', () => {
  assert.deepEqual(parseCommand('LHLO mx.example.org'), { verb: 'LHLO', domain: 'mx.example.org' });
  const mail = parseCommand('mail from:<s@example.net> SIZE=1234 BODY=8BITMIME');
  assert.equal(mail.verb, 'MAIL');
  if (mail.verb === 'MAIL') {
    assert.equal(mail.from.address, 's@example.net');
    assert.equal(mail.params.get('SIZE'), '1234');
    assert.equal(mail.params.get('BODY'), '8BITMIME');
  }
  const nul = parseCommand('MAIL FROM:<>');
  assert.ok(nul.verb === 'MAIL' && nul.from.address === '');
  const rcpt = parseCommand('RCPT TO:<Alice+news@Example.org>');
  assert.ok(rcpt.verb === 'RCPT' && rcpt.to.address === 'Alice+news@Example.org');
  const quoted = parseCommand('RCPT TO:<"a b"@example.org>');
  assert.ok(quoted.verb === 'RCPT' && quoted.to.address === '"a b"@example.org');
  const routed = parseCommand('RCPT TO:<@relay.example:bob@example.org>');
  assert.ok(routed.verb === 'RCPT' && routed.to.address === 'bob@example.org', 'RFC 5321 §4.1.2 source route dropped');
  assert.deepEqual(parseCommand('BDAT 100 LAST'), { verb: 'BDAT', size: 100, last: true });
  assert.deepEqual(parseCommand('bdat 0'), { verb: 'BDAT', size: 0, last: false });
  assert.deepEqual(parseCommand('DATA'), { verb: 'DATA' });
  assert.deepEqual(parseCommand('NOOP whatever'), { verb: 'NOOP' });
});

test('bad commands get 500/501 with RFC 3463 codes, never a throw', () => {
  const cases: [string, number][] = [
    ['', 500], ['FOO', 500], ['MAIL <a@b>', 501], ['MAIL FROM:a@b', 501], ['RCPT TO:<>', 501],
    ['RCPT TO:<a b@c>', 501], ['RCPT TO:<a@>', 501], ['RCPT TO:<@b>', 501], ['BDAT', 501], ['BDAT x', 501],
    ['BDAT 1 FIRST', 501], ['DATA x', 501], ['LHLO', 501], ['MAIL FROM:<a@b> SIZE=\x01', 501], ['RCPT TO:<a@b> =x', 501],
  ];
  for (const [line, code] of cases) {
    const c = parseCommand(line);
    assert.equal(c.verb, 'ERROR', line);
    if (c.verb === 'ERROR') assert.equal(c.code, code, line);
  }
});

test('reply formatting: multi-line with "-", enhanced code on every line, CR/LF in texts neutralised', () => {
  assert.equal(formatReply(reply(250, '2.1.5', 'OK')), '250 2.1.5 OK\r\n');
  assert.equal(formatReply(reply(250, null, 'mx', 'PIPELINING', 'SIZE 10')), '250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n');
  assert.equal(formatReply(reply(354, null, 'go ahead')), '354 go ahead\r\n');
  assert.equal(formatReply(reply(550, '5.1.1', 'a\r\n250 b')), '550 5.1.1 a 250 b\r\n');
});

test('RFC 5321 §4.5.2: DATA is dot-unstuffed, the CRLF before the final dot belongs to the message', () => {
  const input = 'LHLO x\r\nDATA\r\nSubject: a\r\n\r\n..leading\r\n..\r\nend\r\n.\r\nQUIT\r\n';
  const t = runReceiver([Buffer.from(input)]);
  assert.deepEqual(t.events, ['LHLO', 'DATA', 'END', 'QUIT']);
  assert.equal(t.bodies[0]!.toString(), 'Subject: a\r\n\r\n.leading\r\n.\r\nend\r\n');
  // A "." line ends the message only after CRLF; the first data after DATA is at a line start too.
  assert.equal(runReceiver([Buffer.from('DATA\r\n.\r\n')]).bodies[0]!.length, 0);
});

test('bare LF before a dot does not end DATA (no SMTP smuggling)', () => {
  const t = runReceiver([Buffer.from('DATA\r\na\n.\r\nMAIL FROM:<x@y>\r\n\r\n.\r\n')]);
  assert.deepEqual(t.events, ['DATA', 'END']);
  assert.equal(t.bodies[0]!.toString(), 'a\n.\r\nMAIL FROM:<x@y>\r\n\r\n');
});

test('RFC 3030 §2: BDAT chunk is read by size, even with CRLF.CRLF inside; LAST ends', () => {
  const t = runReceiver([Buffer.from('BDAT 7\r\nab\r\n.\r\nBDAT 3 LAST\r\nxyzNOOP\r\n')]);
  assert.deepEqual(t.events, ['BDAT', 'END', 'BDAT', 'END', 'NOOP']);
  assert.equal(t.bodies[0]!.toString(), 'ab\r\n.\r\n');
  assert.equal(t.bodies[1]!.toString(), 'xyz');
  assert.deepEqual(runReceiver([Buffer.from('BDAT 0 LAST\r\nQUIT\r\n')]).events, ['BDAT', 'END', 'QUIT']);
});

test('RFC 5321 §4.5.3.1.4: an over-long line is skipped to its end and reported once', () => {
  const t = runReceiver([Buffer.from('NOOP ' + 'x'.repeat(600)), Buffer.from('y'.repeat(600)), Buffer.from('\r\nQUIT\r\n')]);
  assert.deepEqual(t.events, ['TOOLONG', 'QUIT']);
  assert.deepEqual(runReceiver([Buffer.from('NOOP ' + 'x'.repeat(600) + '\r\nQUIT\r\n')]).events, ['TOOLONG', 'QUIT']);
});

const lineArb = fc.array(fc.constantFrom('.', '..', 'a', ' ', '\r', 'x.', '\n'), { maxLength: 8 }).map((a) => a.join(''))
  .filter((l) => !l.includes('\r\n') && !l.endsWith('\r'));
const messageArb = fc.array(lineArb, { maxLength: 12 }).map((ls) => ls.map((l) => l + '\r\n').join(''));

test('property: stuffed message fed in any chunks comes back byte for byte', () => {
  fc.assert(fc.property(messageArb, fc.array(fc.nat(), { maxLength: 6 }), (msg, cuts) => {
    const stuffed = Buffer.concat([Buffer.from('DATA\r\n'), stuffLines(msg), Buffer.from('QUIT\r\n')]);
    const t = runReceiver(split(stuffed, cuts));
    assert.deepEqual(t.events, ['DATA', 'END', 'QUIT']);
    assert.equal(t.bodies[0]!.toString('latin1'), msg);
  }), { numRuns: 2000 });
});

test('property: byte-by-byte feeding gives the same events as one chunk', () => {
  fc.assert(fc.property(messageArb, fc.nat(300), (msg, n) => {
    const input = Buffer.from(`LHLO a\r\nMAIL FROM:<a@b>\r\nDATA\r\n${stuffLines(msg).toString('latin1')}BDAT ${n % 40} LAST\r\n${'z'.repeat(n % 40)}RSET\r\n`, 'latin1');
    const whole = runReceiver([input]);
    const bytes = runReceiver([...input].map((b) => Buffer.from([b])));
    assert.deepEqual(bytes, whole);
  }), { numRuns: 500 });
});

test('property: random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
    runReceiver(split(Buffer.from(bytes), cuts), 64);
  }), { numRuns: 2000 });
});

test('dotStuff (the sending side) round-trips through the receiver', () => {
  const t = runReceiver([Buffer.from('DATA\r\n'), dotStuff(Buffer.from('.a\n..b\nc'))]);
  assert.equal(t.bodies[0]!.toString(), '.a\r\n..b\r\nc\r\n');
});

function stuffLines(msg: string): Buffer {
  return Buffer.from(msg.split('\r\n').map((l, i, a) => (i < a.length - 1 && l.startsWith('.') ? '.' + l : l)).join('\r\n') + '.\r\n', 'latin1');
}
