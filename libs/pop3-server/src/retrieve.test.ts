/**
 * RETR/TOP output paths (RFC 1939 §7) over a real socket: a small message goes out in one write,
 * a big one is streamed; bare-LF files (Dovecot's own, placed by hand) are sent CRLF and dot-stuffed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { homeOf, loggedIn, startHarness, type Harness } from './testing.js';

let h: Harness;
const USER = 'alice@example.org';
/** Bare-LF files as Dovecot stores them: a small one and one above the 256 KB one-read limit. */
const small = 'From: a@example.org\nSubject: small\n\n.dot first\nline\n..two\nlast line without newline';
const big = 'From: a@example.org\nSubject: big\n\n' + '.x line of the big message\nplain line\n'.repeat(12_000);
const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const stuffed = (s: string) => crlf(s).split('\r\n').map((l) => (l.startsWith('.') ? '.' + l : l)).join('\r\n');

before(async () => {
  h = await startHarness();
  const md = join(homeOf(h.dir, USER), 'Maildir');
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(md, d), { recursive: true });
  for (const [i, m] of [small, big].entries()) {
    const size = Buffer.byteLength(m);
    const vsize = Buffer.byteLength(crlf(m));
    writeFileSync(join(md, 'cur', `17000000${i}0.M1P1Q${i + 1}.test,S=${size},W=${vsize}:2,`), m);
  }
});
after(async () => { await h.close(); proto._writeGeneric = origWrite; });

/** Counts the socket writes (one syscall each) of the server side: the harness runs in this process. */
const proto = net.Socket.prototype as unknown as { _writeGeneric: (...a: unknown[]) => unknown };
const origWrite = proto._writeGeneric;
let serverWrites = 0;
proto._writeGeneric = function (this: net.Socket, ...a: unknown[]) {
  if (this.localPort === h?.port) serverWrites++;
  return origWrite.apply(this, a);
};

/** Sends a command and collects the raw reply up to `end`. */
async function raw(c: Awaited<ReturnType<typeof loggedIn>>, cmd: string, end = '\r\n.\r\n'): Promise<{ reply: string }> {
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout: ${Buffer.concat(chunks).toString('latin1').slice(-200)}`)), 10_000);
    const onData = (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).toString('latin1').endsWith(end)) { clearTimeout(t); c.sock.off('data', onData); resolve(); }
    };
    c.sock.on('data', onData);
  });
  c.send(cmd + '\r\n');
  await done;
  return { reply: Buffer.concat(chunks).toString('latin1') };
}

test('small bare-LF message: CRLF, dot-stuffed, last line ended; "+OK", body and terminator in one write', async () => {
  const c = await loggedIn(h, USER);
  serverWrites = 0;
  const r = await raw(c, 'RETR 1');
  assert.equal(r.reply, `+OK ${Buffer.byteLength(crlf(small))} octets\r\n${stuffed(small)}\r\n.\r\n`);
  assert.equal(serverWrites, 1, 'the whole reply in one socket write');
  const t = await raw(c, 'TOP 1 1');
  assert.equal(t.reply, '+OK\r\n' + stuffed('From: a@example.org\nSubject: small\n\n.dot first\n') + '.\r\n');
  c.close();
});

test('big bare-LF message (above the one-read limit): streamed, same transformation', async () => {
  const c = await loggedIn(h, USER);
  const r = await raw(c, 'RETR 2');
  assert.equal(r.reply, `+OK ${Buffer.byteLength(crlf(big))} octets\r\n${stuffed(big)}.\r\n`);
  const t = await raw(c, 'TOP 2 2');
  assert.equal(t.reply, '+OK\r\n' + stuffed('From: a@example.org\nSubject: big\n\n.x line of the big message\nplain line\n') + '.\r\n');
  // Pipelined: both answers in order, nothing lost between them (RFC 2449 §6.6).
  const p = await raw(c, 'RETR 1\r\nNOOP', '\r\n.\r\n+OK\r\n');
  assert.equal(p.reply, `+OK ${Buffer.byteLength(crlf(small))} octets\r\n${stuffed(small)}\r\n.\r\n+OK\r\n`);
  c.close();
});
