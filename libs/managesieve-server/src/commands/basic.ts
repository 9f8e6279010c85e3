/** CAPABILITY, STARTTLS, NOOP and LOGOUT (RFC 5804 §2.4, §2.2, §2.13, §2.3). */
import { encodeCapability } from '../../../managesieve-codec/src/response.js';
import { SASL_MECHANISMS } from '../../../sasl/src/index.js';
import type { Arg } from '../../../managesieve-codec/src/types.js';
import type { Session } from '../session.js';

/** RFC 5804 §1.7 capability lines (without the final OK). */
export function sendCapabilities(s: Session): void {
  const c = s.deps.config;
  let out = encodeCapability('IMPLEMENTATION', c.implementation);
  // Dovecot announces an empty SASL list while plaintext mechanisms are refused, so clients do STARTTLS first.
  out += encodeCapability('SASL', s.plaintextAllowed ? SASL_MECHANISMS.join(' ') : '');
  out += encodeCapability('SIEVE', s.deps.extensions().join(' '));
  if (s.tls && !s.secure && s.state === 'notauth') out += encodeCapability('STARTTLS');
  // Dovecot lists XCLIENT to login proxies in login_trusted_networks only (commands/xclient.ts).
  if (s.state === 'notauth' && s.xclientTrusted) out += encodeCapability('XCLIENT');
  out += encodeCapability('MAXREDIRECTS', String(c.maxRedirects));
  out += encodeCapability('NOTIFY', 'mailto');
  if (s.user) out += encodeCapability('OWNER', s.user.user);
  out += encodeCapability('VERSION', '1.0');
  s.write(out);
}

export async function capability(s: Session): Promise<void> {
  sendCapabilities(s);
  s.respond({ status: 'OK', text: 'Capability completed.' });
}

export async function noop(s: Session, args: readonly Arg[]): Promise<void> {
  const tag = args[0];
  // RFC 5804 §2.13: the optional string comes back in a TAG response code.
  if (tag && tag.type === 'string') s.respond({ status: 'OK', code: 'TAG', codeArg: tag.value, text: 'Done' });
  else s.respond({ status: 'OK', text: 'NOOP completed.' });
}

export async function logout(s: Session): Promise<void> {
  s.respond({ status: 'OK', text: 'Logout completed.' });
  s.end();
}

export async function starttls(s: Session): Promise<void> {
  const ctx = s.tls;
  if (!ctx) return s.respond({ status: 'NO', text: 'TLS support isn\'t enabled.' });
  if (s.secure) return s.respond({ status: 'NO', text: 'TLS is already active.' });
  s.respond({ status: 'OK', text: 'Begin TLS negotiation now.' });
  try {
    await s.startTls(ctx);
  } catch (err) {
    s.log.info({ err }, 'STARTTLS handshake failed');
    s.end();
    return;
  }
  // RFC 5804 §2.2: after a successful negotiation the server sends its capabilities again.
  sendCapabilities(s);
  s.respond({ status: 'OK', text: 'TLS negotiation successful.' });
}
