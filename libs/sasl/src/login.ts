/**
 * SASL LOGIN (draft-murchison-sasl-login): the server asks "Username:" then "Password:".
 * Obsolete but still used by Outlook and older clients; no authzid.
 */
import type { SaslMechanism, SaslStep } from './types.js';
import { validUtf8 } from './plain.js';

const MAX_FIELD = 1024;

export class LoginMechanism implements SaslMechanism {
  readonly name = 'LOGIN';
  private state: 'start' | 'user' | 'pass' | 'done' = 'start';
  private user = '';

  step(clientResponse: Buffer | null): SaslStep {
    switch (this.state) {
      case 'start':
        if (clientResponse === null) {
          this.state = 'user';
          return { kind: 'challenge', challenge: Buffer.from('Username:') };
        }
        // An initial response (SASL-IR) carries the user name.
        return this.takeUser(clientResponse);
      case 'user':
        if (clientResponse === null) return this.fail('Missing user name');
        return this.takeUser(clientResponse);
      case 'pass': {
        if (clientResponse === null) return this.fail('Missing password');
        this.state = 'done';
        if (clientResponse.length === 0 || clientResponse.length > MAX_FIELD || !validUtf8(clientResponse)) return this.fail('Invalid password');
        return { kind: 'done', authcid: this.user, password: clientResponse.toString('utf8'), authzid: null };
      }
      default:
        return this.fail('Mechanism already finished');
    }
  }

  private takeUser(b: Buffer): SaslStep {
    if (b.length === 0 || b.length > MAX_FIELD || !validUtf8(b)) return this.fail('Invalid user name');
    this.user = b.toString('utf8');
    this.state = 'pass';
    return { kind: 'challenge', challenge: Buffer.from('Password:') };
  }

  private fail(reason: string): SaslStep {
    this.state = 'done';
    return { kind: 'error', reason };
  }
}
