/**
 * Test corpus and helpers for the MIME tests (not a test file itself).
 * Each message is written with CRLF; tests also derive the bare-LF form.
 * `shape` values were checked against Dovecot 2.3.19's BODYSTRUCTURE for the same bytes
 * (sizes and line counts), except where a comment says we differ on purpose.
 */
import type { BodyPart, MessageStructure } from './types.js';

export interface Case {
  name: string;
  raw: string;          // CRLF form (written with \n and converted, unless crlf: false)
  shape: string;
  size?: number;
}

/** Compact view of a structure: type/subtype(bodyOctets,bodyLines), children in [], encapsulated in {}. */
export function shape(p: BodyPart): string {
  const ct = `${p.contentType.type}/${p.contentType.subtype}`;
  if (p.children) return `${ct}[${p.children.map(shape).join(',')}]`;
  const own = `${ct}(${p.bodyEnd - p.bodyStart},${p.bodyLines})`;
  if (p.message) return `${own}{${shape(p.message.body)}}`;
  return own;
}

export function crlf(s: string): string {
  return s.replace(/\r?\n/g, '\r\n');
}

/** Every part of a structure, depth first. */
export function allParts(s: MessageStructure): BodyPart[] {
  const out: BodyPart[] = [];
  const walk = (p: BodyPart) => {
    out.push(p);
    p.children?.forEach(walk);
    if (p.message) walk(p.message.body);
  };
  walk(s.body);
  return out;
}

export const CASES: Case[] = [
  {
    name: 'simple text',
    raw: 'From: a@b.c\nSubject: hi\n\nbody\n',
    shape: 'text/plain(6,1)',
  },
  {
    name: 'multipart/alternative with preamble and epilogue (RFC 2046 §5.1.1)',
    raw: 'From: a@b.c\nSubject: mp\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="XX"\n\npreamble\n--XX\nContent-Type: text/plain; charset=utf-8\n\nhello\nworld\n--XX\nContent-Type: text/html\n\n<p>hi</p>\n--XX--\nepilogue\n',
    shape: 'multipart/alternative[text/plain(12,1),text/html(9,0)]',
    size: 234,
  },
  {
    name: 'multipart/mixed with base64 attachment and RFC 2231 filename',
    raw: "From: a@b.c\nSubject: att\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\n\nplain default\n--b1\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename*0*=utf-8''%E2%82%AC; filename*1=\".pdf\"\n\nAAAA\nBBBB\n--b1--\n",
    shape: 'multipart/mixed[text/plain(13,0),application/pdf(10,1)]',
  },
  {
    name: 'nested message/rfc822 holding a multipart/digest (RFC 2046 §5.1.5 default)',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\nFrom: inner@x.y\nSubject: inner\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: d1@x\nSubject: d1\n\nd1 body\n--d\nContent-Type: text/plain\n\ntext in digest\n--d--\n\n--o--\n',
    shape: 'multipart/mixed[message/rfc822(178,15){multipart/digest[message/rfc822(34,3){text/plain(7,0)},text/plain(14,0)]}]',
  },
  {
    name: 'missing final boundary',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nunterminated\n',
    shape: 'multipart/mixed[text/plain(14,1)]',
  },
  {
    name: 'multipart without any boundary line',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\nno boundaries at all\n',
    shape: 'multipart/mixed[]',
  },
  {
    name: 'no blank line between header and body (all header, as Dovecot)',
    raw: 'Subject: x\nnot a header line\nmore\n',
    shape: 'text/plain(0,0)',
  },
  { name: 'empty message', raw: '', shape: 'text/plain(0,0)', size: 0 },
  { name: 'header only, no body', raw: 'Subject: only header\n', shape: 'text/plain(0,0)' },
  { name: 'empty body', raw: 'Subject: a\n\n', shape: 'text/plain(0,0)' },
  {
    name: 'empty parts and boundary with trailing whitespace (RFC 2046 §5.1.1)',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n--zz\nContent-Type: text/plain\n--zz\nContent-Type: text/html\n\n--zz  \n\n\n--zz--\n',
    shape: 'multipart/mixed[text/plain(0,0),text/plain(0,0),text/html(0,0),text/plain(0,0)]',
  },
  {
    name: 'base64 message/rfc822 is opaque',
    raw: 'From: a@b.c\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogeEB5Cg==\n',
    shape: 'message/rfc822(18,1){text/plain(0,0)}',
  },
  {
    name: 'no final newline',
    raw: 'From: a@b.c\nContent-Type: text/plain\n\nno final newline',
    shape: 'text/plain(16,0)',
  },
  {
    name: 'outer boundary closes an unterminated inner multipart',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: multipart/alternative; boundary=yy\n\n--yy\n\ninner1\n--zz\n\nouter2\n--zz--\n',
    shape: 'multipart/mixed[multipart/alternative[text/plain(6,0)],text/plain(6,0)]',
  },
  {
    name: 'boundary with a space, quoted',
    raw: 'From: a@b.c\nContent-Type: multipart/mixed; boundary="a b"\n\n--a b\n\n1\n--a b--\n',
    shape: 'multipart/mixed[text/plain(1,0)]',
  },
  {
    name: 'boundary that is a prefix of the inner one',
    raw: 'Content-Type: multipart/mixed; boundary=abc\n\n--abc\nContent-Type: multipart/mixed; boundary=abcdef\n\n--abcdef\n\nx\n--abcdef--\n--abc\n\ny\n--abc--\n',
    shape: 'multipart/mixed[multipart/mixed[text/plain(1,0)],text/plain(1,0)]',
  },
  {
    name: 'message/global (RFC 6532)',
    raw: 'Content-Type: message/global\n\nSubject: g\n\nglobal body\n',
    shape: 'message/global(27,3){text/plain(13,1)}',
  },
];
