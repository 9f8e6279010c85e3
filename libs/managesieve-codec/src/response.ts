/** ManageSieve output (RFC 5804 §4): strings, responses with codes, and the capability listing. */
import type { Response } from './types.js';

/**
 * A string the client can read: quoted when it is short and has no CR, LF, NUL; a literal
 * `{n}` CRLF otherwise (server-to-client literals are synchronising in form, RFC 5804 §4).
 */
export function encodeString(s: string): string {
  if (s.length <= 1024 && !/[\r\n\u0000]/.test(s)) return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${Buffer.byteLength(s, 'utf8')}}\r\n${s}`;
}

/** `OK|NO|BYE [SP "(" code [SP string] ")"] [SP string] CRLF` (RFC 5804 §1.2/§1.3). */
export function encodeResponse(r: Response): string {
  let out: string = r.status;
  if (r.code) out += ` (${r.code}${r.codeArg !== undefined ? ` ${encodeString(r.codeArg)}` : ''})`;
  if (r.text !== undefined) out += ` ${encodeString(r.text)}`;
  return `${out}\r\n`;
}

/** One capability line (RFC 5804 §1.7): `"NAME" [SP "value"]`. */
export function encodeCapability(name: string, value?: string): string {
  return `${encodeString(name)}${value !== undefined ? ` ${encodeString(value)}` : ''}\r\n`;
}
