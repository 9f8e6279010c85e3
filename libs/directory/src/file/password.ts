/**
 * Password hashes in Dovecot's "{SCHEME}data" form (doc: Dovecot "Password Schemes").
 * Supported: {SHA512-CRYPT} {SHA256-CRYPT} {CRYPT} (only $5$/$6$), {SSHA512} {SSHA256} {SSHA},
 * {SHA512} {SHA256} {SHA}, {PLAIN} {CLEAR}. A bare "$6$..."/"$5$..." string is read as {CRYPT},
 * as Dovecot's passwd-file default scheme CRYPT does.
 * Every comparison is constant-time over the digest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseSetting, shaCrypt, shaCryptAsync, shaCryptHash } from './sha-crypt.js';

export type Scheme = 'SHA512-CRYPT' | 'SHA256-CRYPT' | 'SSHA512' | 'SSHA256' | 'SSHA' | 'SHA512' | 'SHA256' | 'SHA' | 'PLAIN';

export interface StoredPassword {
  scheme: Scheme;
  /** The data after "{SCHEME}" (for the crypt schemes the full "$6$..." string). */
  data: string;
}

const SALTED: Record<string, { hash: string; len: number }> = {
  SSHA512: { hash: 'sha512', len: 64 }, SSHA256: { hash: 'sha256', len: 32 }, SSHA: { hash: 'sha1', len: 20 },
};
const UNSALTED: Record<string, string> = { SHA512: 'sha512', SHA256: 'sha256', SHA: 'sha1', SHA1: 'sha1' };

/** Parses a stored hash; returns an error text (no secret in it) when it cannot be used. */
export function parseStoredPassword(stored: string): StoredPassword | { error: string } {
  let scheme: string;
  let data: string;
  const m = /^\{([A-Za-z0-9.-]+)\}(.*)$/s.exec(stored);
  if (m) { scheme = m[1]!.toUpperCase(); data = m[2]!; } else if (/^\$[56]\$/.test(stored)) { scheme = 'CRYPT'; data = stored; } else {
    return { error: 'password has no {SCHEME} prefix (use {SHA512-CRYPT}, {SSHA512} or {PLAIN})' };
  }
  if (scheme === 'CLEAR' || scheme === 'PLAIN') return { scheme: 'PLAIN', data };
  if (scheme === 'SHA512-CRYPT' || scheme === 'SHA256-CRYPT' || scheme === 'CRYPT') {
    const s = parseSetting(data);
    const want = scheme === 'SHA512-CRYPT' ? '6' : scheme === 'SHA256-CRYPT' ? '5' : s?.algo;
    if (!s || s.algo !== want || !/\$[./0-9A-Za-z]+$/.test(data)) return { error: `malformed ${scheme} hash` };
    return { scheme: s.algo === '6' ? 'SHA512-CRYPT' : 'SHA256-CRYPT', data };
  }
  if (SALTED[scheme]) {
    const raw = Buffer.from(data, 'base64');
    if (raw.length <= SALTED[scheme]!.len) return { error: `malformed ${scheme} hash (too short for digest and salt)` };
    return { scheme: scheme as Scheme, data };
  }
  if (UNSALTED[scheme]) {
    const raw = Buffer.from(data, 'base64');
    const len = createHash(UNSALTED[scheme]!).digest().length;
    if (raw.length !== len) return { error: `malformed ${scheme} hash` };
    return { scheme: (scheme === 'SHA1' ? 'SHA' : scheme) as Scheme, data };
  }
  return { error: `unsupported password scheme {${scheme}}` };
}

function equal(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time the same.
  if (a.length !== b.length) { timingSafeEqual(b, b); return false; }
  return timingSafeEqual(a, b);
}

/** Checks `password` against a parsed stored hash, in time that does not depend on where they differ. */
export function verifyPassword(password: string, stored: StoredPassword): boolean {
  return verify(password, stored, shaCrypt);
}

/** verifyPassword for servers: SHA-crypt yields to the event loop between slices of rounds. */
export async function verifyPasswordAsync(password: string, stored: StoredPassword): Promise<boolean> {
  if (stored.scheme !== 'SHA512-CRYPT' && stored.scheme !== 'SHA256-CRYPT') return verify(password, stored, shaCrypt);
  const computed = await shaCryptAsync(Buffer.from(password, 'utf8'), stored.data);
  return equal(Buffer.from(computed, 'utf8'), Buffer.from(stored.data, 'utf8'));
}

function verify(password: string, stored: StoredPassword, crypt: (pw: Buffer, setting: string) => string): boolean {
  const pw = Buffer.from(password, 'utf8');
  switch (stored.scheme) {
    case 'PLAIN': {
      // Hash both sides so the comparison has a fixed length and leaks nothing about the length.
      const h = (b: Buffer) => createHash('sha256').update(b).digest();
      return equal(h(pw), h(Buffer.from(stored.data, 'utf8')));
    }
    case 'SHA512-CRYPT':
    case 'SHA256-CRYPT':
      return equal(Buffer.from(crypt(pw, stored.data), 'utf8'), Buffer.from(stored.data, 'utf8'));
    case 'SSHA512':
    case 'SSHA256':
    case 'SSHA': {
      const { hash, len } = SALTED[stored.scheme]!;
      const raw = Buffer.from(stored.data, 'base64');
      const salt = raw.subarray(len);
      return equal(createHash(hash).update(pw).update(salt).digest(), raw.subarray(0, len));
    }
    case 'SHA512':
    case 'SHA256':
    case 'SHA':
      return equal(createHash(UNSALTED[stored.scheme]!).update(pw).digest(), Buffer.from(stored.data, 'base64'));
  }
}

/** The hash `hash-password` prints and new users get: {SHA512-CRYPT} with default rounds. */
export function hashPassword(password: string): string {
  return `{SHA512-CRYPT}${shaCryptHash(password, '6')}`;
}

/**
 * A hash of a random password, verified against for unknown users, so that "no such user" costs the
 * same SHA-crypt work as "wrong password" and the time does not tell the two apart.
 */
export const DUMMY_PASSWORD: StoredPassword = { scheme: 'SHA512-CRYPT', data: shaCryptHash(String(Math.random()), '6') };
