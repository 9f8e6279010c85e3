/**
 * IDLE (RFC 2177). Changes made by sessions of this process arrive through Mailbox.watch(), and
 * those of other processes through the store's inotify watch; Mailbox.sync() is also polled every
 * LIMITS.idlePollMs (NFS).
 *
 * An idling session mostly waits, and a node holds many of them (issue 6): the wait for input and the
 * wait for a mailbox change are each set up once and re-armed only after they fire. A Promise.race
 * over them at every poll would hang one more reaction on the pending read, and one more resolver on
 * the change waiters, every idlePollMs for as long as the client idles.
 *
 * After config.hibernateTimeoutMs (imap.hibernateTimeout, Dovecot's imap_hibernate_timeout) with
 * nothing pending the session hibernates (hibernate.ts): this function returns { hibernated }, the
 * command loop unwinds, and on input or a change the session calls it again with `resumed` set.
 */
import type { Session } from '../session.js';
import type { Reply } from './index.js';
import type { Command } from '../../../imap-codec/src/types.js';
import { LIMITS } from '../../../core/src/limits.js';

type Wake = 'data' | 'eof' | 'change' | 'poll';

const ABORTED: Reply = { status: 'NO', text: 'IDLE aborted', skipSync: true };

export async function idle(s: Session, cmd: Command & { resumed?: boolean }): Promise<Reply> {
  if (!cmd.resumed) {
    s.write('+ idling\r\n');
    s.receiver.expectLine();
  }
  // Woken by kick, autologout or a closed connection: nothing left to idle for.
  if (s.isClosed || (s.state as string) === 'logout') return { ...ABORTED };
  // The woken session tells the client what changed while it slept (RFC 2177, RFC 3501 §7).
  if (s.state === 'selected') await s.syncView(true);
  // That sync (or the woken session's re-open) ended it: UIDVALIDITY changed, the mailbox is gone.
  if ((s.state as string) === 'logout') return { ...ABORTED };
  const hibernateMs = s.config.hibernateTimeoutMs ?? 0;
  const hibernateAt = Date.now() + hibernateMs;
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
    const waitMs = hibernateMs > 0 ? Math.max(1, Math.min(LIMITS.idlePollMs, hibernateAt - Date.now())) : LIMITS.idlePollMs;
    const which = await new Promise<Wake>((r) => { wake = r; timer = setTimeout(fire, waitMs, 'poll'); });
    clearTimeout(timer);
    if (which === 'eof' || s.isClosed || s.state === 'logout') return { ...ABORTED };
    if (which !== 'data' && s.state === 'selected') {
      await s.syncView(true);
      await s.drain();
    }
    if (which === 'poll' && hibernateMs > 0 && Date.now() >= hibernateAt && s.canHibernate()) {
      s.hibernate(cmd);
      return { status: 'OK', text: 'IDLE hibernated', hibernated: true };
    }
  }
  return { status: 'OK', text: 'IDLE terminated' };
}
