export * from './types.js';
export { PlainMechanism } from './plain.js';
export { LoginMechanism } from './login.js';
import type { SaslMechanism, SaslOptions } from './types.js';
import { PlainMechanism } from './plain.js';
import { LoginMechanism } from './login.js';

/** Mechanisms this server offers, in preference order. */
export const SASL_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

/** Creates a fresh state machine for `name` (upper-case), or null for an unknown mechanism. */
export function createMechanism(name: string, opts: SaslOptions = {}): SaslMechanism | null {
  switch (name.toUpperCase()) {
    case 'PLAIN': return new PlainMechanism(opts);
    case 'LOGIN': return new LoginMechanism();
    default: return null;
  }
}
