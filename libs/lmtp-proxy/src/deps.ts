/** What the LMTP proxy is given: the directory, the backends, the delivered-members store, a logger, settings. */
import type { Registry } from 'prom-client';
import type { Directory } from '../../directory/src/types.js';
import type { BackendSet } from './backends.js';
import type { DeliveredStore } from './dedup.js';

export interface ProxyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LmtpProxyConfig {
  /** Our name in the greeting and LHLO reply, and the LHLO we send to backends. */
  hostname: string;
  /** SIZE (RFC 1870) we announce; should match the backends' lmtp.maxMessageSize. */
  maxMessageSize: number;
  maxRecipients: number;
  idleTimeoutMs: number;
  /** Where message bodies are spooled (once) for the backends to read. */
  spoolDir: string;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
}

export interface LmtpProxyDeps {
  directory: Directory;
  backends: BackendSet;
  delivered: DeliveredStore;
  logger: ProxyLogger;
  config: LmtpProxyConfig;
  metrics?: Registry;
}
