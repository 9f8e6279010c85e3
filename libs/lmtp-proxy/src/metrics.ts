/** LMTP proxy metrics (prom-client) on the registry it is given. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ProxyMetrics {
  /** Replies to Postfix after the data, per result: saved (2xx), temp (4xx), perm (5xx). */
  recipients: Counter<'result'>;
  /** Per backend transaction, by backend and outcome (ok, temp, perm: the worst recipient reply). */
  backendTransactions: Counter<'backend' | 'result'>;
  /** 0 closed, 1 half-open, 2 open. */
  breaker: Gauge<'backend'>;
  sessions: Gauge;
  /** End of the data to the last reply (all backends in parallel). */
  fanOutSeconds: Histogram;
}

export function proxyMetrics(registry: Registry | undefined): ProxyMetrics | null {
  if (!registry) return null;
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    recipients: get('mail_lmtp_proxy_recipients_total', () => new Counter({ name: 'mail_lmtp_proxy_recipients_total', help: 'LMTP proxy replies per recipient after the data, by result', labelNames: ['result'] as const, registers: [registry] })),
    backendTransactions: get('mail_lmtp_proxy_backend_transactions_total', () => new Counter({ name: 'mail_lmtp_proxy_backend_transactions_total', help: 'LMTP transactions with backends, by backend and worst recipient result', labelNames: ['backend', 'result'] as const, registers: [registry] })),
    breaker: get('mail_lmtp_proxy_backend_breaker', () => new Gauge({ name: 'mail_lmtp_proxy_backend_breaker', help: 'LMTP backend circuit breaker: 0 closed, 1 half-open, 2 open', labelNames: ['backend'] as const, registers: [registry] })),
    sessions: get('mail_lmtp_proxy_sessions', () => new Gauge({ name: 'mail_lmtp_proxy_sessions', help: 'Open LMTP proxy connections', registers: [registry] })),
    fanOutSeconds: get('mail_lmtp_proxy_fanout_seconds', () => new Histogram({ name: 'mail_lmtp_proxy_fanout_seconds', help: 'End of data to last reply, per message', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] })),
  };
}

export const breakerValue = (s: 'closed' | 'half-open' | 'open'): number => (s === 'closed' ? 0 : s === 'half-open' ? 1 : 2);
