// A service's connection limit (Dovecot process_limit of imap / pop3 on a mail node): refusal text per
// protocol over a real socket, Dovecot's warning, rate-limited.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Listeners } from './listeners.js';
import { LimitWarning, limitRefusal } from './limit.js';

const open: Array<() => void> = [];
after(() => { for (const c of open) c(); });

test('LimitWarning: Dovecot\'s words, at most once per interval, with the count of drops in between', () => {
  let now = 0;
  const seen: Array<[string, number]> = [];
  const w = new LimitWarning('imap', (m, n) => seen.push([m, n]), 60_000, () => now);
  w.hit('process_limit', 400);
  w.hit('process_limit', 400);
  now = 59_999;
  w.hit('process_limit', 400);
  now = 60_000;
  w.hit('process_limit', 400);
  assert.deepEqual(seen, [
    ['service(imap): process_limit (400) reached, client connections are being dropped', 1],
    ['service(imap): process_limit (400) reached, client connections are being dropped', 3],
  ]);
});

test('refusals: IMAP * BYE [UNAVAILABLE] (RFC 5530), POP3 -ERR [SYS/TEMP] (RFC 3206), ManageSieve BYE (TRYLATER) (RFC 5804 §1.3)', () => {
  assert.match(limitRefusal('imap'), /^\* BYE \[UNAVAILABLE\] .*\r\n$/);
  assert.match(limitRefusal('pop3'), /^-ERR \[SYS\/TEMP\] .*\r\n$/);
  assert.match(limitRefusal('managesieve'), /^BYE \(TRYLATER\) ".*"\r\n$/);
});

async function line(sock: net.Socket): Promise<string> {
  let buf = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no line: ${buf}`)), 5000);
    sock.on('data', (d) => { buf += d.toString(); const i = buf.indexOf('\r\n'); if (i >= 0) { clearTimeout(t); resolve(buf.slice(0, i)); } });
  });
}

test('Listeners with a limit: the connection past it gets the POP3 refusal and is closed; the warning is logged; a closed connection frees its slot', async () => {
  const warned: string[] = [];
  let max = 2;
  const l = new Listeners({
    tls: () => null,
    onConnection: (s) => { s.write('+OK ready\r\n'); s.on('data', () => undefined); s.on('end', () => s.end()); },
    limit: { max: () => max, protocol: 'pop3', warning: new LimitWarning('pop3', (m) => warned.push(m)) },
  });
  const port = await l.listen({ host: '127.0.0.1', port: 0, implicitTls: false });
  const socks: net.Socket[] = [];
  open.push(() => { for (const s of socks) s.destroy(); void l.close(); });
  const conn = () => { const s = net.connect(port, '127.0.0.1'); socks.push(s); s.on('error', () => undefined); return s; };
  const a = conn();
  assert.equal(await line(a), '+OK ready');
  const b = conn();
  assert.equal(await line(b), '+OK ready');
  const c = conn();
  assert.equal(await line(c), '-ERR [SYS/TEMP] Maximum number of connections reached, try again later.');
  await new Promise<void>((r) => c.once('close', () => r()));
  assert.deepEqual(warned, ['service(pop3): process_limit (2) reached, client connections are being dropped']);
  assert.equal(l.connections, 2);
  a.end();
  await new Promise<void>((r) => a.once('close', () => r()));
  for (let i = 0; i < 50 && (l.connections as number) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(l.connections, 1);
  assert.equal(await line(conn()), '+OK ready');
  // The limit is read on every accept (reload): raised, a new one gets in.
  max = 3;
  assert.equal(await line(conn()), '+OK ready');
});
