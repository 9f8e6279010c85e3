/** The storage engine of a node: Maildir++ (libs/maildir), behind the MailStore contract. */
import { MaildirStore } from '../../libs/maildir/src/index.js';
import type { MailStore } from '../../libs/mailstore/src/types.js';

export function createStore(opts: { hostname: string; fsync: boolean }): MailStore {
  return new MaildirStore({ hostname: opts.hostname, fsync: opts.fsync });
}
