/** One backend pool per protocol from proxy.backends / pop3Backends / sieveBackends, with breaker metrics and logs. */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { BackendPool, breakerValue, proxyMetrics } from '../../libs/login-proxy/src/index.js';

export function createPool(c: MailConfig, protocol: 'imap' | 'pop3' | 'sieve', backends: Record<string, string>, logger: Logger, registry: Registry): BackendPool {
  const m = proxyMetrics(registry);
  const pool = new BackendPool({
    backends, failureThreshold: c.proxy.breakerFailures, coolDownMs: c.proxy.breakerCoolDown, connectTimeoutMs: c.proxy.connectTimeout,
    sourceAddresses: c.proxy.sourceAddresses,
    onBreaker: (backend, state) => {
      m.breaker.set({ protocol, backend }, breakerValue(state));
      logger[state === 'open' ? 'warn' : 'info']({ protocol, backend, state }, `backend circuit breaker ${state}`);
    },
    onFailure: (backend, err) => logger.warn({ protocol, backend, err: err.message }, 'backend connect failed'),
  });
  for (const name of pool.backends.keys()) m.breaker.set({ protocol, backend: name }, 0);
  return pool;
}
