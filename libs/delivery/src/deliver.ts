/**
 * Direct local delivery of one message to one recipient, without Sieve, forwards or trace headers:
 * for system messages such as quota warnings (UCS runs dovecot-lda for those). Mail from outside
 * (LMTP, the deliver command) goes through Deliverer (deliverer.ts) instead.
 * Resolves the recipient (primary address or alias) in the directory, opens the
 * account in its mail home, and appends the message as a delivery (new/, \Recent) to INBOX or the
 * named folder, creating and subscribing the folder when missing (dovecot-lda -m with
 * lda_mailbox_autocreate/autosubscribe). The message is streamed, never held in memory.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { MailError, isMailError } from '../../core/src/errors.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { MailStore, MailAccount } from '../../mailstore/src/types.js';
import { stripMboxFromLine } from './from-line.js';

export interface DeliveryConfig {
  /** Mail home of a user (same function the IMAP server gets). */
  mailHome(user: UserRecord): string;
}

export interface DeliveryResult {
  user: string;
  mailbox: string;
  uid: number;
  uidValidity: number;
  size: number;
  /** True when the named folder could not be used and INBOX took the message instead. */
  fellBackToInbox: boolean;
}

/** Folder names whose failure means "use INBOX" rather than "fail the delivery". */
const FALLBACK_CODES = new Set(['BADNAME', 'PERM', 'NOTFOUND']);

async function ensureFolder(account: MailAccount, folder: string): Promise<void> {
  try {
    await account.create(folder);
  } catch (e) {
    if (!(isMailError(e) && e.code === 'EXISTS')) throw e;
    return;
  }
  await account.subscribe(folder).catch(() => undefined);
}

/**
 * Delivers `message` to `recipient`. Throws MailError: NOTFOUND (no such user: EX_NOUSER / 550),
 * OVERQUOTA, TOOBIG, TEMP (directory or storage unavailable: EX_TEMPFAIL / 451), others INTERNAL.
 */
export async function deliverMessage(
  store: MailStore, directory: Directory, cfg: DeliveryConfig, recipient: string, message: Readable, folder?: string,
): Promise<DeliveryResult> {
  const user = await directory.lookup(recipient.trim());
  if (!user) {
    message.resume();
    throw new MailError('NOTFOUND', 'No such user here');
  }
  const account = await store.openAccount({ user: user.user, home: cfg.mailHome(user), quotaBytes: user.quotaBytes });
  try {
    let mailbox = 'INBOX';
    let fellBackToInbox = false;
    if (folder !== undefined && folder.trim() !== '' && folder.toUpperCase() !== 'INBOX') {
      try {
        await ensureFolder(account, folder);
        mailbox = folder;
      } catch (e) {
        if (!(isMailError(e) && FALLBACK_CODES.has(e.code))) throw e;
        fellBackToInbox = true;
      }
    }
    // pipeline() forwards a source error (e.g. stdin failing) into the body stream, so append fails.
    const body = pipeline(message, stripMboxFromLine(), () => undefined);
    const r = await account.append(mailbox, body, { delivery: true });
    return { user: user.user, mailbox, uid: r.uid, uidValidity: r.uidValidity, size: r.size, fellBackToInbox };
  } finally {
    await account.close().catch(() => undefined);
  }
}
