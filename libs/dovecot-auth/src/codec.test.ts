import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AuthProtocolError, LineSplitter, authRequestInfo, decodeBase64, formatClientLine, formatServerLine,
  parseClientLine, parseServerLine, tabEscape, tabUnescape, type ClientLine, type Param, type ServerLine,
} from './codec.js';
import { LIMITS } from '../../core/src/limits.js';

const onlyTyped = (f: () => unknown) => {
  try { f(); } catch (e) { if (!(e instanceof AuthProtocolError)) throw e; }
};

test('parse: random lines never throw anything but AuthProtocolError', () => {
  const words = fc.constantFrom('VERSION', 'CPID', 'AUTH', 'CONT', 'OK', 'FAIL', 'MECH', 'SPID', 'CUID', 'COOKIE', 'DONE', '1', '0', '4294967296', 'PLAIN', 'resp=', 'resp=AGEAYg==', '=', '\u0001', '');
  const line = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.array(fc.oneof(words, fc.string({ maxLength: 10 })), { maxLength: 8 }).map((a) => a.join('\t')),
  );
  fc.assert(fc.property(line, (l) => { onlyTyped(() => parseClientLine(l)); onlyTyped(() => parseServerLine(l)); }), { numRuns: 3000 });
});

test('LineSplitter: random bytes in random chunks never throw anything but AuthProtocolError', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
    const s = new LineSplitter(256);
    onlyTyped(() => { for (const c of chunks) for (const l of s.push(c)) onlyTyped(() => parseClientLine(l)); });
  }), { numRuns: 1000 });
});

test('LineSplitter: any split of a stream gives the same lines (feedable byte by byte)', () => {
  const lineArb = fc.string({ maxLength: 50 }).map((s) => s.replace(/[\r\n]/g, ''));
  fc.assert(fc.property(fc.array(lineArb, { maxLength: 10 }), fc.array(fc.nat(400), { maxLength: 10 }), (lines, cuts) => {
    const stream = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    const s = new LineSplitter();
    const got: string[] = [];
    let prev = 0;
    for (const p of [...points, stream.length]) { got.push(...s.push(stream.subarray(prev, p))); prev = p; }
    assert.deepEqual(got, lines);
    const bytewise = new LineSplitter();
    const got2: string[] = [];
    for (const b of stream) got2.push(...bytewise.push(Uint8Array.of(b)));
    assert.deepEqual(got2, lines);
  }), { numRuns: 300 });
});

test('LineSplitter: a line over dovecotAuthMaxLineLength is refused', () => {
  const s = new LineSplitter();
  assert.throws(() => s.push(Buffer.alloc(LIMITS.dovecotAuthMaxLineLength + 1, 0x41)), AuthProtocolError);
  const s2 = new LineSplitter();
  assert.throws(() => { for (let i = 0; i < 20; i++) s2.push(Buffer.alloc(1024, 0x41)); }, AuthProtocolError);
});

test('tab escaping (Dovecot str_tabescape) round-trips any string', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
    const e = tabEscape(s);
    assert.ok(!/[\t\r\n]/.test(e));
    assert.equal(tabUnescape(e), s);
  }));
  assert.equal(tabEscape('a\tb\u0001c\n'), 'a\u0001tb\u00011c\u0001n');
});

// fc.record makes null-prototype objects; deepStrictEqual wants plain ones.
function rec<T extends object>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(shape).map((o) => ({ ...o }) as T);
}
const id = fc.integer({ min: 0, max: 0xffffffff });
const key = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
const value = fc.option(fc.string({ unit: 'binary', maxLength: 30 }).filter((v: string) => !v.includes('\u0000')), { nil: null });
const params = fc.array(rec({ key, value }), { maxLength: 6 }) as fc.Arbitrary<Param[]>;
const b64 = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('base64'));
const mech = fc.stringMatching(/^[A-Z0-9_-]{1,20}$/);
const pid = fc.nat().map(String);

test('client lines: format then parse round-trips', () => {
  const arb: fc.Arbitrary<ClientLine> = fc.oneof(
    rec({ type: fc.constant('VERSION' as const), major: id, minor: id }),
    rec({ type: fc.constant('CPID' as const), pid }),
    rec({ type: fc.constant('AUTH' as const), id, mech, params }),
    rec({ type: fc.constant('CONT' as const), id, data: b64 }),
  );
  fc.assert(fc.property(arb, (m) => {
    const wire = formatClientLine(m);
    assert.ok(wire.endsWith('\n') && wire.indexOf('\n') === wire.length - 1);
    assert.deepEqual(parseClientLine(wire.slice(0, -1)), m);
  }), { numRuns: 1000 });
});

test('server lines: format then parse round-trips', () => {
  const arb: fc.Arbitrary<ServerLine> = fc.oneof(
    rec({ type: fc.constant('VERSION' as const), major: id, minor: id }),
    rec({ type: fc.constant('MECH' as const), name: mech, flags: fc.array(key, { maxLength: 4 }) }),
    rec({ type: fc.constant('SPID' as const), pid }),
    rec({ type: fc.constant('CUID' as const), id: pid }),
    rec({ type: fc.constant('COOKIE' as const), cookie: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u).toString('hex')) }),
    fc.constant({ type: 'DONE' as const }),
    rec({ type: fc.constant('CONT' as const), id, data: b64 }),
    rec({ type: fc.constantFrom('OK' as const, 'FAIL' as const), id, params }),
  );
  fc.assert(fc.property(arb, (m) => assert.deepEqual(parseServerLine(formatServerLine(m).slice(0, -1)), m)), { numRuns: 1000 });
});

function authParams(line: string): readonly Param[] {
  const m = parseClientLine(line);
  assert.equal(m.type, 'AUTH');
  return m.type === 'AUTH' ? m.params : [];
}

test('AUTH as Postfix xsasl_dovecot_server.c sends it', () => {
  const m = parseClientLine('AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.2\tsecured\tresp=AGFsaWNlAHB3');
  assert.equal(m.type, 'AUTH');
  if (m.type !== 'AUTH') return;
  assert.equal(m.id, 1);
  assert.equal(m.mech, 'PLAIN');
  assert.deepEqual(authRequestInfo(m.params), {
    service: 'smtp', localIp: '127.0.0.1', remoteIp: '127.0.0.2', secured: true, validClientCert: false,
    noLogin: true, resp: 'AGFsaWNlAHB3', session: null,
  });
  assert.equal(authRequestInfo(authParams('AUTH\t2\tLOGIN\tservice=smtp')).resp, null);
  // "resp=" with nothing after it is an empty initial response (RFC 4422 §3.3), not "none".
  assert.equal(authRequestInfo(authParams('AUTH\t3\tPLAIN\tresp=')).resp, '');
});

test('malformed AUTH/CONT carry their id so the server can FAIL that request', () => {
  for (const [line, wantId] of [
    ['AUTH\t7\tPL AIN', 7], ['AUTH\t8\tPLAIN\t=x', 8], ['CONT\t9\t***', 9], ['CONT\t10', 10],
    ['AUTH\tx\tPLAIN', null], ['AUTH\t99999999999\tPLAIN', null], ['BOGUS\t1', null], ['', null],
  ] as const) {
    assert.throws(() => parseClientLine(line), (e: unknown) => e instanceof AuthProtocolError && e.id === wantId, line);
  }
});

test('decodeBase64 is strict (RFC 4648 §4)', () => {
  assert.deepEqual(decodeBase64('AGEAYg=='), Buffer.from('\0a\0b'));
  assert.deepEqual(decodeBase64(''), Buffer.alloc(0));
  for (const bad of ['AGE', 'A=GE', '****', 'AGEAYg==='] ) assert.equal(decodeBase64(bad), null, bad);
});
