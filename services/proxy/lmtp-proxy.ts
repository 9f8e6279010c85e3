/**
 * Wiring of the LMTP proxy on a proxy node (issue 6, docs/lmtp-proxy.md): it runs in the main
 * process (LMTP comes from Postfix, not from users, so it needs no login-process isolation) with the
 * main process's directory handle; libs/lmtp-proxy/src/start.ts does the rest.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { startLmtpProxy } from '../../libs/lmtp-proxy/src/start.js';
import type { Directory } from '../../libs/directory/src/types.js';

export async function startLmtpProxyNode(c: MailConfig, directory: Directory, logger: Logger, registry: Registry): Promise<{ bound: Array<{ name: string; port: number }>; reload(c: MailConfig): void; close(): Promise<void> }> {
  const lmtp = await startLmtpProxy(c, directory, logger, registry);
  return { bound: lmtp.bound, reload: (next) => lmtp.reload(next), close: () => lmtp.close() };
}
