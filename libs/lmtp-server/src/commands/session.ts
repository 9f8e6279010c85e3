/** LHLO, RSET, NOOP, QUIT, VRFY: session-level commands (RFC 2033 §4.1, RFC 5321 §4.1.1). */
import { reply } from '../../../lmtp-codec/src/reply.js';
import type { LmtpSession } from '../session.js';

// LHLO <domain>: the LMTP greeting; like EHLO it resets any transaction (RFC 5321 §4.1.4).
export async function onLhlo(s: LmtpSession, domain: string): Promise<void> {
  await s.abortTransaction();
  s.heloName = domain;
  s.send(reply(250, null, s.deps.config.hostname, '8BITMIME', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING',
    `SIZE ${s.deps.config.maxMessageSize}`));
}

export async function onRset(s: LmtpSession): Promise<void> {
  await s.abortTransaction();
  s.send(reply(250, '2.0.0', 'OK'));
}

export function onNoop(s: LmtpSession): void {
  s.send(reply(250, '2.0.0', 'OK'));
}

export function onQuit(s: LmtpSession): void {
  s.close(reply(221, '2.0.0', 'Bye'));
}

// VRFY is not offered (address probing); Dovecot's lib-smtp gives the same answer (RFC 5321 §3.5.3).
export function onVrfy(s: LmtpSession): void {
  s.send(reply(252, '2.3.3', 'Try RCPT instead'));
}
