/** prom-client metrics of the Dovecot-compatible auth service; reused when a registry already holds them. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AuthServiceMetrics {
  requests: Counter<'mech' | 'result'>;
  connections: Gauge<string>;
}

function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

export function createMetrics(reg: Registry): AuthServiceMetrics {
  return {
    requests: get(reg, 'sasl_auth_requests_total', () => new Counter({
      name: 'sasl_auth_requests_total', help: 'AUTH requests on the Dovecot-compatible auth service by mechanism and result (ok, fail, temp, refused)',
      labelNames: ['mech', 'result'] as const, registers: [reg],
    })),
    connections: get(reg, 'sasl_auth_connections', () => new Gauge({
      name: 'sasl_auth_connections', help: 'Open auth client connections (Postfix smtpd processes)', registers: [reg],
    })),
  };
}
