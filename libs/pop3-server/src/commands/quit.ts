/** QUIT (RFC 1939 §6): in TRANSACTION it enters UPDATE and removes the DELE'd messages. */
import { err, ok } from '../../../pop3-codec/src/responses.js';
import type { Pop3Session } from '../session.js';
import { errorReply } from '../errors.js';

export async function quit(s: Pop3Session): Promise<boolean> {
  if (s.state !== 'transaction') {
    s.write(ok('Logging out.'));
    s.close();
    return true;
  }
  let removed: number;
  try {
    removed = await s.update();
  } catch (e) {
    // RFC 1939 §6: "-ERR some deleted messages not removed".
    const reply = errorReply(e, s.log);
    s.write(reply.startsWith('-ERR [') ? reply : err('Some deleted messages not removed.', 'SYS/TEMP'));
    s.close();
    return false;
  }
  s.write(ok(removed > 0 ? 'Logging out, messages deleted.' : 'Logging out.'));
  s.close();
  return true;
}
