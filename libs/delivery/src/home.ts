/**
 * Where a user's mail lives: <mailRoot>/<domain>/<localpart> (the UCS layout). Addresses come from
 * the directory; this check is the last line against a name that would escape the mail root.
 */
import { join } from 'node:path';
import { MailError } from '../../core/src/errors.js';

const SEGMENT = /^(?!\.)[^/\\\u0000-\u001f\u007f]{1,255}$/;

export function mailHome(mailRoot: string, address: string): string {
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at).toLowerCase() : '';
  const domain = at > 0 ? address.slice(at + 1).toLowerCase() : '';
  if (!SEGMENT.test(local) || !SEGMENT.test(domain)) {
    throw new MailError('INTERNAL', 'Internal error occurred. Refer to server log for more information.', {
      cause: new Error(`address not usable as a mail home path: ${JSON.stringify(address)}`),
    });
  }
  return join(mailRoot, domain, local);
}
