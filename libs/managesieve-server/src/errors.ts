/**
 * The one place MailError codes become ManageSieve responses (RFC 5804 §1.3 response codes).
 * Internal errors are logged; the client sees a fixed text.
 */
import type { Logger } from 'pino';
import { toMailError } from '../../core/src/errors.js';
import type { Response, ResponseCode } from '../../managesieve-codec/src/types.js';
import { ActiveScriptError } from './script-store.js';

export const INTERNAL_TEXT = 'Internal error occurred. Refer to server log for more information.';

export function mapError(e: unknown, log: Logger): Response {
  if (e instanceof ActiveScriptError) return { status: 'NO', code: 'ACTIVE', text: e.message };
  const me = toMailError(e);
  let code: ResponseCode | null = null;
  switch (me.code) {
    case 'NOTFOUND': code = 'NONEXISTENT'; break;
    case 'EXISTS': code = 'ALREADYEXISTS'; break;
    case 'OVERQUOTA': code = 'QUOTA'; break;
    case 'TOOBIG': code = 'QUOTA/MAXSIZE'; break;
    case 'TEMP': code = 'TRYLATER'; log.warn({ err: e }, 'temporary failure'); break;
    case 'INTERNAL': case 'CORRUPT':
      log.error({ err: e, cause: me.cause }, 'command failed');
      return { status: 'NO', text: INTERNAL_TEXT };
    default: break;
  }
  return { status: 'NO', code, text: me.message.replace(/[\r\n]+/g, ' ').slice(0, 300) };
}
