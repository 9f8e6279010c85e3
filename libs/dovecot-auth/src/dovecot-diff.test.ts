// Differential test: the same auth-protocol conversations against a real Dovecot 2.3 auth service
// (Debian) and ours must get the same replies (SPID/CUID/COOKIE values aside). This is what makes
// the service "Dovecot-compatible" for Postfix, Exim and any other auth client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../testing/src/postfix.js';
import { RawAuthClient, startReferenceDovecotAuth, startTestAuthService, b64, type ReferenceDovecotAuth, type TestAuthService } from './testing.js';

let ours: TestAuthService;
let dovecot: ReferenceDovecotAuth;
let dovecotPort = 0;

before(async () => {
  ours = await startTestAuthService({}, 0);
  dovecot = await startReferenceDovecotAuth('alice@example.org:{PLAIN}alicepw\n', await freePort());
  dovecotPort = dovecot.port;
});

after(async () => {
  await ours?.close();
  await dovecot?.close();
});

const normalize = (l: string) => l.replace(/^(SPID|CUID)\t\d+$/, '$1\tN').replace(/^COOKIE\t[0-9a-f]{32}$/, 'COOKIE\tX');

/**
 * One scenario on a fresh connection: sends each line and waits for its one reply before the next
 * (as Postfix does; Dovecot does not read a client's next request while it delays a failure).
 */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const c = await RawAuthClient.connect({ port });
  const got: string[] = [];
  for (;;) { const l = await c.line(); if (l === null) break; got.push(normalize(l)); if (l === 'DONE') break; }
  c.send('VERSION\t1\t0\nCPID\t4242\n');
  for (const line of lines) {
    c.send(`${line}\n`);
    got.push(normalize((await c.line(10_000)) ?? '(closed)'));
  }
  c.end();
  return got;
}

const R = 'service=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1';

const SAME: Record<string, string[]> = {
  'PLAIN with initial response': [`AUTH\t1\tPLAIN\t${R}\tresp=${b64('\0alice@example.org\0alicepw')}`],
  'wrong password': [`AUTH\t2\tPLAIN\t${R}\tresp=${b64('\0alice@example.org\0wrong')}`],
  'unknown user': [`AUTH\t3\tPLAIN\t${R}\tresp=${b64('\0nobody@example.org\0alicepw')}`],
  'LOGIN dialogue': [`AUTH\t4\tLOGIN\t${R}`, `CONT\t4\t${b64('alice@example.org')}`, `CONT\t4\t${b64('alicepw')}`],
  'LOGIN with the user in the initial response': [`AUTH\t7\tLOGIN\t${R}\tresp=${b64('alice@example.org')}`, `CONT\t7\t${b64('alicepw')}`],
  'PLAIN without initial response': [`AUTH\t5\tPLAIN\t${R}`, `CONT\t5\t${b64('\0alice@example.org\0alicepw')}`],
  'PLAIN with an empty resp=': [`AUTH\t6\tPLAIN\t${R}\tresp=`, `CONT\t6\t${b64('\0alice@example.org\0alicepw')}`],
  'CONT for an unknown request': ['CONT\t99\tAAAA'],
};

for (const [name, lines] of Object.entries(SAME)) {
  test(`same replies as Dovecot 2.3: ${name}`, async () => {
    const theirs = await converse(dovecotPort, lines);
    const mine = await converse(ours.port, lines);
    assert.equal(theirs.length, 7 + lines.length, 'Dovecot answered every line');
    assert.deepEqual(mine, theirs);
  });
}

// Texts differ (Dovecot's reasons vary); what matters to a client is FAIL for the same request.
const SAME_KIND: Record<string, string[]> = {
  'PLAIN message without NULs': [`AUTH\t2\tPLAIN\t${R}\tresp=${b64('garbage-without-nuls')}`],
  'PLAIN with empty user and password': [`AUTH\t3\tPLAIN\t${R}\tresp=${b64('\0\0')}`],
  'LOGIN with an empty user name': [`AUTH\t4\tLOGIN\t${R}`, `CONT\t4\t${b64('')}`],
};

for (const [name, lines] of Object.entries(SAME_KIND)) {
  test(`same outcome as Dovecot 2.3: ${name}`, async () => {
    const kind = (l: string) => l.split('\t').slice(0, 2).join(' ');
    const theirs = (await converse(dovecotPort, lines)).map(kind);
    const mine = (await converse(ours.port, lines)).map(kind);
    assert.deepEqual(mine, theirs);
  });
}
