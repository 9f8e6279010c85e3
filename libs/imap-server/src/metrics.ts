/** prom-client metrics of the IMAP server; reused when a registry already holds them. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ServerMetrics {
  commands: Counter<'command' | 'result'>;
  duration: Histogram<'command'>;
  connections: Gauge<string>;
  logins: Counter<'result'>;
}

function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

export function createMetrics(reg: Registry): ServerMetrics {
  return {
    commands: get(reg, 'imap_commands_total', () => new Counter({
      name: 'imap_commands_total', help: 'IMAP commands by name and result', labelNames: ['command', 'result'] as const, registers: [reg],
    })),
    duration: get(reg, 'imap_command_duration_seconds', () => new Histogram({
      name: 'imap_command_duration_seconds', help: 'IMAP command run time', labelNames: ['command'] as const,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [reg],
    })),
    connections: get(reg, 'imap_connections', () => new Gauge({
      name: 'imap_connections', help: 'Open IMAP connections', registers: [reg],
    })),
    logins: get(reg, 'imap_logins_total', () => new Counter({
      name: 'imap_logins_total', help: 'IMAP login attempts by result', labelNames: ['result'] as const, registers: [reg],
    })),
  };
}
