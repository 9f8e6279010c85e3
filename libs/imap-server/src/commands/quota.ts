/** QUOTA (RFC 9208): one quota root "" per account with STORAGE (KiB) and MESSAGE resources. */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { mailboxName } from '../encode.js';

async function quotaLine(s: Session): Promise<string | null> {
  const q = await s.account!.quota();
  const res: string[] = [];
  // RFC 9208 §5.1: STORAGE is in units of 1024 octets.
  if (q.storageLimit !== null) res.push(`STORAGE ${Math.ceil(q.storageUsed / 1024)} ${Math.floor(q.storageLimit / 1024)}`);
  if (q.messagesLimit !== null) res.push(`MESSAGE ${q.messagesUsed} ${q.messagesLimit}`);
  if (res.length === 0) return null;
  return `* QUOTA "" (${res.join(' ')})\r\n`;
}

export async function getQuota(s: Session, cmd: CmdOf<'GETQUOTA'>): Promise<Reply | void> {
  const line = cmd.root === '' ? await quotaLine(s) : null;
  if (!line) return { status: 'NO', code: 'NONEXISTENT', text: 'No such quota root' };
  s.write(line);
}

export async function getQuotaRoot(s: Session, cmd: CmdOf<'GETQUOTAROOT'>): Promise<void> {
  await s.account!.status(cmd.mailbox); // NONEXISTENT for a missing mailbox
  const line = await quotaLine(s);
  const name = cmd.mailbox.toUpperCase() === 'INBOX' ? 'INBOX' : cmd.mailbox;
  s.write(`* QUOTAROOT ${mailboxName(name)}${line ? ' ""' : ''}\r\n`);
  if (line) s.write(line);
}

export async function setQuota(): Promise<Reply> {
  // Limits come from the directory (UCS univentionMailUserQuota); clients may not change them.
  return { status: 'NO', code: 'NOPERM', text: 'Quota is managed by the administrator' };
}
