/** LMTP metrics on the registry the server is given (prom-client), as the IMAP server does. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface LmtpMetrics {
  /** Per-recipient outcomes after the data: saved, temp (4xx), perm (5xx). */
  recipients: Counter<'result'>;
  sessions: Gauge;
  /** Time from the end of the data to the last recipient's reply (Sieve, fsyncs, relay). */
  deliverySeconds: Histogram;
}

export function lmtpMetrics(registry: Registry | undefined): LmtpMetrics | null {
  if (!registry) return null;
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    recipients: get('mail_lmtp_recipients_total', () => new Counter({ name: 'mail_lmtp_recipients_total', help: 'LMTP recipients answered after the data, by result', labelNames: ['result'] as const, registers: [registry] })),
    sessions: get('mail_lmtp_sessions', () => new Gauge({ name: 'mail_lmtp_sessions', help: 'Open LMTP connections', registers: [registry] })),
    deliverySeconds: get('mail_lmtp_delivery_seconds', () => new Histogram({
      name: 'mail_lmtp_delivery_seconds', help: 'End of data to last reply, per message', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    })),
  };
}
