/** prom-client metrics of the POP3 server (the shared protocol set, `pop3_*`). */
import type { Registry } from 'prom-client';
import { protocolMetrics, type ProtocolMetrics } from '../../telemetry/src/protocol-metrics.js';

export type Pop3Metrics = ProtocolMetrics;

export function createMetrics(reg: Registry): Pop3Metrics {
  return protocolMetrics(reg, 'pop3');
}
