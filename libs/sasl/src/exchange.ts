/** What every server's SASL exchange needs besides the mechanism (IMAP AUTHENTICATE, POP3 AUTH, ManageSieve AUTHENTICATE). */
import { LIMITS } from '../../core/src/limits.js';

/** A client response in base64 (RFC 4648 §4, padded; "" is an empty response); null when it is not base64. */
export function decodeSaslResponse(text: string): Buffer | null {
  if (text === '') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, 'base64');
}

/**
 * Waits out LIMITS.authFailureDelayMs from `started` (when the command came in), so a failure takes
 * as long whether the user was unknown or the password wrong.
 */
export async function failureDelay(started: number): Promise<void> {
  const left = LIMITS.authFailureDelayMs - (Date.now() - started);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}
