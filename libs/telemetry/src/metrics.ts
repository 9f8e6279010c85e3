/**
 * The process metrics registry (prom-client): Node's default metrics plus what the platform adds.
 * Each server registers its own metrics on the Registry it is given (ImapServerDeps.metrics).
 */
import { Registry, collectDefaultMetrics, Counter, Gauge } from 'prom-client';

export interface PlatformMetrics {
  registry: Registry;
  /** 1 while a listener is up, labelled by protocol ("imap", "imaps", "http"). */
  listenerUp: Gauge<'listener'>;
  /** Unix time of the last successful configuration (re)load; failed reloads count in configReloads. */
  configLoaded: Gauge;
  configReloads: Counter<'result'>;
}

export function createMetrics(opts: { prefix?: string; defaultLabels?: Record<string, string> } = {}): PlatformMetrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  collectDefaultMetrics({ register: registry, prefix: opts.prefix ?? '' });
  const listenerUp = new Gauge({ name: 'mail_listener_up', help: 'Listener is accepting connections', labelNames: ['listener'] as const, registers: [registry] });
  const configLoaded = new Gauge({ name: 'mail_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful configuration load', registers: [registry] });
  const configReloads = new Counter({ name: 'mail_config_reloads_total', help: 'Configuration reloads (SIGHUP) since start, by result (applied, refused)', labelNames: ['result'] as const, registers: [registry] });
  return { registry, listenerUp, configLoaded, configReloads };
}
