/** CREATE (+ CREATE-SPECIAL-USE RFC 6154 §3), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (RFC 3501 §6.3). */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import type { MailboxStatus, SpecialUse } from '../../../mailstore/src/types.js';
import type { StatusItem } from '../../../imap-codec/src/types.js';
import { mailboxName } from '../encode.js';

const SPECIAL: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

export function normalizeSpecialUse(list: readonly string[]): SpecialUse[] | null {
  const out: SpecialUse[] = [];
  for (const f of list) {
    const m = SPECIAL.find((x) => x.toLowerCase() === f.toLowerCase());
    if (!m) return null;
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** RFC 3501 §6.3.3: a trailing hierarchy separator only says the client intends children. */
function stripTrailingSep(name: string): string {
  return name.length > 1 ? name.replace(/\/+$/, '') : name;
}

export async function create(s: Session, cmd: CmdOf<'CREATE'>): Promise<Reply | void> {
  const name = stripTrailingSep(cmd.mailbox);
  if (name === '') return { status: 'NO', code: 'CANNOT', text: 'Invalid mailbox name' };
  const su = normalizeSpecialUse(cmd.specialUse);
  if (su === null) return { status: 'NO', code: 'USEATTR', text: 'Unsupported special-use attribute' };
  if (name.toUpperCase() === 'INBOX') return { status: 'NO', code: 'ALREADYEXISTS', text: 'Mailbox already exists' };
  await s.account!.create(name, su.length ? { specialUse: su } : undefined);
}

export async function del(s: Session, cmd: CmdOf<'DELETE'>): Promise<Reply | void> {
  if (cmd.mailbox.toUpperCase() === 'INBOX') return { status: 'NO', code: 'NOPERM', text: 'INBOX can\'t be deleted.' };
  if (s.mailbox && s.mailbox.name === cmd.mailbox) {
    // Deleting the selected mailbox: deselect first so no handle stays open on a removed folder.
    await s.closeMailbox();
    await s.account!.delete(cmd.mailbox);
    return { status: 'OK', text: 'DELETE completed', skipSync: true };
  }
  await s.account!.delete(cmd.mailbox);
}

export async function rename(s: Session, cmd: CmdOf<'RENAME'>): Promise<void> {
  await s.account!.rename(cmd.from, stripTrailingSep(cmd.to));
}

export async function subscribe(s: Session, cmd: CmdOf<'SUBSCRIBE'>): Promise<void> {
  await s.account!.subscribe(cmd.mailbox);
}

export async function unsubscribe(s: Session, cmd: CmdOf<'UNSUBSCRIBE'>): Promise<void> {
  await s.account!.unsubscribe(cmd.mailbox);
}

export function formatStatus(name: string, st: MailboxStatus, items: readonly StatusItem[]): string {
  const parts: string[] = [];
  for (const it of items) {
    switch (it) {
      case 'MESSAGES': parts.push(`MESSAGES ${st.messages}`); break;
      case 'RECENT': parts.push(`RECENT ${st.recent}`); break;
      case 'UIDNEXT': parts.push(`UIDNEXT ${st.uidNext}`); break;
      case 'UIDVALIDITY': parts.push(`UIDVALIDITY ${st.uidValidity}`); break;
      case 'UNSEEN': parts.push(`UNSEEN ${st.unseen}`); break;
      case 'SIZE': parts.push(`SIZE ${st.size}`); break;
      case 'HIGHESTMODSEQ': parts.push(`HIGHESTMODSEQ ${Math.max(1, st.highestModseq)}`); break;
      case 'DELETED': parts.push(`DELETED ${st.deleted}`); break;
    }
  }
  return `* STATUS ${mailboxName(name)} (${parts.join(' ')})\r\n`;
}

export async function status(s: Session, cmd: CmdOf<'STATUS'>): Promise<void> {
  const st = await s.account!.status(cmd.mailbox);
  const name = cmd.mailbox.toUpperCase() === 'INBOX' ? 'INBOX' : cmd.mailbox;
  s.write(formatStatus(name, st, cmd.items));
}
