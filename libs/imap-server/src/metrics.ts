/** prom-client metrics of the IMAP server (the shared protocol set, `imap_*`). */
import type { Registry } from 'prom-client';
import { protocolMetrics, type ProtocolMetrics } from '../../telemetry/src/protocol-metrics.js';

export type ServerMetrics = ProtocolMetrics;

export function createMetrics(reg: Registry): ServerMetrics {
  return protocolMetrics(reg, 'imap');
}
