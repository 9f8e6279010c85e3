/**
 * The proxy's metrics: gauges of the login services (processes and connections per service) and, at
 * each scrape, the metrics of every login process (proxy logins, breaker states, sessions) aggregated
 * into the parent's /metrics: counters and gauges are summed over the processes (prom-client's
 * cluster aggregation). Counters of high-security processes that have exited are gone with them.
 */
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { LoginServices } from './login-services.js';

export function loginMetrics(registry: Registry, login: LoginServices): void {
  new Gauge({
    name: 'mail_login_processes', help: 'Login processes per login service', labelNames: ['service'], registers: [registry],
    collect() { for (const [service, s] of Object.entries(login.stats())) this.set({ service }, s.processes); },
  });
  new Gauge({
    name: 'mail_login_connections', help: 'Connections held by the login processes per login service', labelNames: ['service'], registers: [registry],
    collect() { for (const [service, s] of Object.entries(login.stats())) this.set({ service }, s.connections); },
  });
}

/** A registry whose text output is the parent's metrics plus the login processes' (for startHttp). */
export function aggregatedRegistry(own: Registry, login: LoginServices): Registry {
  const merged = Object.create(own) as Registry;
  merged.metrics = async () => {
    const parts = [await own.getMetricsAsJSON(), ...(await login.collectMetrics())];
    return AggregatorRegistry.aggregate(parts as object[]).metrics();
  };
  return merged;
}
