/**
 * IMAP string forms for responses (RFC 3501 §4.3): atom, quoted, literal.
 * All functions return wire text; a literal's byte count is of the UTF-8 encoding.
 */
import { mutf7Encode } from '../../../core/src/mutf7.js';

/** Longest value we send quoted; longer ones go as literals (keeps lines short). */
const MAX_QUOTED = 1024;

/** RFC 3501 §9 ATOM-CHAR (no atom-specials, no CTL, 7-bit). */
const ATOM_RE = /^[\x21\x23\x24\x26\x27\x2b-\x5b\x5e-\x7a\x7c\x7d\x7e]+$/;
/** TEXT-CHAR without CR/LF/NUL, 7-bit: may go in a quoted string. */
const QUOTABLE_RE = /^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/;
/** Same, but also any non-ASCII character (quoted UTF-8 is allowed after ENABLE UTF8=ACCEPT, RFC 6855 §3). */
const QUOTABLE_UTF8_RE = /^[^\x00\r\n]*$/;

/** "literal" form with its header: "{n}\r\n" + text (NUL removed: CHAR8 excludes it, RFC 3501 §9). */
export function literal(s: string): string {
  const body = s.includes('\0') ? s.replace(/\0/g, '') : s;
  return `{${Buffer.byteLength(body, 'utf8')}}\r\n${body}`;
}

/** Literal header for a streamed literal of n octets; literal8 "~{n}" when binary (RFC 3516). */
export function literalHeader(n: number, binary = false): string {
  return `${binary ? '~' : ''}{${n}}\r\n`;
}

/** RFC 3501 §4.3 quoted string; caller must know it is quotable. */
export function quoted(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

/** A string: quoted when safe, else a literal. utf8: UTF8=ACCEPT is enabled (8-bit may be quoted). */
export function imapString(s: string, utf8 = false): string {
  if (s.length <= MAX_QUOTED && (utf8 ? QUOTABLE_UTF8_RE : QUOTABLE_RE).test(s)) return quoted(s);
  return literal(s);
}

/** nstring: NIL for null/undefined. */
export function nstring(s: string | null | undefined, utf8 = false): string {
  return s === null || s === undefined ? 'NIL' : imapString(s, utf8);
}

/** astring: a bare atom when possible (and not "NIL", which would read as nil in nstring contexts). */
export function astring(s: string, utf8 = false): string {
  return ATOM_RE.test(s) && s.toUpperCase() !== 'NIL' ? s : imapString(s, utf8);
}

/** True when s can be sent as an atom. */
export function isAtom(s: string): boolean {
  return ATOM_RE.test(s);
}

/**
 * Mailbox name for responses: modified UTF-7 (RFC 3501 §5.1.3) unless UTF8=ACCEPT is enabled
 * (RFC 6855 §3, names then go as UTF-8 quoted strings). Always quoted (as Dovecot does) except
 * INBOX, so wildcards and "]" never need thought.
 */
export function mailboxName(name: string, utf8Enabled = false): string {
  if (name === 'INBOX') return '"INBOX"';
  return imapString(utf8Enabled ? name : mutf7Encode(name), utf8Enabled);
}
