/**
 * The SASL authenticator over a Directory, with master-user hashes checked by the Directory's
 * password schemes (libs/directory/src/file/password.ts). Used by the service wiring for IMAP,
 * POP3, ManageSieve and this auth service alike.
 */
import type { Directory, UserRecord } from '../../directory/src/types.js';
import { parseStoredPassword, verifyPasswordAsync } from '../../directory/src/file/password.js';
import { SaslAuthenticator, type SaslPolicyConfig } from '../../sasl/src/index.js';

/** Throws an Error naming the master user whose hash cannot be used, or the bad network. */
export function directoryAuthenticator(directory: Directory, cfg: SaslPolicyConfig): SaslAuthenticator<UserRecord> {
  for (const [name, stored] of Object.entries(cfg.masterUsers)) {
    const p = parseStoredPassword(stored);
    if ('error' in p) throw new Error(`master user ${name}: ${p.error}`);
  }
  return new SaslAuthenticator<UserRecord>(directory, cfg, async (password, stored) => {
    const p = parseStoredPassword(stored);
    return 'error' in p ? false : verifyPasswordAsync(password, p);
  });
}
