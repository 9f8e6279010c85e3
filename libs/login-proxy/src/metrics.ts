/** Proxy metrics on the process registry: logins, live relays, backend failures and breaker states. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerState } from '../../routing/src/index.js';

export interface ProxyMetrics {
  logins: Counter<'protocol' | 'result'>;
  sessions: Gauge<'protocol'>;
  backendFailures: Counter<'protocol' | 'backend'>;
  breaker: Gauge<'protocol' | 'backend'>;
}

const cache = new WeakMap<Registry, ProxyMetrics>();

export function proxyMetrics(reg: Registry): ProxyMetrics {
  const have = cache.get(reg);
  if (have) return have;
  const m: ProxyMetrics = {
    logins: new Counter({ name: 'mail_proxy_logins_total', help: 'Proxy logins by protocol and result (ok, fail, temp, limit, unavailable)', labelNames: ['protocol', 'result'] as const, registers: [reg] }),
    sessions: new Gauge({ name: 'mail_proxy_sessions', help: 'Relayed sessions open now', labelNames: ['protocol'] as const, registers: [reg] }),
    backendFailures: new Counter({ name: 'mail_proxy_backend_failures_total', help: 'Backend connect failures and timeouts', labelNames: ['protocol', 'backend'] as const, registers: [reg] }),
    breaker: new Gauge({ name: 'mail_proxy_backend_breaker_state', help: 'Circuit breaker per backend: 0 closed, 1 half-open, 2 open', labelNames: ['protocol', 'backend'] as const, registers: [reg] }),
  };
  cache.set(reg, m);
  return m;
}

export const breakerValue = (s: BreakerState): number => (s === 'closed' ? 0 : s === 'half-open' ? 1 : 2);
