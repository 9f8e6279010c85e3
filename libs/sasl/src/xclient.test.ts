/** parseXclient: the fields of Dovecot's XCLIENT as its pop3-login/managesieve-login read them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXclient } from './xclient.js';

test('ADDR, PORT, SESSION, TTL (keys case-insensitive); unknown keys and words without "=" are skipped', () => {
  assert.deepEqual(parseXclient(['ADDR=192.0.2.7', 'port=4711', 'Session=abc-1', 'TTL=4', 'FORWARD=e30=', 'CLIENT-TRANSPORT=TLS', 'junk']),
    { addr: '192.0.2.7', port: 4711, session: 'abc-1', ttl: 4 });
  assert.deepEqual(parseXclient(['ADDR=2001:db8::1', 'ADDR=::ffff:127.0.0.5']), { addr: '::ffff:127.0.0.5' });
  assert.deepEqual(parseXclient([]), {});
});

test('a bad ADDR, PORT or TTL invalidates the command; an over-long or odd SESSION is ignored', () => {
  for (const bad of ['ADDR=', 'ADDR=300.1.1.1', 'ADDR=host.example', 'PORT=0', 'PORT=65536', 'PORT=+1', 'PORT=', 'TTL=-1', 'TTL=4294967296', 'TTL=x']) {
    assert.equal(parseXclient([bad]), null, bad);
  }
  assert.deepEqual(parseXclient([`SESSION=${'s'.repeat(65)}`]), {});
  assert.deepEqual(parseXclient([`SESSION=${'s'.repeat(64)}`]), { session: 's'.repeat(64) });
  assert.deepEqual(parseXclient(['SESSION=a\u0001b']), {});
});
