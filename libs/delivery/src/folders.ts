/**
 * Folder creation on delivery: folders named by Sieve (fileinto, with or without :create, as
 * Dovecot's lda_mailbox_autocreate) and the configured mailboxes.auto.* ones (UCS
 * mail/dovecot/mailboxes/auto/NAME = create | subscribe | no).
 */
import { isMailError } from '../../core/src/errors.js';
import type { MailAccount } from '../../mailstore/src/types.js';

export type AutoMailboxes = Readonly<Record<string, 'create' | 'subscribe' | 'no'>>;

/** Creates `name` when missing; a folder we create is subscribed unless config says create-only. */
export async function ensureFolder(account: MailAccount, name: string, auto: AutoMailboxes): Promise<void> {
  try {
    await account.create(name);
  } catch (e) {
    if (isMailError(e) && e.code === 'EXISTS') return;
    throw e;
  }
  if (auto[name] !== 'create') await account.subscribe(name).catch(() => undefined);
}

/** The configured auto folders, created (and subscribed) on a user's first delivery seen by this process. */
export async function ensureAutoMailboxes(account: MailAccount, auto: AutoMailboxes): Promise<void> {
  for (const [name, mode] of Object.entries(auto)) {
    if (mode === 'no') continue;
    try {
      await account.create(name);
      if (mode === 'subscribe') await account.subscribe(name);
    } catch (e) {
      if (!(isMailError(e) && e.code === 'EXISTS')) throw e;
    }
  }
}
