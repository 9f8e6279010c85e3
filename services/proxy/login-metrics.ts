/** Gauges of the login services: processes and connections per service (read at scrape time). */
import { Gauge, type Registry } from 'prom-client';
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
