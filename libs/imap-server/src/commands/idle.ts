/**
 * IDLE (RFC 2177). Changes made by sessions of this process arrive through Mailbox.watch();
 * changes by other processes are found by polling Mailbox.sync() every LIMITS.idlePollMs.
 */
import type { Session } from '../session.js';
import type { Reply } from './index.js';
import { LIMITS } from '../../../core/src/limits.js';

export async function idle(s: Session): Promise<Reply> {
  s.write('+ idling\r\n');
  s.receiver.expectLine();
  if (s.state === 'selected') await s.syncView(true);
  for (;;) {
    const ev = s.receiver.next();
    if (ev) {
      s.resetTimer();
      if (ev.type === 'line' && ev.text.trim().toUpperCase() === 'DONE') break;
      if (ev.type === 'fatal') { s.write(`* BYE ${ev.text}\r\n`); s.state = 'logout'; return { status: 'BAD', text: 'IDLE aborted', skipSync: true }; }
      return { status: 'BAD', text: 'Expected DONE' };
    }
    let timer: NodeJS.Timeout | undefined;
    const poll = new Promise<'poll'>((r) => { timer = setTimeout(() => r('poll'), LIMITS.idlePollMs); });
    const which = await Promise.race([
      s.fill().then((ok) => (ok ? 'data' as const : 'eof' as const)),
      s.state === 'selected' ? s.waitChange().then(() => 'change' as const) : new Promise<never>(() => undefined),
      poll,
    ]);
    clearTimeout(timer);
    if (which === 'eof' || s.isClosed || s.state === 'logout') return { status: 'NO', text: 'IDLE aborted', skipSync: true };
    if (which !== 'data' && s.state === 'selected') {
      await s.syncView(true);
      await s.drain();
    }
  }
  return { status: 'OK', text: 'IDLE terminated' };
}
