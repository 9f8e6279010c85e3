import type { SaslMechanism, SaslOptions } from './types.js';
import { PlainMechanism } from './plain.js';
import { LoginMechanism } from './login.js';

/** Mechanisms this server offers, in preference order. */
export const SASL_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

/** Mechanisms that send the password in the clear (Dovecot MECH_SEC_PLAINTEXT): TLS or a trusted network only. */
export const PLAINTEXT_MECHANISMS: ReadonlySet<string> = new Set(['PLAIN', 'LOGIN']);

/** Creates a fresh state machine for `name` (upper-case), or null for an unknown mechanism. */
export function createMechanism(name: string, opts: SaslOptions = {}): SaslMechanism | null {
  switch (name.toUpperCase()) {
    case 'PLAIN': return new PlainMechanism(opts);
    case 'LOGIN': return new LoginMechanism();
    default: return null;
  }
}
