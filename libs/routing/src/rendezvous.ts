/**
 * Placement of users without a home server on a backend: rendezvous (highest random weight) hashing.
 * Each (user, backend) pair gets a score; the user goes to the healthy backend with the highest score.
 * While the set of backends is unchanged a user always lands on the same one; when a backend leaves,
 * only its users move (to their second choice), and when one joins it takes about 1/n of the users:
 * what Dovecot's director achieved with a ring, without ring state to keep in sync. Pure.
 */
import { createHash } from 'node:crypto';

function score(user: string, backend: string): bigint {
  // 64 bits of SHA-256 are plenty for placement; the input is length-prefixed so pairs cannot collide.
  const h = createHash('sha256').update(`${user.length}:${user}|${backend}`).digest();
  return h.readBigUInt64BE(0);
}

/** The backend for `user` among `backends` (names), or null when none is given. */
export function placeUser(user: string, backends: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1n;
  const key = user.toLowerCase();
  for (const b of backends) {
    const s = score(key, b);
    if (s > bestScore || (s === bestScore && best !== null && b < best)) { best = b; bestScore = s; }
  }
  return best;
}
