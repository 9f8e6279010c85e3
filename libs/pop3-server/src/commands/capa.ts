/** CAPA (RFC 2449 §5) and the greeting. */
import { randomBytes } from 'node:crypto';
import { SASL_MECHANISMS } from '../../../sasl/src/index.js';
import { multiline, ok } from '../../../pop3-codec/src/responses.js';
import type { Pop3Session } from '../session.js';
import { xclientTrusted } from './xclient.js';

/** Plaintext credentials are accepted on this connection now (RFC 8314; Dovecot disable_plaintext_auth). */
export function plaintextAllowed(s: Pop3Session): boolean {
  if (s.secure || s.config.allowPlaintextAuth) return true;
  // Dovecot login_trusted_networks: plaintext without TLS is fine from trusted networks (sasl.trustedNetworks).
  return s.host.deps.sasl?.plaintextAllowed({ secure: s.secure, remoteIp: s.remoteAddress }) ?? false;
}

export function capabilities(s: Pop3Session): string[] {
  const caps = ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE'];
  if (s.state === 'authorization') {
    // RFC 2449 §6.8 / RFC 5034 §3: offer USER and SASL only where they may be used.
    if (plaintextAllowed(s)) caps.push('USER', `SASL ${SASL_MECHANISMS.join(' ')}`);
    if (!s.secure && s.host.tls()) caps.push('STLS');
  }
  return caps;
}

export async function capa(s: Pop3Session): Promise<boolean> {
  s.write(multiline('Capability list follows', capabilities(s)));
  return true;
}

/** RFC 1939 §4 greeting; with APOP, the §7 timestamp "<random.time@host>". */
export function greeting(s: Pop3Session): string {
  // Dovecot offers XCLIENT to login proxies in login_trusted_networks in the greeting: "+OK [XCLIENT] ...".
  const x = xclientTrusted(s) ? '[XCLIENT] ' : '';
  if (s.host.deps.apopSecret) {
    s.apopTimestamp = `<${randomBytes(8).toString('hex')}.${Date.now()}@${s.config.hostname}>`;
    return ok(`${x}POP3 ready. ${s.apopTimestamp}`);
  }
  return ok(`${x}POP3 ready.`);
}
