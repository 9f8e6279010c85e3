/**
 * The SASL authenticator over a Directory, with master-user hashes checked by the Directory's
 * password schemes (libs/directory/src/file/password.ts). Used by the service wiring for IMAP,
 * POP3, ManageSieve and this auth service alike.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LIMITS } from '../../core/src/limits.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import { parseStoredPassword, verifyPasswordAsync } from '../../directory/src/file/password.js';
import { SaslAuthenticator, type SaslPolicyConfig } from '../../sasl/src/index.js';

/**
 * Master-password checks that succeeded, remembered for a while (as the auth cache does for users):
 * a proxy logs in with the same master password on every client connection, and without this the
 * backend paid a full {SHA512-CRYPT} check per proxied login, while a direct login of the same user
 * hits the auth cache (bench:proxy measured the proxied backend at twice the CPU per command).
 * A key is SHA-256 over a per-process random secret, the stored hash and the password, so the
 * memory holds nothing that verifies a password elsewhere, and a changed hash never matches an old
 * entry. Only successes are kept: a wrong password always pays the full check (and the failure delay).
 */
export class VerifiedPasswords {
  private readonly secret = randomBytes(32);
  private readonly until = new Map<string, number>();

  constructor(private readonly ttlMs: number = LIMITS.authCacheTtlMs, private readonly maxEntries: number = LIMITS.masterAuthCacheEntries, private readonly now: () => number = Date.now) {}

  private key(password: string, stored: string): string {
    return createHash('sha256').update(this.secret).update(stored).update('\0').update(password).digest('base64');
  }

  has(password: string, stored: string): boolean {
    const k = this.key(password, stored);
    const t = this.until.get(k);
    if (t === undefined) return false;
    if (t <= this.now()) { this.until.delete(k); return false; }
    return true;
  }

  add(password: string, stored: string): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const k = this.key(password, stored);
    this.until.delete(k);
    // Oldest first (Map keeps insertion order): a full cache drops the entry that would expire first.
    while (this.until.size >= this.maxEntries) this.until.delete(this.until.keys().next().value!);
    this.until.set(k, this.now() + this.ttlMs);
  }

  get size(): number { return this.until.size; }
}

/** Throws an Error naming the master user whose hash cannot be used, or the bad network. */
export function directoryAuthenticator(directory: Directory, cfg: SaslPolicyConfig, verified = new VerifiedPasswords()): SaslAuthenticator<UserRecord> {
  for (const [name, stored] of Object.entries(cfg.masterUsers)) {
    const p = parseStoredPassword(stored);
    if ('error' in p) throw new Error(`master user ${name}: ${p.error}`);
  }
  return new SaslAuthenticator<UserRecord>(directory, cfg, async (password, stored) => {
    if (verified.has(password, stored)) return true;
    const p = parseStoredPassword(stored);
    const ok = 'error' in p ? false : await verifyPasswordAsync(password, p);
    if (ok) verified.add(password, stored);
    return ok;
  });
}
