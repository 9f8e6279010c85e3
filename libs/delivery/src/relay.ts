/**
 * Outgoing mail (forwards, Sieve redirect, vacation, reject notices) through the configured SMTP
 * relay, normally the local Postfix, with nodemailer: it speaks ESMTP, PIPELINING and STARTTLS
 * where offered, and streams the raw message.
 */
import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { MailError } from '../../core/src/errors.js';

export interface RelayEnvelope {
  /** Envelope sender; '' for the null sender <> (auto replies, RFC 3834 §3.3 / RFC 5230 §5.1). */
  from: string;
  to: string[];
}

export interface Relay {
  /** Sends `raw` (a complete RFC 5322 message). Throws MailError('TEMP') when the relay refuses or is unreachable. */
  send(envelope: RelayEnvelope, raw: Readable | Buffer | string): Promise<void>;
  close(): void;
}

export interface SmtpRelayOptions {
  host: string;
  port: number;
  /** Name we announce in EHLO. */
  name: string;
  timeoutMs?: number;
}

export function smtpRelay(o: SmtpRelayOptions): Relay {
  const transport = nodemailer.createTransport({
    host: o.host, port: o.port, secure: false, name: o.name,
    // Loopback relay: opportunistic STARTTLS only, certificate not checked (Postfix's snakeoil cert).
    tls: { rejectUnauthorized: false },
    pool: true, maxConnections: 4,
    connectionTimeout: o.timeoutMs ?? 30_000, greetingTimeout: o.timeoutMs ?? 30_000, socketTimeout: o.timeoutMs ?? 60_000,
  });
  return {
    async send(envelope, raw) {
      try {
        // nodemailer takes `false` as "no MAIL FROM address" only as an empty string in envelope.from.
        await transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw });
      } catch (e) {
        throw new MailError('TEMP', 'Relay failed', { cause: e });
      }
    },
    close() { transport.close(); },
  };
}
