/**
 * The one place MailError codes become IMAP responses (RFC 5530 response codes).
 * Internal errors are logged with their detail; the client sees only a fixed safe text.
 */
import type { Logger } from 'pino';
import { toMailError, type MailErrorCode } from '../../core/src/errors.js';

const CODE_MAP: Record<MailErrorCode, string | null> = {
  NOTFOUND: 'NONEXISTENT',
  EXISTS: 'ALREADYEXISTS',
  PERM: 'NOPERM',
  OVERQUOTA: 'OVERQUOTA',
  TEMP: 'UNAVAILABLE',
  INUSE: 'INUSE',
  LIMIT: 'LIMIT',
  TOOBIG: 'TOOBIG',
  BADNAME: 'CANNOT',
  EXPUNGED: 'EXPUNGEISSUED',
  AUTHFAILED: 'AUTHENTICATIONFAILED',
  PARSE: null,
  CORRUPT: 'SERVERBUG',
  INTERNAL: 'SERVERBUG',
};

export const INTERNAL_TEXT = 'Internal error occurred. Refer to server log for more information.';

export interface MappedError {
  status: 'NO' | 'BAD';
  code: string | null;
  text: string;
}

export interface MapOptions {
  /** Use [TRYCREATE] for NOTFOUND (APPEND/COPY/MOVE target, RFC 3501 §6.3.11). */
  tryCreate?: boolean;
}

/** Maps any thrown value to a tagged response; logs internal errors with their cause. */
export function mapError(e: unknown, log: Logger, opts: MapOptions = {}): MappedError {
  const me = toMailError(e);
  if (me.code === 'PARSE') return { status: 'BAD', code: null, text: safeText(me.message) };
  if (me.code === 'INTERNAL' || me.code === 'CORRUPT') {
    log.error({ err: e, cause: me.cause }, 'command failed');
    return { status: 'NO', code: 'SERVERBUG', text: INTERNAL_TEXT };
  }
  if (me.code === 'TEMP') log.warn({ err: e }, 'temporary failure');
  const code = me.code === 'NOTFOUND' && opts.tryCreate ? 'TRYCREATE' : CODE_MAP[me.code];
  return { status: 'NO', code, text: safeText(me.message) };
}

/** Response text must be a single line of TEXT-CHARs (RFC 3501 §9 text). */
export function safeText(s: string): string {
  const t = s.replace(/[\r\n\0]+/g, ' ').trim();
  return t === '' ? 'Failed' : t.slice(0, 300);
}

export function formatTagged(tag: string, m: MappedError): string {
  return `${tag} ${m.status} ${m.code ? `[${m.code}] ` : ''}${m.text}\r\n`;
}
