/**
 * LMTP wiring: the delivery path (Sieve, relay) over the node's store and directory, listening on
 * the configured UNIX socket and/or TCP port. Postfix: virtual_transport = lmtp:unix:<socket>.
 */
import { join } from 'node:path';
import { splitHostPort, type MailConfig } from '../../libs/config/src/schema.js';
import type { Directory } from '../../libs/directory/src/types.js';
import type { MailStore } from '../../libs/mailstore/src/types.js';
import { Deliverer, type DeliveryLogger } from '../../libs/delivery/src/deliverer.js';
import { mailHome } from '../../libs/delivery/src/home.js';
import { smtpRelay, type Relay } from '../../libs/delivery/src/relay.js';
import { UCS_SPAM_SCRIPT } from '../../libs/delivery/src/sieve-scripts.js';
import { LmtpServer } from '../../libs/lmtp-server/src/server.js';
import type { LmtpServerConfig } from '../../libs/lmtp-server/src/deps.js';
import { LIMITS } from '../../libs/core/src/limits.js';
import type { Registry } from 'prom-client';

export interface RunningLmtp {
  /** What was bound, for the banner ("listening lmtp …"). */
  listeners: Array<{ name: 'lmtp'; host: string; port: number } | { name: 'lmtp-socket'; path: string }>;
  close(): Promise<void>;
  /** SIGHUP: new limits, relay, sieve.before and sieve.globalDir (listeners are restart-only). */
  updateConfig(c: MailConfig): void;
}

/** A relay replaced on reload is closed this long after, so sends in progress on it finish. */
const RETIRED_RELAY_GRACE_MS = 120_000;

/** The delivery path of this node (LMTP and the deliver command share it); close() ends the relay's pooled connections. */
export function createDeliverer(c: MailConfig, store: MailStore, directory: Directory, logger: DeliveryLogger): { delivery: Deliverer; close(): void; update(next: MailConfig): void } {
  let relay = smtpRelay({ ...splitHostPort(c.submission.relay), name: c.node.hostname });
  let relayAddress = c.submission.relay;
  const retired = new Set<Relay>();
  const delivery = new Deliverer({
    store, directory, relay, logger, hostname: c.node.hostname,
    mailHome: (u) => mailHome(c.storage.mailRoot, u.user),
    sieveBefore: sieveBefore(c), sieveGlobalDir: c.sieve.globalDir,
    autoMailboxes: c.mailboxes.auto,
  });
  return {
    delivery,
    close: () => { relay.close(); for (const r of retired) r.close(); retired.clear(); },
    update(next) {
      const settings: Parameters<Deliverer['updateSettings']>[0] = {
        sieveBefore: sieveBefore(next), sieveGlobalDir: next.sieve.globalDir, autoMailboxes: next.mailboxes.auto,
      };
      if (next.submission.relay !== relayAddress) {
        const old = relay;
        relay = smtpRelay({ ...splitHostPort(next.submission.relay), name: c.node.hostname });
        relayAddress = next.submission.relay;
        settings.relay = relay;
        retired.add(old);
        setTimeout(() => { old.close(); retired.delete(old); }, RETIRED_RELAY_GRACE_MS).unref();
      }
      delivery.updateSettings(settings);
    },
  };
}

const sieveBefore = (c: MailConfig): string => (c.sieve.before === null ? UCS_SPAM_SCRIPT : c.sieve.before);

/** The LMTP server's settings from the configuration. */
export function lmtpServerConfig(c: MailConfig): LmtpServerConfig {
  return {
    hostname: c.node.hostname, maxMessageSize: c.lmtp.maxMessageSize, maxRecipients: c.lmtp.maxRecipients,
    idleTimeoutMs: LIMITS.lmtpIdleTimeoutMs, spoolDir: join(c.node.dataDir, 'spool'),
  };
}

export async function startLmtp(c: MailConfig, store: MailStore, directory: Directory, logger: DeliveryLogger, metrics?: Registry): Promise<RunningLmtp> {
  const { delivery, close: closeRelay, update } = createDeliverer(c, store, directory, logger);
  const server = new LmtpServer({ delivery, logger, ...(metrics ? { metrics } : {}), config: lmtpServerConfig(c) });
  const listeners: RunningLmtp['listeners'] = [];
  // sun_path holds 108 bytes: a default socket under a deep data dir cannot exist; say so, do not stop the node.
  if (c.lmtp.socket && Buffer.byteLength(c.lmtp.socket) > 107) logger.error({ path: c.lmtp.socket }, 'lmtp: socket path too long (max 107 bytes); no LMTP socket');
  else if (c.lmtp.socket) { await server.listenUnix(c.lmtp.socket); listeners.push({ name: 'lmtp-socket', path: c.lmtp.socket }); }
  if (c.lmtp.port !== null) listeners.push({ name: 'lmtp', host: c.lmtp.host, port: await server.listen({ host: c.lmtp.host, port: c.lmtp.port }) });
  return {
    listeners,
    close: async () => { await server.close(); closeRelay(); },
    updateConfig(next) {
      const { maxMessageSize, maxRecipients, idleTimeoutMs } = lmtpServerConfig(next);
      server.updateConfig({ maxMessageSize, maxRecipients, idleTimeoutMs });
      update(next);
    },
  };
}
