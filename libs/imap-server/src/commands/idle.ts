/**
 * IDLE (RFC 2177). Changes made by sessions of this process arrive through Mailbox.watch();
 * changes by other processes are found by polling Mailbox.sync() every LIMITS.idlePollMs.
 *
 * An idling session mostly waits, and a node holds many of them (issue 6): the wait for input and the
 * wait for a mailbox change are each set up once and re-armed only after they fire. A Promise.race
 * over them at every poll would hang one more reaction on the pending read, and one more resolver on
 * the change waiters, every idlePollMs for as long as the client idles.
 */
import type { Session } from '../session.js';
import type { Reply } from './index.js';
import { LIMITS } from '../../../core/src/limits.js';

type Wake = 'data' | 'eof' | 'change' | 'poll';

export async function idle(s: Session): Promise<Reply> {
  s.write('+ idling\r\n');
  s.receiver.expectLine();
  if (s.state === 'selected') await s.syncView(true);
  let wake: ((w: Wake) => void) | null = null;
  const fire = (w: Wake) => { const f = wake; wake = null; f?.(w); };
  let reading = false;
  let watching = false;
  for (;;) {
    const ev = s.receiver.next();
    if (ev) {
      s.resetTimer();
      if (ev.type === 'line' && ev.text.trim().toUpperCase() === 'DONE') break;
      if (ev.type === 'fatal') { s.write(`* BYE ${ev.text}\r\n`); s.state = 'logout'; return { status: 'BAD', text: 'IDLE aborted', skipSync: true }; }
      return { status: 'BAD', text: 'Expected DONE' };
    }
    // A wake that fires while nobody waits (during a sync) is not lost: the data is in the receiver,
    // and a change leaves s.changed set, so the next waitChange() resolves at once.
    if (!reading) { reading = true; void s.fill().then((ok) => { reading = false; fire(ok ? 'data' : 'eof'); }); }
    if (!watching && s.state === 'selected') { watching = true; void s.waitChange().then(() => { watching = false; fire('change'); }); }
    let timer: NodeJS.Timeout | undefined;
    const which = await new Promise<Wake>((r) => { wake = r; timer = setTimeout(fire, LIMITS.idlePollMs, 'poll'); });
    clearTimeout(timer);
    if (which === 'eof' || s.isClosed || s.state === 'logout') return { status: 'NO', text: 'IDLE aborted', skipSync: true };
    if (which !== 'data' && s.state === 'selected') {
      await s.syncView(true);
      await s.drain();
    }
  }
  return { status: 'OK', text: 'IDLE terminated' };
}
