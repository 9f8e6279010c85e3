/**
 * The one place MailError codes become POP3 replies (RFC 2449 §8 / RFC 3206 response codes).
 * Internal errors are logged with their detail; the client sees only a fixed safe text.
 */
import type { Logger } from 'pino';
import { toMailError, type MailErrorCode } from '../../core/src/errors.js';
import { err, type Pop3RespCode } from '../../pop3-codec/src/responses.js';

const CODE_MAP: Record<MailErrorCode, Pop3RespCode | null> = {
  NOTFOUND: null,
  EXISTS: null,
  PERM: 'SYS/PERM',
  OVERQUOTA: 'SYS/PERM',
  TEMP: 'SYS/TEMP',
  INUSE: 'IN-USE',
  LIMIT: 'SYS/TEMP',
  TOOBIG: null,
  BADNAME: null,
  EXPUNGED: null,
  AUTHFAILED: 'AUTH',
  PARSE: null,
  CORRUPT: 'SYS/TEMP',
  INTERNAL: 'SYS/TEMP',
};

export const INTERNAL_TEXT = 'Internal error occurred. Refer to server log for more information.';

/** Maps any thrown value to a "-ERR ..." line; logs internal errors with their cause. */
export function errorReply(e: unknown, log: Logger): string {
  const me = toMailError(e);
  if (me.code === 'INTERNAL' || me.code === 'CORRUPT') {
    log.error({ err: e, cause: me.cause }, 'command failed');
    return err(INTERNAL_TEXT, 'SYS/TEMP');
  }
  if (me.code === 'TEMP') log.warn({ err: e }, 'temporary failure');
  if (me.code === 'EXPUNGED') return err('Message no longer exists.');
  return err(me.message, CODE_MAP[me.code] ?? undefined);
}
