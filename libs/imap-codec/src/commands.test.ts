/** Table tests: every command form parses to the expected AST, fed whole, byte by byte and in random chunks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type Ev } from './testing.js';
import type { Command } from './types.js';

function feedAll(input: string, opts = {}): Ev[] {
  const whole = run(input, 'whole', opts);
  assert.deepEqual(run(input, 'bytes', opts), whole, 'byte-by-byte differs from whole');
  for (const seed of [1, 2, 3]) assert.deepEqual(run(input, 'random', opts, undefined, seed), whole, 'random chunks differ');
  return whole;
}

function one(line: string, opts = {}): Command {
  const evs = feedAll(line.endsWith('\n') ? line : line + '\r\n', opts).filter((e) => e.type !== 'literal-request');
  assert.equal(evs.length, 1, JSON.stringify(evs));
  const ev = evs[0]!;
  assert.equal(ev.type, 'command', JSON.stringify(ev));
  return (ev as Extract<Ev, { type: 'command' }>).command;
}

function bad(line: string, opts = {}): string {
  const evs = feedAll(line.endsWith('\n') ? line : line + '\r\n', opts).filter((e) => e.type !== 'literal-request');
  assert.equal(evs.length, 1, JSON.stringify(evs));
  assert.equal(evs[0]!.type, 'bad', JSON.stringify(evs));
  return (evs[0] as Extract<Ev, { type: 'bad' }>).text;
}

const set = (...r: Array<[number | '*', number | '*']>) => ({ kind: 'set' as const, ranges: r.map(([start, end]) => ({ start, end })) });

const table: Array<[string, Command]> = [
  ['a CAPABILITY', { tag: 'a', uid: false, name: 'CAPABILITY' }],
  ['a noop', { tag: 'a', uid: false, name: 'NOOP' }],
  ['a LOGOUT', { tag: 'a', uid: false, name: 'LOGOUT' }],
  ['a STARTTLS', { tag: 'a', uid: false, name: 'STARTTLS' }],
  ['a CHECK', { tag: 'a', uid: false, name: 'CHECK' }],
  ['a CLOSE', { tag: 'a', uid: false, name: 'CLOSE' }],
  ['a UNSELECT', { tag: 'a', uid: false, name: 'UNSELECT' }],
  ['a IDLE', { tag: 'a', uid: false, name: 'IDLE' }],
  ['a NAMESPACE', { tag: 'a', uid: false, name: 'NAMESPACE' }],
  ['a AUTHENTICATE plain', { tag: 'a', uid: false, name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: null }],
  ['a AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', { tag: 'a', uid: false, name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: 'AHVzZXIAcGFzcw==' }],
  ['a AUTHENTICATE EXTERNAL =', { tag: 'a', uid: false, name: 'AUTHENTICATE', mechanism: 'EXTERNAL', initialResponse: '=' }],
  ['a LOGIN fred "my \\"secret\\""', { tag: 'a', uid: false, name: 'LOGIN', username: 'fred', password: 'my "secret"' }],
  ['a LOGIN {4+}\r\nfred {3+}\r\nabc', { tag: 'a', uid: false, name: 'LOGIN', username: 'fred', password: 'abc' }],
  ['a LOGIN {4}\r\nfred {3}\r\nabc', { tag: 'a', uid: false, name: 'LOGIN', username: 'fred', password: 'abc' }],
  ['a LOGIN "j\u00f6rg" "p\u00e4ss"', { tag: 'a', uid: false, name: 'LOGIN', username: 'j\u00f6rg', password: 'p\u00e4ss' }],
  ['a ENABLE CONDSTORE utf8=accept', { tag: 'a', uid: false, name: 'ENABLE', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] }],
  ['a ID NIL', { tag: 'a', uid: false, name: 'ID', params: null }],
  ['a ID ("name" "sodr" "version" NIL)', { tag: 'a', uid: false, name: 'ID', params: [['name', 'sodr'], ['version', null]] }],
  ['a SELECT inbox', { tag: 'a', uid: false, name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: null }],
  ['a EXAMINE "Sent Items" (CONDSTORE)', { tag: 'a', uid: false, name: 'EXAMINE', mailbox: 'Sent Items', condstore: true, qresync: null }],
  ['a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))', { tag: 'a', uid: false, name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: { uidValidity: 67890007, modseq: 20050715194045000, knownUids: set([41, 41], [43, 211], [214, 541]) } }],
  ['a SELECT INBOX (QRESYNC (1 2 1:9 (1:3 10,20,30)))', { tag: 'a', uid: false, name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: { uidValidity: 1, modseq: 2, knownUids: set([1, 9]) } }],
  ['a SELECT INBOX (QRESYNC (1 2))', { tag: 'a', uid: false, name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: { uidValidity: 1, modseq: 2, knownUids: null } }],
  ['a CREATE Archive/2024', { tag: 'a', uid: false, name: 'CREATE', mailbox: 'Archive/2024', specialUse: [] }],
  ['a CREATE MyDrafts (USE (\\drafts))', { tag: 'a', uid: false, name: 'CREATE', mailbox: 'MyDrafts', specialUse: ['\\Drafts'] }],
  ['a DELETE foo', { tag: 'a', uid: false, name: 'DELETE', mailbox: 'foo' }],
  ['a SUBSCRIBE "Entw&APw-rfe"', { tag: 'a', uid: false, name: 'SUBSCRIBE', mailbox: 'Entw\u00fcrfe' }],
  ['a UNSUBSCRIBE foo', { tag: 'a', uid: false, name: 'UNSUBSCRIBE', mailbox: 'foo' }],
  ['a RENAME old new', { tag: 'a', uid: false, name: 'RENAME', from: 'old', to: 'new' }],
  ['a LIST "" *', { tag: 'a', uid: false, name: 'LIST', selection: [], reference: '', patterns: ['*'], returnOpts: [], returnStatus: null, extended: false }],
  ['a LIST ~/Mail/ %', { tag: 'a', uid: false, name: 'LIST', selection: [], reference: '~/Mail/', patterns: ['%'], returnOpts: [], returnStatus: null, extended: false }],
  ['a LIST (SUBSCRIBED recursivematch) "" (INBOX "Drafts*") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))', { tag: 'a', uid: false, name: 'LIST', selection: ['SUBSCRIBED', 'RECURSIVEMATCH'], reference: '', patterns: ['INBOX', 'Drafts*'], returnOpts: ['CHILDREN', 'STATUS'], returnStatus: ['MESSAGES', 'UNSEEN'], extended: true }],
  ['a LIST "" % RETURN (SPECIAL-USE)', { tag: 'a', uid: false, name: 'LIST', selection: [], reference: '', patterns: ['%'], returnOpts: ['SPECIAL-USE'], returnStatus: null, extended: true }],
  ['a LIST () "" "%"', { tag: 'a', uid: false, name: 'LIST', selection: [], reference: '', patterns: ['%'], returnOpts: [], returnStatus: null, extended: true }],
  ['a LSUB "#news." "comp.mail.*"', { tag: 'a', uid: false, name: 'LSUB', reference: '#news.', pattern: 'comp.mail.*' }],
  ['a STATUS blurdybloop (UIDNEXT MESSAGES SIZE HIGHESTMODSEQ DELETED)', { tag: 'a', uid: false, name: 'STATUS', mailbox: 'blurdybloop', items: ['UIDNEXT', 'MESSAGES', 'SIZE', 'HIGHESTMODSEQ', 'DELETED'] }],
  ['a EXPUNGE', { tag: 'a', uid: false, name: 'EXPUNGE', uidSet: null }],
  ['a UID EXPUNGE 3000:3002', { tag: 'a', uid: true, name: 'EXPUNGE', uidSet: set([3000, 3002]) }],
  ['a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])', { tag: 'a', uid: false, name: 'FETCH', set: set([2, 4]), items: [{ kind: 'flags' }, { kind: 'body-section', peek: false, section: { part: [], spec: { kind: 'header-fields', not: false, fields: ['DATE', 'FROM'] } }, partial: null }], changedSince: null, vanished: false }],
  ['a FETCH 1 all', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [{ kind: 'flags' }, { kind: 'internaldate' }, { kind: 'rfc822.size' }, { kind: 'envelope' }], changedSince: null, vanished: false }],
  ['a FETCH 1 FAST', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [{ kind: 'flags' }, { kind: 'internaldate' }, { kind: 'rfc822.size' }], changedSince: null, vanished: false }],
  ['a FETCH 1 FULL', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [{ kind: 'flags' }, { kind: 'internaldate' }, { kind: 'rfc822.size' }, { kind: 'envelope' }, { kind: 'body' }], changedSince: null, vanished: false }],
  ['a FETCH * BODYSTRUCTURE', { tag: 'a', uid: false, name: 'FETCH', set: set(['*', '*']), items: [{ kind: 'bodystructure' }], changedSince: null, vanished: false }],
  ['a FETCH 1 (UID RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE ENVELOPE INTERNALDATE BODY MODSEQ)', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [{ kind: 'uid' }, { kind: 'rfc822' }, { kind: 'rfc822.header' }, { kind: 'rfc822.text' }, { kind: 'rfc822.size' }, { kind: 'envelope' }, { kind: 'internaldate' }, { kind: 'body' }, { kind: 'modseq' }], changedSince: null, vanished: false }],
  ['a FETCH 1 (BODY.PEEK[1.2.MIME] BODY[3.TEXT]<10.20> BODY[] BODY[2] BODY[HEADER.FIELDS.NOT (X-A)] BODY[1.HEADER])', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [
    { kind: 'body-section', peek: true, section: { part: [1, 2], spec: { kind: 'mime' } }, partial: null },
    { kind: 'body-section', peek: false, section: { part: [3], spec: { kind: 'text' } }, partial: { offset: 10, length: 20 } },
    { kind: 'body-section', peek: false, section: { part: [], spec: { kind: 'full' } }, partial: null },
    { kind: 'body-section', peek: false, section: { part: [2], spec: { kind: 'full' } }, partial: null },
    { kind: 'body-section', peek: false, section: { part: [], spec: { kind: 'header-fields', not: true, fields: ['X-A'] } }, partial: null },
    { kind: 'body-section', peek: false, section: { part: [1], spec: { kind: 'header' } }, partial: null },
  ], changedSince: null, vanished: false }],
  ['a FETCH 1 (BINARY[1] BINARY.PEEK[2]<0.100> BINARY.SIZE[1])', { tag: 'a', uid: false, name: 'FETCH', set: set([1, 1]), items: [
    { kind: 'binary', peek: false, part: [1], partial: null },
    { kind: 'binary', peek: true, part: [2], partial: { offset: 0, length: 100 } },
    { kind: 'binary.size', part: [1] },
  ], changedSince: null, vanished: false }],
  ['a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)', { tag: 'a', uid: true, name: 'FETCH', set: set([1, '*']), items: [{ kind: 'flags' }], changedSince: 12345, vanished: true }],
  ['a FETCH 1:* FLAGS (CHANGEDSINCE 5)', { tag: 'a', uid: false, name: 'FETCH', set: set([1, '*']), items: [{ kind: 'flags' }], changedSince: 5, vanished: false }],
  ['a STORE 2:4 +FLAGS (\\deleted)', { tag: 'a', uid: false, name: 'STORE', set: set([2, 4]), op: 'add', silent: false, flags: ['\\Deleted'], unchangedSince: null }],
  ['a STORE 1 -FLAGS.SILENT \\Seen $Junk', { tag: 'a', uid: false, name: 'STORE', set: set([1, 1]), op: 'remove', silent: true, flags: ['\\Seen', '$Junk'], unchangedSince: null }],
  ['a UID STORE 7 (UNCHANGEDSINCE 320162338) FLAGS ()', { tag: 'a', uid: true, name: 'STORE', set: set([7, 7]), op: 'replace', silent: false, flags: [], unchangedSince: 320162338 }],
  ['a COPY 2:4 MEETING', { tag: 'a', uid: false, name: 'COPY', set: set([2, 4]), mailbox: 'MEETING' }],
  ['a UID MOVE 42,44:45 "Trash"', { tag: 'a', uid: true, name: 'MOVE', set: set([42, 42], [44, 45]), mailbox: 'Trash' }],
  ['a UID COPY $ Archive', { tag: 'a', uid: true, name: 'COPY', set: { kind: 'saved' }, mailbox: 'Archive' }],
  ['a GETQUOTA ""', { tag: 'a', uid: false, name: 'GETQUOTA', root: '' }],
  ['a GETQUOTAROOT INBOX', { tag: 'a', uid: false, name: 'GETQUOTAROOT', mailbox: 'INBOX' }],
  ['a SETQUOTA "" (STORAGE 512 MESSAGE 1000)', { tag: 'a', uid: false, name: 'SETQUOTA', root: '', limits: [['STORAGE', 512], ['MESSAGE', 1000]] }],
  ['a SEARCH ALL', { tag: 'a', uid: false, name: 'SEARCH', charset: null, criteria: { kind: 'all' }, returnOpts: null }],
  ['a UID SEARCH RETURN (MIN COUNT) CHARSET utf-8 UNSEEN', { tag: 'a', uid: true, name: 'SEARCH', charset: 'UTF-8', criteria: { kind: 'flag', flag: '\\Seen', set: false }, returnOpts: ['MIN', 'COUNT'] }],
  ['a SEARCH RETURN () 1:5', { tag: 'a', uid: false, name: 'SEARCH', charset: null, criteria: { kind: 'seqset', set: set([1, 5]) }, returnOpts: [] }],
  ['tag.with-]chars NOOP', { tag: 'tag.with-]chars', uid: false, name: 'NOOP' }],
];

for (const [line, expected] of table) {
  test(`RFC 3501 §6 command form: ${line.replace(/\r\n/g, '\\r\\n')}`, () => {
    assert.deepEqual(one(line), expected);
  });
}

test('RFC 3501 §5.1: INBOX is case-insensitive; other names keep their case', () => {
  assert.equal((one('a SELECT iNbOx') as { mailbox: string }).mailbox, 'INBOX');
  assert.equal((one('a SELECT "inbox"') as { mailbox: string }).mailbox, 'INBOX');
  assert.equal((one('a SELECT InBoxes') as { mailbox: string }).mailbox, 'InBoxes');
});

test('RFC 3501 §5.1.3: mailbox names are decoded from modified UTF-7; UTF8=ACCEPT takes them raw', () => {
  assert.equal((one('a SELECT ~peter/mail/&U,BTFw-/&ZeVnLIqe-') as { mailbox: string }).mailbox, '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e');
  assert.equal((one('a SELECT "a&-b"') as { mailbox: string }).mailbox, 'a&b');
  assert.equal((one('a SELECT "Entw\u00fcrfe"', { utf8Accept: true }) as { mailbox: string }).mailbox, 'Entw\u00fcrfe');
  assert.equal((one('a SELECT "a&-b"', { utf8Accept: true }) as { mailbox: string }).mailbox, 'a&-b');
  assert.match(bad('a SELECT "&AGE-"'), /modified UTF-7/);
  assert.match(bad('a SELECT "Entw\u00fcrfe"'), /modified UTF-7/);
});

test('RFC 3501 §6.4.5: FETCH macros may not be mixed into a list', () => {
  assert.match(bad('a FETCH 1 (ALL)'), /Unknown FETCH attribute/);
});

test('RFC 7162 §3.2.6: VANISHED requires UID FETCH and CHANGEDSINCE', () => {
  assert.match(bad('a FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)'), /VANISHED/);
  assert.match(bad('a UID FETCH 1:* FLAGS (VANISHED)'), /VANISHED/);
});

const badTable: string[] = [
  'a',                                     // no command
  'a FOO',                                 // unknown
  'a NOOP extra',                          // trailing arguments
  'a LOGIN onlyuser',
  'a LOGIN "unterminated',
  'a SELECT',
  'a FETCH 0 FLAGS',                       // nz-number
  'a FETCH 1: FLAGS',
  'a FETCH 1,,2 FLAGS',
  'a FETCH 4294967296 FLAGS',              // > 32 bits
  'a FETCH 1 (FLAGS',
  'a FETCH 1 BODY[HEADER.FIELDS ()]',
  'a FETCH 1 BODY[MIME]',                  // MIME needs a part
  'a FETCH 1 BODY[]<1.0>',                 // nz length
  'a STORE 1 FLAGS.LOUD (\\Seen)',
  'a STORE 1 +FLAGS',
  'a SEARCH',
  'a SEARCH FROM',
  'a SEARCH BEFORE 32-Jan-2020',
  'a SEARCH BEFORE 1-Foo-2020',
  'a SEARCH OR SEEN',
  'a SEARCH NOSUCHKEY',
  'a SEARCH (SEEN',
  'a SEARCH RETURN (BOGUS) ALL',
  'a STATUS INBOX (BOGUS)',
  'a STATUS INBOX MESSAGES',
  'a UID NOOP',
  'a LIST "" % RETURN',
  'a CREATE x (FOO)',
  'a SELECT x (BOGUS)',
  'a ENABLE',
  'a ID (("a" "b"))',
  'a LOGIN a\\b c',
  '+tag NOOP',
  '* NOOP',
  'a LOGIN "a\\x" b',                      // only \" and \\ may be escaped
];

for (const line of badTable) {
  test(`RFC 3501 §9 syntax error → BAD: ${line}`, () => {
    bad(line);
  });
}

test('bad tag is reported as "*"', () => {
  const evs = run('+x NOOP\r\n');
  assert.deepEqual(evs, [{ type: 'bad', tag: '*', text: 'Invalid tag' }]);
});

test('UID commands require a UID-able command (RFC 3501 §6.4.8)', () => {
  assert.match(bad('a UID LOGIN a b'), /not a UID command/);
});
