/**
 * The header lines a delivery puts on top of the stored copy, as Dovecot's LMTP does:
 * Return-Path (RFC 5321 §4.4, the envelope sender), Delivered-To (the recipient, used by MTAs
 * for loop detection) and a Received line for this hop.
 */
export interface TraceInfo {
  /** Envelope sender ('' for <>). */
  from: string;
  /** Recipient address this copy is for. */
  to: string;
  /** LHLO name and address of the client, our host name, session id. */
  heloName: string;
  remote: string;
  hostname: string;
  id: string;
  date?: Date;
}

/** RFC 5322 §3.3 date-time in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

const clean = (s: string) => s.replace(/[\r\n]/g, '');

export function traceHeaders(t: TraceInfo): Buffer {
  const date = rfc5322Date(t.date ?? new Date());
  return Buffer.from(
    `Return-Path: <${clean(t.from)}>\r\n`
    + `Delivered-To: ${clean(t.to)}\r\n`
    + `Received: from ${clean(t.heloName)} (${clean(t.remote)})\r\n\tby ${clean(t.hostname)} with LMTP id ${clean(t.id)}\r\n\tfor <${clean(t.to)}>; ${date}\r\n`,
    'utf8',
  );
}
