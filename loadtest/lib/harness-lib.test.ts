import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFetch, applyMailboxUpdates } from './imap-fetch.js';
import { makeTracked, splitMessage, checkMessage, parseSizes, pickSize, headerValue } from './tracked-message.js';
import { Ledger, compare } from './ledger.js';
import { dotStuff, unstuffLine } from './line-client.js';
import { parseSourceAddresses } from './target.js';
import { expandPattern, parseRange, userSource, patternUsers } from './users.js';
import { Stats } from './stats.js';
import { mergeResults, verdict, type RunResult } from '../report/result.js';
import { seqSet } from '../profiles/imap-mixed.js';
import { rng } from './maildir-gen.js';

test('parseFetch reads literals by count (RFC 3501 §4.3), quoted strings, NIL and lists', () => {
  const body = 'line1\r\nA1 OK fake\r\n)(\r\n';
  const u = `7 FETCH (UID 42 FLAGS (\\Seen $x) BODY[HEADER.FIELDS (X-LOADTEST-ID)] {11}\r\nX-Id: a b\r\n BODY[TEXT] {${body.length}}\r\n${body} RFC822.SIZE 99 ENVELOPE ("d" NIL "s (x)" NIL))`;
  const f = parseFetch(u)!;
  assert.equal(f.seq, 7);
  assert.equal(f.items.get('UID'), '42');
  assert.equal(f.items.get('FLAGS'), '(\\Seen $x)');
  assert.equal(f.items.get('BODY[HEADER.FIELDS (X-LOADTEST-ID)]'), 'X-Id: a b\r\n');
  assert.equal(f.items.get('BODY[TEXT]'), body);
  assert.equal(f.items.get('RFC822.SIZE'), '99');
  assert.equal(f.items.get('ENVELOPE'), '("d" NIL "s (x)" NIL)');
  assert.equal(parseFetch('3 EXISTS'), null);
  assert.equal(parseFetch('1 FETCH (BODY[TEXT] NIL)')!.items.get('BODY[TEXT]'), '');
});

test('parseFetch: any body bytes in a literal come back intact (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const b = Buffer.from(bytes).toString('latin1');
    const f = parseFetch(`1 FETCH (UID 5 BODY[TEXT] {${b.length}}\r\n${b} FLAGS ())`)!;
    return f.items.get('BODY[TEXT]') === b && f.items.get('UID') === '5' && f.items.get('FLAGS') === '()';
  }));
});

test('EXISTS and EXPUNGE keep the message count (RFC 3501 §7.3.1, §7.4.1)', () => {
  assert.equal(applyMailboxUpdates(['5 EXISTS', '2 EXPUNGE', '2 EXPUNGE', 'OK x'], 0), 3);
});

test('tracked messages: checksum covers id and body; a changed byte or swapped body is corrupted', () => {
  const r = rng(3);
  const m = makeTracked('run.0.1', 'a@example.org', 5000, r);
  assert.ok(m.data.length > 4000 && m.data.length < 6500, `size ${m.data.length}`);
  assert.ok(!/[^\r]\n/.test(m.data.toString('latin1')), 'CRLF line ends only');
  const { header, body } = splitMessage(m.data);
  assert.equal(headerValue(header, 'x-loadtest-id'), 'run.0.1');
  assert.deepEqual(checkMessage(header, body, 'run.0.'), { kind: 'ok', id: 'run.0.1' });
  const bad = Buffer.from(body); bad[10] ^= 1;
  assert.equal(checkMessage(header, bad, 'run.0.').kind, 'corrupted');
  const other = makeTracked('run.0.2', 'a@example.org', 5000, r);
  assert.equal(checkMessage(header, splitMessage(other.data).body, 'run.0.').kind, 'corrupted');
  assert.equal(checkMessage(header, body, 'run.1.').kind, 'foreign', 'another worker\'s message is not ours');
  // Servers add header fields on delivery (RFC 5321 §4.4): still intact.
  assert.equal(checkMessage(`Return-Path: <x@y>\r\nReceived: from a\r\n\tby b\r\n${header}`, body, 'run.0.').kind, 'ok');
});

test('dot-stuffing round trip (RFC 5321 §4.5.2)', () => {
  fc.assert(fc.property(fc.array(fc.stringMatching(/^[.a-z ]{0,8}$/), { maxLength: 8 }), (lines) => {
    const msg = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
    const stuffed = dotStuff(msg).toString('latin1');
    assert.ok(stuffed.endsWith('\r\n.\r\n'));
    const back = stuffed.slice(0, -5 + 2).split('\r\n').slice(0, -1).map(unstuffLine);
    return back.join('\r\n') + (back.length ? '\r\n' : '') === msg.toString('latin1') || (msg.length === 0 && stuffed === '\r\n.\r\n');
  }));
});

test('sizes, ranges, patterns, source addresses, user slices', () => {
  const d = parseSizes('1k:1,1m:1');
  const r = rng(1);
  for (let i = 0; i < 50; i++) { const s = pickSize(d, r); assert.ok((s >= 768 && s <= 1280) || (s >= 786432 && s <= 1310720), String(s)); }
  assert.throws(() => parseSizes('big'));
  assert.deepEqual(parseRange('3-5'), { start: 3, end: 5 });
  assert.deepEqual(parseRange('4'), { start: 1, end: 4 });
  assert.equal(expandPattern('u%04d@d', 7), 'u0007@d');
  assert.deepEqual(parseSourceAddresses('127.0.0.2-127.0.0.4,127.0.0.9'), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.9']);
  const all = patternUsers('u%d', { start: 1, end: 5 }, 'p');
  assert.deepEqual(userSource(all, 1, 2).list.map((c) => c.user), ['u2', 'u4']);
  assert.deepEqual(userSource(all, 0, 2).list.map((c) => c.user), ['u1', 'u3', 'u5']);
  assert.throws(() => userSource(all, 5, 6), /no users/);
});

test('seqSet compresses runs', () => {
  assert.equal(seqSet([1, 2, 3, 7, 9, 10]), '1:3,7,9:10');
  assert.equal(seqSet([4]), '4');
});

test('ledger comparison: lost, duplicated, corrupted, unexpected, uncertain, deletions by us', () => {
  const l = new Ledger('r.0.');
  const mk = (user: string, st: 'stored' | 'refused' | 'uncertain', extra: Partial<{ mayBeGone: boolean; consumed: number }> = {}) => {
    const e = l.add(l.nextId(), 's', user, 'INBOX'); e.state = st; Object.assign(e, extra); return Ledger.key(e.id, user);
  };
  const ok = mk('a', 'stored'), lost = mk('a', 'stored'), dup = mk('b', 'stored'), gone = mk('b', 'stored', { mayBeGone: true });
  const refusedFound = mk('a', 'refused'), unsure = mk('a', 'uncertain'), corrupt = mk('c', 'stored'), pop = mk('c', 'stored', { mayBeGone: true, consumed: 2 });
  const found = new Map([[ok, 1], [dup, 2], [refusedFound, 1], [corrupt, 1]]);
  void lost; void gone; void unsure;
  const r = compare(l, found, new Set([corrupt]));
  assert.equal(r.lost, 1); assert.equal(r.duplicated, 2); assert.equal(r.corrupted, 1); assert.equal(r.unexpected, 1); assert.equal(r.uncertain, 1);
  assert.equal(r.checked, 8);
  void pop;
});

test('merging worker results: counts add, histograms merge exactly, verdict fails on any loss', () => {
  const part = (worker: number, lat: number[], lost: number): RunResult => {
    const t0 = Date.now() - 2000;
    const s = new Stats(t0);
    for (const v of lat) s.record('LOGIN', v);
    s.finish();
    return {
      tool: 'loadtest', version: 1, profile: 'imap-mixed', runId: 'x', workers: 2, worker, target: { host: '127.0.0.1', ports: {}, tls: 'auto' }, options: {},
      startedAt: new Date(t0).toISOString(), endedAt: new Date(t0 + 2000).toISOString(), durationS: 2,
      totals: { ops: lat.length, failed: 0, opsPerSec: lat.length / 2, connectErrors: 0, sessionsAtEnd: 0 }, commands: s.commands(), histograms: s.encoded(),
      verified: true, checkedMessages: 10, lost, duplicated: 0, corrupted: 0, protocolErrors: 0, unexpected: 0, uncertain: 0, readErrors: [],
      lostIds: lost ? ['x.1.a'] : [], duplicatedIds: [], corruptedIds: [], errorSamples: [], timeline: s.timeline, extra: {}, ...verdict({ lost, duplicated: 0, corrupted: 0, protocolErrors: 0, unexpected: 0, readErrors: [] }),
    };
  };
  const m = mergeResults([part(0, [1, 2, 3], 0), part(1, [100, 200], 0)]);
  assert.equal(m.commands.LOGIN!.count, 5);
  assert.ok(Math.abs(m.commands.LOGIN!.maxMs - 200) < 0.5);
  assert.ok(Math.abs(m.commands.LOGIN!.p50Ms - 3) < 0.01);
  assert.equal(m.checkedMessages, 20);
  assert.equal(m.passed, true);
  const f = mergeResults([part(0, [1], 0), part(1, [1], 1)]);
  assert.equal(f.lost, 1); assert.equal(f.passed, false); assert.equal(f.exitCode, 1);
  assert.deepEqual(f.lostIds, ['w1 x.1.a']);
});
