/**
 * The IMAP server, seen through its contract (libs/imap-server/src/deps.ts). The service codes
 * against ImapServerLike so its reload and shutdown logic can be tested with a stand-in.
 */
import type { SecureContext } from 'node:tls';
import { ImapServer } from '../../libs/imap-server/src/index.js';
import type { ImapServerConfig, ImapServerDeps } from '../../libs/imap-server/src/deps.js';

export interface ImapServerLike {
  listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number>;
  updateConfig(config: ImapServerConfig, tls: SecureContext | null): void;
  connections(): number;
  close(): Promise<void>;
}

export function createImapServer(deps: ImapServerDeps): ImapServerLike {
  return new ImapServer(deps);
}
