/** What the LMTP server is given: the delivery path, a logger and its settings. */
import type { Registry } from 'prom-client';
import type { Envelope, Outcome, DeliveryLogger } from '../../delivery/src/deliverer.js';
import type { ResolvedRecipient } from '../../delivery/src/resolve.js';
import type { MessageSource } from '../../delivery/src/source.js';

/** The part of libs/delivery's Deliverer the server uses (a stand-in in tests). */
export interface DeliveryPath {
  resolve(address: string): Promise<ResolvedRecipient | null>;
  deliver(env: Envelope, recipients: readonly ResolvedRecipient[], src: MessageSource): Promise<Outcome[]>;
}

export interface LmtpServerConfig {
  /** Our name in the greeting and LHLO reply. */
  hostname: string;
  /** SIZE (RFC 1870) and the largest message accepted. */
  maxMessageSize: number;
  maxRecipients: number;
  idleTimeoutMs: number;
  /** Directory for spool files of messages too big for memory. */
  spoolDir: string;
}

export interface LmtpServerDeps {
  delivery: DeliveryPath;
  logger: DeliveryLogger;
  config: LmtpServerConfig;
  /** Where the server registers its metrics (mail_lmtp_*); none without. */
  metrics?: Registry;
}

