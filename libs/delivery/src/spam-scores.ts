/**
 * spamtest / spamtestplus / virustest values (RFC 5235) from the headers SpamAssassin adds, the way
 * Pigeonhole is usually configured for it:
 *
 *   sieve_spamtest_status_type = score        sieve_spamtest_status_header = X-Spam-Score
 *   sieve_spamtest_max_value   = 5.0          (SpamAssassin's required_score)
 *   fallbacks: X-Spam-Level (type strlen: one "*" per point), X-Spam-Flag (type text: YES / NO)
 *
 * A score s (first source present wins) maps linearly onto min 0 .. max 5:
 *   percent = clamp(round(100 * s / 5), 0, 100)       (spamtestplus :percent)
 *   value   = 1 + round(9 * percent / 100)            (spamtest: 1 = surely not spam .. 10 = surely spam)
 * X-Spam-Flag alone: YES -> 100 % / 10, anything else -> 0 % / 1. No header: not tested (0), so
 * `spamtest :value "eq" "0"` tells an unscanned message. virustest is not derived (no scanner header).
 */
import type { SpamScores } from '../../sieve/src/types.js';

export const SPAM_MAX_SCORE = 5;

export function spamScores(header: (name: string) => string[]): SpamScores {
  const score = headerScore(header);
  if (score === null) return {};
  const percent = Math.min(100, Math.max(0, Math.round((100 * score) / SPAM_MAX_SCORE)));
  return { spam: 1 + Math.round((9 * percent) / 100), spamPercent: percent };
}

function headerScore(header: (name: string) => string[]): number | null {
  const s = header('x-spam-score')[0]?.trim();
  if (s && /^[+-]?\d+(\.\d+)?$/.test(s)) return Number(s);
  const level = header('x-spam-level')[0];
  if (level !== undefined) return level.trim().replace(/[^*]/g, '').length;
  const flag = header('x-spam-flag')[0];
  if (flag !== undefined) return /^\s*yes\b/i.test(flag) ? SPAM_MAX_SCORE : 0;
  return null;
}
