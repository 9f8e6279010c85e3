import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger, redactProtocolLine } from './logger.js';
import { createMetrics } from './metrics.js';
import { startHttp } from './http.js';

function capture(pretty = false) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString(); });
  const logger = createLogger({ level: 'debug', destination: out, pretty });
  return { logger, text: () => text };
}
const tick = () => new Promise((r) => setImmediate(r));

test('logger: password fields are censored at any usual depth', async () => {
  const c = capture();
  c.logger.info({ user: 'alice', password: 'hunter2', auth: { pass: 'x1' }, deep: { nested: { secret: 's3' } } }, 'login');
  await tick();
  assert.doesNotMatch(c.text(), /hunter2|x1|s3/);
  const o = JSON.parse(c.text());
  assert.equal(o.password, '[REDACTED]');
  assert.equal(o.user, 'alice');
  assert.equal(o.msg, 'login');
});

test('logger: protocol lines in line/command/cmd keep the command, hide the credentials', async () => {
  const c = capture();
  c.logger.debug({ line: 'a1 LOGIN alice "s3cr3t pw"' }, 'in');
  c.logger.debug({ command: 'a2 AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=' }, 'in');
  c.logger.debug({ cmd: 'a3 SELECT INBOX' }, 'in');
  await tick();
  const lines = c.text().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].line, 'a1 LOGIN alice [REDACTED]');
  assert.equal(lines[1].command, 'a2 AUTHENTICATE PLAIN [REDACTED]');
  assert.equal(lines[2].cmd, 'a3 SELECT INBOX');
});

test('redactProtocolLine: RFC 3501 §6.2.3 LOGIN, RFC 4959 SASL-IR, RFC 1939 PASS, SASL continuations', () => {
  const table: Array<[string, string]> = [
    ['a LOGIN bob pw', 'a LOGIN bob [REDACTED]'],
    ['a login "bob" "p w"', 'a login "bob" [REDACTED]'],
    ['a LOGIN bob', 'a LOGIN bob'],
    ['a AUTHENTICATE PLAIN', 'a AUTHENTICATE PLAIN'],
    ['a AUTHENTICATE PLAIN AGJvYgBwdw==', 'a AUTHENTICATE PLAIN [REDACTED]'],
    ['AUTHENTICATE "PLAIN" "AGJvYgBwdw=="', 'AUTHENTICATE "PLAIN" [REDACTED]'],
    ['AUTH PLAIN AGJvYgBwdw==', 'AUTH PLAIN [REDACTED]'],
    ['PASS hunter2', 'PASS [REDACTED]'],
    ['AGJvYgBwdw==', '[REDACTED]'],
    ['a FETCH 1:* (FLAGS)', 'a FETCH 1:* (FLAGS)'],
  ];
  for (const [i, o] of table) assert.equal(redactProtocolLine(i), o, i);
});

test('logger: pretty mode prints one readable line per event', async () => {
  const c = capture(true);
  c.logger.warn({ port: 1143, password: 'pw' }, 'listening');
  await tick(); await tick();
  assert.match(c.text(), /^\d\d:\d\d:\d\d\.\d{3} WARN  listening port=1143 password=\[REDACTED\]\n$/);
});

test('http: /metrics serves the registry with default metrics, /healthz/live is 200, unknown is 404', async () => {
  const m = createMetrics();
  m.listenerUp.set({ listener: 'imap' }, 1);
  const h = await startHttp({ host: '127.0.0.1', port: 0, registry: m.registry, checks: {} });
  try {
    const base = `http://127.0.0.1:${h.port}`;
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    const body = await r.text();
    assert.match(body, /process_cpu_user_seconds_total/);
    assert.match(body, /mail_listener_up\{listener="imap"\} 1/);
    assert.equal((await fetch(`${base}/healthz/live`)).status, 200);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await h.close();
  }
});

test('http: /healthz/ready is 200 only when every check passes; failing, throwing and hanging checks give 503', async () => {
  const m = createMetrics();
  let storage = true;
  const h = await startHttp({
    host: '127.0.0.1', port: 0, registry: m.registry, checkTimeoutMs: 200,
    checks: { listeners: () => true, storage: async () => storage },
  });
  const h2 = await startHttp({
    host: '127.0.0.1', port: 0, registry: m.registry, checkTimeoutMs: 200,
    checks: { boom: () => { throw new Error('x'); }, hang: () => new Promise<boolean>(() => {}) },
  });
  try {
    let r = await fetch(`http://127.0.0.1:${h.port}/healthz/ready`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ready: true, checks: { listeners: 'ok', storage: 'ok' } });
    storage = false;
    r = await fetch(`http://127.0.0.1:${h.port}/healthz/ready`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, checks: { listeners: 'ok', storage: 'fail' } });
    r = await fetch(`http://127.0.0.1:${h2.port}/healthz/ready`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, checks: { boom: 'fail', hang: 'fail' } });
  } finally {
    await h.close();
    await h2.close();
  }
});
