/** prom-client metrics of the POP3 server; reused when a registry already holds them. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface Pop3Metrics {
  commands: Counter<'command' | 'result'>;
  duration: Histogram<'command'>;
  connections: Gauge<string>;
  logins: Counter<'result'>;
}

function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

export function createMetrics(reg: Registry): Pop3Metrics {
  return {
    commands: get(reg, 'pop3_commands_total', () => new Counter({
      name: 'pop3_commands_total', help: 'POP3 commands by name and result', labelNames: ['command', 'result'] as const, registers: [reg],
    })),
    duration: get(reg, 'pop3_command_duration_seconds', () => new Histogram({
      name: 'pop3_command_duration_seconds', help: 'POP3 command run time', labelNames: ['command'] as const,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [reg],
    })),
    connections: get(reg, 'pop3_connections', () => new Gauge({
      name: 'pop3_connections', help: 'Open POP3 connections', registers: [reg],
    })),
    logins: get(reg, 'pop3_logins_total', () => new Counter({
      name: 'pop3_logins_total', help: 'POP3 login attempts by result', labelNames: ['result'] as const, registers: [reg],
    })),
  };
}
