import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Address, BodyPart, Envelope } from '../../../mime/src/types.js';
import { astring, imapString, literal, literalHeader, mailboxName, nstring } from './strings.js';
import { formatEnvelope } from './envelope.js';
import { formatBodyStructure } from './bodystructure.js';
import { fetchResponseName, formatFlags, formatInternalDate } from './fetch.js';
import {
  formatCapability, formatEsearch, formatId, formatList, formatNamespace, formatQuota, formatQuotaRoot, formatSearch,
  formatStatus, formatVanished, formatEnabled, formatLsub,
} from './responses.js';
import { run } from '../testing.js';

test('RFC 3501 §4.3 strings: quoted when safe, literal otherwise', () => {
  assert.equal(imapString('hello world'), '"hello world"');
  assert.equal(imapString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(imapString('line\r\nbreak'), '{11}\r\nline\r\nbreak');
  assert.equal(imapString('\u00e9'), '{2}\r\n\u00e9');
  assert.equal(imapString('\u00e9', true), '"\u00e9"', 'UTF8=ACCEPT allows quoted UTF-8 (RFC 6855 §3)');
  assert.equal(imapString('x'.repeat(2000)).slice(0, 8), '{2000}\r\n');
  assert.equal(literal('a\0b'), '{2}\r\nab');
  assert.equal(literalHeader(5), '{5}\r\n');
  assert.equal(literalHeader(5, true), '~{5}\r\n');
  assert.equal(nstring(null), 'NIL');
  assert.equal(nstring(''), '""');
  assert.equal(astring('abc'), 'abc');
  assert.equal(astring('NIL'), '"NIL"');
  assert.equal(astring('a b'), '"a b"');
  assert.equal(astring(''), '""');
  assert.equal(astring('x]'), '"x]"');
});

test('RFC 3501 §5.1.3 mailboxName: mUTF-7 unless UTF8=ACCEPT', () => {
  assert.equal(mailboxName('INBOX'), '"INBOX"');
  assert.equal(mailboxName('Entw\u00fcrfe'), '"Entw&APw-rfe"');
  assert.equal(mailboxName('Entw\u00fcrfe', true), '"Entw\u00fcrfe"');
  assert.equal(mailboxName('a%b'), '"a%b"');
});

test('property: any string formatted with imapString parses back (LOGIN astring) to the same value', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean(), (s0, utf8) => {
    const s = s0.replace(/\0/g, '');
    const evs = run(`a LOGIN ${astring(s, utf8)} ${imapString(s, utf8)}\r\n`);
    assert.equal(evs.length, evs[0]?.type === 'literal-request' ? evs.length : 1);
    const cmd = evs.find((e) => e.type === 'command');
    assert.ok(cmd && cmd.type === 'command' && cmd.command.name === 'LOGIN', JSON.stringify(evs));
    assert.equal(cmd.command.username, s);
    assert.equal(cmd.command.password, s);
  }), { numRuns: 300 });
});

test('property: mailboxName output parses back to the name (SELECT, mUTF-7)', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), (s0) => {
    const s = s0.replace(/[\0\r\n]/g, 'x');
    const evs = run(`a SELECT ${mailboxName(s)}\r\n`);
    const cmd = evs.find((e) => e.type === 'command');
    assert.ok(cmd && cmd.type === 'command' && cmd.command.name === 'SELECT', JSON.stringify(evs));
    assert.equal(cmd.command.mailbox, s.toUpperCase() === 'INBOX' ? 'INBOX' : s);
  }), { numRuns: 300 });
});

const gray: Address = { name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' };

test('RFC 3501 §7.4.2 ENVELOPE (the §8 example)', () => {
  const env: Envelope = {
    date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
    subject: 'IMAP4rev1 WG mtg summary and minutes',
    from: [gray], sender: [gray], replyTo: [gray],
    to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
    cc: [{ name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' }, { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' }],
    bcc: null, inReplyTo: null, messageId: '<B27397-0100000@cac.washington.edu>',
  };
  assert.equal(formatEnvelope(env),
    '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>")');
});

test('RFC 3501 §7.4.2 ENVELOPE: sender/reply-to default to from, groups, empty lists are NIL', () => {
  const env: Envelope = {
    date: null, subject: null, from: [gray], sender: null, replyTo: [], to: [
      { name: null, adl: null, mailbox: 'undisclosed', host: null },
      { name: null, adl: null, mailbox: null, host: null },
    ], cc: [], bcc: null, inReplyTo: null, messageId: null,
  };
  const g = '(("Terry Gray" NIL "gray" "cac.washington.edu"))';
  assert.equal(formatEnvelope(env), `(NIL NIL ${g} ${g} ${g} ((NIL NIL "undisclosed" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)`);
});

function part(type: string, subtype: string, extra: Partial<BodyPart> = {}): BodyPart {
  return {
    headerStart: 0, bodyStart: 0, bodyEnd: 3028, bodyLines: 92,
    contentType: { type, subtype, params: type === 'text' ? [['charset', 'US-ASCII']] : [] }, contentTypeGiven: true,
    encoding: '7BIT', id: null, description: null, md5: null, disposition: null, language: null, location: null, ...extra,
  };
}

test('RFC 3501 §7.4.2 BODY of a text part (the §8 example)', () => {
  assert.equal(formatBodyStructure(part('text', 'plain'), false), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
  assert.equal(formatBodyStructure(part('text', 'plain'), true), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)');
});

test('RFC 3501 §7.4.2 BODYSTRUCTURE: multipart with extension data, basic part with disposition/language', () => {
  const att = part('application', 'pdf', {
    bodyStart: 100, bodyEnd: 4100, encoding: 'base64', id: '<id1>', description: 'doc',
    disposition: { type: 'attachment', params: [['filename', 'a.pdf']] }, language: ['en', 'de'], location: 'http://x/',
    md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==',
  });
  const mp = part('multipart', 'mixed', { children: [part('text', 'plain'), att] });
  mp.contentType.params = [['boundary', 'xyz']];
  assert.equal(formatBodyStructure(mp, false),
    '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)("APPLICATION" "PDF" NIL "<id1>" "doc" "BASE64" 4000) "MIXED")');
  assert.equal(formatBodyStructure(mp, true),
    '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)("APPLICATION" "PDF" NIL "<id1>" "doc" "BASE64" 4000 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "a.pdf")) ("en" "de") "http://x/") "MIXED" ("BOUNDARY" "xyz") NIL NIL NIL)');
});

test('RFC 3501 §7.4.2 BODYSTRUCTURE: message/rfc822 carries envelope, body and lines; empty multipart', () => {
  const inner = part('text', 'plain', { bodyEnd: 5, bodyLines: 1 });
  const env: Envelope = { date: null, subject: 'hi', from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null };
  const msg = part('message', 'rfc822', { bodyEnd: 50, bodyLines: 4, message: { envelope: env, body: inner } });
  assert.equal(formatBodyStructure(msg, false),
    '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 50 (NIL "hi" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1) 4)');
  assert.equal(formatBodyStructure(part('multipart', 'mixed', { children: [] }), false), '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED")');
});

test('FETCH helpers: flags, INTERNALDATE (RFC 3501 date-time), response names (§7.4.2 origin octet only)', () => {
  assert.equal(formatFlags(['\\Seen', '$Junk']), '(\\Seen $Junk)');
  assert.equal(formatFlags([]), '()');
  assert.equal(formatInternalDate(Date.UTC(1996, 6, 17, 9, 44, 25)), '17-Jul-1996 09:44:25 +0000');
  assert.equal(formatInternalDate(Date.UTC(2024, 0, 5, 0, 0, 0)), '05-Jan-2024 00:00:00 +0000');
  assert.equal(fetchResponseName({ kind: 'body-section', peek: true, section: { part: [1], spec: { kind: 'header-fields', not: false, fields: ['FROM', 'TO'] } }, partial: { offset: 0, length: 10 } }), 'BODY[1.HEADER.FIELDS (FROM TO)]<0>');
  assert.equal(fetchResponseName({ kind: 'body-section', peek: false, section: { part: [], spec: { kind: 'full' } }, partial: null }), 'BODY[]');
  assert.equal(fetchResponseName({ kind: 'body-section', peek: false, section: { part: [2, 3], spec: { kind: 'mime' } }, partial: null }), 'BODY[2.3.MIME]');
  assert.equal(fetchResponseName({ kind: 'body-section', peek: false, section: { part: [], spec: { kind: 'header-fields', not: true, fields: ['X-A'] } }, partial: null }), 'BODY[HEADER.FIELDS.NOT (X-A)]');
  assert.equal(fetchResponseName({ kind: 'binary', peek: true, part: [1], partial: { offset: 5, length: 1 } }), 'BINARY[1]<5>');
  assert.equal(fetchResponseName({ kind: 'binary.size', part: [] }), 'BINARY.SIZE[]');
  assert.equal(fetchResponseName({ kind: 'rfc822.size' }), 'RFC822.SIZE');
});

test('untagged responses', () => {
  assert.equal(formatCapability(['IMAP4rev1', 'IDLE']), '* CAPABILITY IMAP4rev1 IDLE');
  assert.equal(formatEnabled([]), '* ENABLED');
  assert.equal(formatList({ name: 'Sent', delimiter: '/', attributes: ['\\HasNoChildren', '\\Sent'] }), '* LIST (\\HasNoChildren \\Sent) "/" "Sent"');
  assert.equal(formatList({ name: 'x', delimiter: null, attributes: [], childInfo: ['SUBSCRIBED'] }), '* LIST () NIL "x" ("CHILDINFO" ("SUBSCRIBED"))');
  assert.equal(formatLsub({ name: 'INBOX', delimiter: '/', attributes: [] }), '* LSUB () "/" "INBOX"');
  assert.equal(formatStatus('Entw\u00fcrfe', [['MESSAGES', 2], ['UIDNEXT', 5]]), '* STATUS "Entw&APw-rfe" (MESSAGES 2 UIDNEXT 5)');
  assert.equal(formatSearch([2, 84, 882]), '* SEARCH 2 84 882');
  assert.equal(formatSearch([]), '* SEARCH');
  assert.equal(formatSearch([1], 917162500), '* SEARCH 1 (MODSEQ 917162500)');
  assert.equal(formatEsearch({ tag: 'A282', uid: false, min: 2, count: 3 }), '* ESEARCH (TAG "A282") MIN 2 COUNT 3');
  assert.equal(formatEsearch({ tag: 'A283', uid: true, all: '2,10:11' }), '* ESEARCH (TAG "A283") UID ALL 2,10:11');
  assert.equal(formatId([['name', 'sodr'], ['os', null]]), '* ID ("name" "sodr" "os" NIL)');
  assert.equal(formatId(null), '* ID NIL');
  assert.equal(formatNamespace([['', '/']], null, [['Shared/', '/']]), '* NAMESPACE (("" "/")) NIL (("Shared/" "/"))');
  assert.equal(formatQuota('', [['STORAGE', 10, 512]]), '* QUOTA "" (STORAGE 10 512)');
  assert.equal(formatQuotaRoot('INBOX', ['']), '* QUOTAROOT "INBOX" ""');
  assert.equal(formatVanished('41,43:116', true), '* VANISHED (EARLIER) 41,43:116');
});
