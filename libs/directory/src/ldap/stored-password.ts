/**
 * Stored-hash check for passwordCheck: compare (userPassword read with a service account).
 * The schemes of the file directory (libs/directory/src/file/password.ts) plus {BLF-CRYPT}
 * (bcrypt, Dovecot writes $2y$) and {ARGON2ID} (PHC string "$argon2id$v=19$m=..,t=..,p=..$salt$hash")
 * through hash-wasm. Unknown schemes verify as false (same answer as a wrong password).
 */
import { argon2Verify, bcryptVerify } from 'hash-wasm';
import { parseStoredPassword, verifyPasswordAsync } from '../file/password.js';

export async function verifyStored(password: string, stored: string): Promise<boolean> {
  const m = /^\{([A-Za-z0-9.-]+)\}(.*)$/s.exec(stored);
  const scheme = m ? m[1]!.toUpperCase() : '';
  const data = m ? m[2]! : stored;
  try {
    if (scheme === 'BLF-CRYPT' || (!m && /^\$2[abxy]\$/.test(stored))) {
      // $2y$ and $2b$ are the same algorithm as $2a$ for valid UTF-8 input (the 2a/2y split was a PHP 8-bit bug).
      if (!/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(data)) return false;
      return await bcryptVerify({ password, hash: '$2a$' + data.slice(4) });
    }
    if (scheme === 'ARGON2ID' || scheme === 'ARGON2I' || (!m && data.startsWith('$argon2'))) {
      if (!/^\$argon2(id|i)\$/.test(data)) return false;
      return await argon2Verify({ password, hash: data });
    }
    // {CRYPT} "!..." (UCS disabled account) and malformed hashes fail here.
    const p = parseStoredPassword(stored);
    if ('error' in p) return false;
    return await verifyPasswordAsync(password, p);
  } catch {
    return false;
  }
}
