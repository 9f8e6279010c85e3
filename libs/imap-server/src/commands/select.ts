/** SELECT / EXAMINE (RFC 3501 §6.3.1-2, CONDSTORE RFC 7162 §3.1.8), CLOSE, UNSELECT (RFC 3691), EXPUNGE / UID EXPUNGE (RFC 4315). */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { SYSTEM_FLAGS } from '../../../mailstore/src/types.js';
import { LIMITS } from '../../../core/src/limits.js';
import { MailboxView } from '../view.js';
import { resolveSet } from '../seqset.js';

export async function select(s: Session, cmd: CmdOf<'SELECT' | 'EXAMINE'>): Promise<Reply> {
  // RFC 3501 §6.3.1: a SELECT while selected first deselects, even if the new SELECT fails.
  if (s.state === 'selected') await s.closeMailbox();
  const readOnly = cmd.name === 'EXAMINE';
  const mb = await s.account!.open(cmd.mailbox, { readOnly });
  let view: MailboxView;
  try {
    const snap = await mb.sync();
    view = new MailboxView(snap);
  } catch (e) {
    await mb.close().catch(() => undefined);
    throw e;
  }
  if (cmd.condstore) s.enabled.add('CONDSTORE');
  view.condstore = s.enabled.has('CONDSTORE');
  view.readOnly = mb.readOnly;
  const flags = [...SYSTEM_FLAGS, ...view.keywords];
  s.write(`* FLAGS (${flags.join(' ')})\r\n`);
  s.write(`* ${view.exists} EXISTS\r\n`);
  s.write(`* ${view.countRecent()} RECENT\r\n`);
  const unseen = view.firstUnseen();
  if (unseen > 0) s.write(`* OK [UNSEEN ${unseen}] First unseen.\r\n`);
  if (mb.readOnly) {
    s.write('* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n');
  } else {
    const canCreate = view.keywords.length < LIMITS.maildirMaxKeywords ? ' \\*' : '';
    s.write(`* OK [PERMANENTFLAGS (${flags.join(' ')}${canCreate})] Flags permitted.\r\n`);
  }
  s.write(`* OK [UIDVALIDITY ${view.uidValidity}] UIDs valid\r\n`);
  s.write(`* OK [UIDNEXT ${view.uidNext}] Predicted next UID\r\n`);
  s.write(`* OK [HIGHESTMODSEQ ${Math.max(1, view.highestModseq)}] Highest\r\n`);
  s.setSelected(mb, view);
  return { status: 'OK', code: mb.readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${cmd.name} completed`, skipSync: true };
}

export async function close(s: Session): Promise<Reply> {
  // RFC 3501 §6.4.2: CLOSE expunges silently (no untagged EXPUNGE) on a read-write mailbox.
  if (s.mailbox && !s.mailbox.readOnly) {
    try { await s.mailbox.expunge(); } catch (err) { s.log.warn({ err }, 'expunge on CLOSE failed'); }
  }
  await s.closeMailbox();
  return { status: 'OK', text: 'CLOSE completed', skipSync: true };
}

export async function unselect(s: Session): Promise<Reply> {
  await s.closeMailbox();
  return { status: 'OK', text: 'UNSELECT completed', skipSync: true };
}

export async function expunge(s: Session, cmd: CmdOf<'EXPUNGE'>): Promise<void> {
  const mb = s.mailbox!;
  let uids: number[] | undefined;
  if (cmd.uid) {
    if (!cmd.uidSet) return;
    uids = resolveSet(s.view!, cmd.uidSet, true).map((t) => t.entry.uid);
    if (uids.length === 0) return;
  }
  const removed = await mb.expunge(uids);
  s.view!.markExpunged(removed);
  // The untagged EXPUNGEs go out in the sync at command end (allowed for EXPUNGE).
}
