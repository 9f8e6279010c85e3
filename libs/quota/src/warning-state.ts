/**
 * Which warning thresholds a user has crossed, so each warning goes out once when usage first
 * crosses it upward and again only after usage dropped below it. Pure decision plus a small state
 * file in the mail home (`<home>/.quota-warnings`, JSON) so it holds across restarts.
 */
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LIMITS } from '../../core/src/limits.js';

export const STATE_FILE = '.quota-warnings';

export interface WarningDecision {
  /** The threshold to warn about now (the highest newly crossed one), or null. */
  warn: number | null;
  /** Thresholds counted as crossed after this usage. */
  crossed: number[];
}

/**
 * Decides for `percent` usage. When several thresholds are crossed at once only the highest one
 * warns, as Dovecot runs only the first matching quota_warning (they are listed highest first).
 */
export function decideWarning(thresholds: readonly number[], crossedBefore: readonly number[], percent: number): WarningDecision {
  const crossed = thresholds.filter((t) => percent >= t).sort((a, b) => a - b);
  const fresh = crossed.filter((t) => !crossedBefore.includes(t));
  return { warn: fresh.length > 0 ? fresh[fresh.length - 1]! : null, crossed };
}

export async function readCrossed(home: string): Promise<number[]> {
  try {
    const text = await readFile(join(home, STATE_FILE), 'utf8');
    if (text.length > LIMITS.quotaWarningStateMaxBytes) return [];
    const v = JSON.parse(text) as { crossed?: unknown };
    return Array.isArray(v.crossed) ? v.crossed.filter((n): n is number => typeof n === 'number' && Number.isFinite(n)) : [];
  } catch {
    return [];
  }
}

export async function writeCrossed(home: string, crossed: readonly number[], fsync: boolean): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const tmp = join(home, `${STATE_FILE}.tmp.${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ crossed }));
    if (fsync) await fh.sync();
  } finally { await fh.close(); }
  await rename(tmp, join(home, STATE_FILE));
}
