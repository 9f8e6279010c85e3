/**
 * POP3 response formatting (RFC 1939 §3, RFC 2449 §8 extended response codes). Pure.
 * Texts are made single-line and bounded: RFC 2449 §4 limits a response line to 512 octets.
 */

/** RFC 2449 §8 / RFC 3206 response codes we send. */
export type Pop3RespCode = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH';

export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return t.slice(0, 400);
}

export function ok(text = ''): string {
  const t = safeText(text);
  return t ? `+OK ${t}\r\n` : '+OK\r\n';
}

export function err(text: string, code?: Pop3RespCode): string {
  return `-ERR ${code ? `[${code}] ` : ''}${safeText(text) || 'Failed'}\r\n`;
}

/** A multi-line response from short lines we generate (CAPA, LIST, UIDL): dot-stuffed, terminated. */
export function multiline(first: string, lines: readonly string[]): string {
  let s = ok(first);
  for (const l of lines) s += (l.startsWith('.') ? '.' : '') + l + '\r\n';
  return s + '.\r\n';
}

/** The lines of a multi-line listing without the first line and terminator (for chunked output). */
export function listingLines(lines: readonly string[]): string {
  let s = '';
  for (const l of lines) s += (l.startsWith('.') ? '.' : '') + l + '\r\n';
  return s;
}

/** RFC 5034 §4: a server challenge "+ <base64>" (empty challenge: "+ "). */
export function challenge(data: Buffer): string {
  return `+ ${data.toString('base64')}\r\n`;
}
