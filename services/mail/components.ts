/**
 * The IMAP server, seen through its contract (libs/imap-server/src/deps.ts). The service codes
 * against ImapServerLike so its reload and shutdown logic can be tested with a stand-in.
 */
import type { SecureContext } from 'node:tls';
import { ImapServer } from '../../libs/imap-server/src/index.js';
import type { ImapServerConfig, ImapServerDeps } from '../../libs/imap-server/src/deps.js';
import type { ListenOptions } from '../../libs/netio/src/listeners.js';

export interface ImapServerLike {
  /** source: in a worker process, the primary hands the connections over (libs/workers). */
  listen(opts: ListenOptions): Promise<number>;
  updateConfig(config: ImapServerConfig, tls: SecureContext | null): void;
  connections(): number;
  close(): Promise<void>;
}

export function createImapServer(deps: ImapServerDeps): ImapServerLike {
  return new ImapServer(deps);
}
