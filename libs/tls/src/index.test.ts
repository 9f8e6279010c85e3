import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, TLSSocket } from 'node:tls';
import { createServer, type AddressInfo } from 'node:net';
import { loadTls, secureContext, generateSelfSigned, TlsError } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'tls-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('self-signed cert is generated on first use (key 0600) and reused afterwards', async () => {
  const gen = join(dir, 'gen');
  const a = await loadTls({ cert: null, key: null, generatedDir: gen });
  assert.equal(a.selfSigned, true);
  assert.equal(statSync(a.keyPath).mode & 0o777, 0o600);
  const b = await loadTls({ cert: null, key: null, generatedDir: gen });
  assert.equal(b.fingerprint256, a.fingerprint256);
  assert.match(a.subject, /CN=localhost/);
});

async function handshake(ctxMaterial: { cert: string; key: string }, client: { ca?: string; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; host?: string }) {
  // As the IMAP server does for STARTTLS and implicit TLS: a TLSSocket over the accepted socket with the
  // SecureContext. (tls.createServer ignores a `secureContext` option and would build its own.)
  const ctx = secureContext(ctxMaterial);
  const server = createServer((raw) => {
    const s = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    s.on('error', () => raw.destroy());
    s.on('secure', () => s.end('hi'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise<{ ok: boolean; protocol?: string | null; error?: string }>((resolve) => {
      const s: TLSSocket = connect({ host: client.host ?? '127.0.0.1', port, ca: client.ca, servername: 'localhost',
        minVersion: 'TLSv1', maxVersion: client.maxVersion ?? 'TLSv1.3' });
      s.on('secureConnect', () => { resolve({ ok: s.authorized, protocol: s.getProtocol() }); s.destroy(); });
      s.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
  } finally {
    server.close();
  }
}

test('the generated cert verifies for localhost and 127.0.0.1 with itself as CA', async () => {
  const m = await loadTls({ cert: null, key: null, generatedDir: join(dir, 'gen2') });
  const r = await handshake(m, { ca: m.cert });
  assert.equal(r.ok, true, r.error);
});

test('RFC 8996: TLS 1.1 and older are refused', async () => {
  const m = await loadTls({ cert: null, key: null, generatedDir: join(dir, 'gen3') });
  const r = await handshake(m, { ca: m.cert, maxVersion: 'TLSv1.1' });
  assert.equal(r.ok, false);
  const r2 = await handshake(m, { ca: m.cert, maxVersion: 'TLSv1.2' });
  assert.equal(r2.ok, true);
  assert.equal(r2.protocol, 'TLSv1.2');
});

test('configured pair: missing file, garbage and mismatched key are errors naming the file', async () => {
  const one = await generateSelfSigned(['mail.example.org']);
  const two = await generateSelfSigned(['other.example.org']);
  const c = join(dir, 'c.pem'); const k = join(dir, 'k.pem'); const k2 = join(dir, 'k2.pem'); const junk = join(dir, 'junk.pem');
  writeFileSync(c, one.cert); writeFileSync(k, one.key); writeFileSync(k2, two.key); writeFileSync(junk, 'hello');
  const ok = await loadTls({ cert: c, key: k, generatedDir: dir });
  assert.equal(ok.selfSigned, false);
  assert.match(ok.subject, /mail\.example\.org/);
  await assert.rejects(loadTls({ cert: join(dir, 'none.pem'), key: k, generatedDir: dir }), (e: unknown) => e instanceof TlsError && /none\.pem: cannot read: ENOENT/.test(e.message));
  await assert.rejects(loadTls({ cert: junk, key: k, generatedDir: dir }), /junk\.pem: not a PEM certificate/);
  await assert.rejects(loadTls({ cert: c, key: k2, generatedDir: dir }), /k2\.pem: private key does not match certificate/);
});
