/**
 * prom-client metrics every mail protocol server keeps (IMAP, POP3): commands by name and result,
 * command run time, open connections, login attempts. Names are `<protocol>_...`; reused when a
 * registry already holds them (several servers of one protocol in a process share them).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ProtocolMetrics {
  commands: Counter<'command' | 'result'>;
  duration: Histogram<'command'>;
  connections: Gauge<string>;
  logins: Counter<'result'>;
}

function get<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

/** `protocol` is the metric prefix (`imap`); help texts name it in upper case (`IMAP`). */
export function protocolMetrics(reg: Registry, protocol: 'imap' | 'pop3'): ProtocolMetrics {
  const P = protocol.toUpperCase();
  return {
    commands: get(reg, `${protocol}_commands_total`, () => new Counter({
      name: `${protocol}_commands_total`, help: `${P} commands by name and result`, labelNames: ['command', 'result'] as const, registers: [reg],
    })),
    duration: get(reg, `${protocol}_command_duration_seconds`, () => new Histogram({
      name: `${protocol}_command_duration_seconds`, help: `${P} command run time`, labelNames: ['command'] as const,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [reg],
    })),
    connections: get(reg, `${protocol}_connections`, () => new Gauge({
      name: `${protocol}_connections`, help: `Open ${P} connections`, registers: [reg],
    })),
    logins: get(reg, `${protocol}_logins_total`, () => new Counter({
      name: `${protocol}_logins_total`, help: `${P} login attempts by result`, labelNames: ['result'] as const, registers: [reg],
    })),
  };
}
