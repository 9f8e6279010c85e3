/** SASL PLAIN (RFC 4616): message = [authzid] NUL authcid NUL passwd, all UTF-8. */
import type { SaslMechanism, SaslOptions, SaslStep } from './types.js';

const MAX_FIELD = 1024; // RFC 4616 §2 allows up to 255 octets per field; we are lenient but bounded.

export class PlainMechanism implements SaslMechanism {
  readonly name = 'PLAIN';
  private asked = false;
  private finished = false;
  constructor(private readonly opts: SaslOptions = {}) {}

  step(clientResponse: Buffer | null): SaslStep {
    if (this.finished) return { kind: 'error', reason: 'Mechanism already finished' };
    if (clientResponse === null) {
      if (this.asked) { this.finished = true; return { kind: 'error', reason: 'Missing response' }; }
      // RFC 4616 §2: the client may send its message in the initial response; if not, empty challenge.
      this.asked = true;
      return { kind: 'challenge', challenge: Buffer.alloc(0) };
    }
    this.finished = true;
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < clientResponse.length; i++) {
      if (clientResponse[i] === 0) { parts.push(clientResponse.subarray(start, i)); start = i + 1; }
    }
    parts.push(clientResponse.subarray(start));
    if (parts.length !== 3) return { kind: 'error', reason: 'Invalid PLAIN message' };
    const [z, c, p] = parts as [Buffer, Buffer, Buffer];
    if (c.length === 0 || p.length === 0) return { kind: 'error', reason: 'Empty authcid or password' };
    if (z.length > MAX_FIELD || c.length > MAX_FIELD || p.length > MAX_FIELD) return { kind: 'error', reason: 'Field too long' };
    const authzid = z.toString('utf8');
    const authcid = c.toString('utf8');
    const password = p.toString('utf8');
    if (!validUtf8(z) || !validUtf8(c) || !validUtf8(p)) return { kind: 'error', reason: 'Invalid UTF-8' };
    if (authzid !== '' && authzid !== authcid) {
      if (!this.opts.allowAuthzid || !this.opts.allowAuthzid(authcid, authzid)) {
        return { kind: 'error', reason: 'Authorization identity not permitted' };
      }
    }
    return { kind: 'done', authcid, password, authzid: authzid === '' ? null : authzid };
  }
}

// One decoder for all calls: decode() without {stream: true} keeps no state between calls.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function validUtf8(b: Buffer): boolean {
  try { STRICT_UTF8.decode(b); return true; } catch { return false; }
}
