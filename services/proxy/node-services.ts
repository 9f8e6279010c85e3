/**
 * The proxy node's side services in its main process (issue 6): quota-status for Postfix
 * (quota-status.ts), the Dovecot-compatible auth service for Postfix (smtpd_sasl_type = dovecot,
 * services/mail/sasl.ts, configured by the `sasl` section as on the mail nodes) and the admin API
 * (admin.ts). They share the main process's directory handle and its auth cache (main.ts owns both)
 * and a session registry handle for who/kick. Each starts only when configured (quotaStatus.port with
 * proxy.quotaStatusBackends; sasl.socket/sasl.port; admin.port). reload() takes what they can change
 * at run time (quota-status backends and answers, the auth policy, the admin's view of the backends).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { NodeDirectory } from '../mail/directory.js';
import { saslServiceAuthenticator, startSaslService } from '../mail/sasl.js';
import { openRegistry } from './registry.js';
import { startQuotaStatusProxy } from './quota-status.js';
import { startProxyAdmin, type ProxyAdminNode } from './admin.js';
import { loadProxyConfig, proxyConfigErrors } from './proxy-config.js';

export interface ProxyNodeServices {
  bound: Array<{ name: string; port: number }>;
  /** Unix socket of the auth service (null = none). */
  saslSocket: string | null;
  /** New settings for requests from now on; what needs a restart is returned (and kept). */
  reload(next: MailConfig): string[];
  close(): Promise<void>;
}

/** Whether any side service is configured (main.ts opens the directory only then). */
export function wantsNodeServices(c: MailConfig): boolean {
  return (c.quotaStatus.port !== null && Object.keys(c.proxy.quotaStatusBackends).length > 0)
    || c.sasl.socket !== null || c.sasl.port !== null || c.admin.port !== null;
}

export async function startProxyNodeServices(c: MailConfig, configPath: string | null, dirs: NodeDirectory, logger: Logger, metrics: Registry,
  collectLoginMetrics: () => Promise<object[][]>): Promise<ProxyNodeServices | null> {
  if (!wantsNodeServices(c)) return null;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => { for (const f of closers.splice(0).reverse()) await f().catch(() => undefined); };
  const bound: Array<{ name: string; port: number }> = [];
  let running = c;
  try {
    const quota = c.quotaStatus.port !== null && Object.keys(c.proxy.quotaStatusBackends).length > 0;
    const qs = quota ? await startQuotaStatusProxy(c, dirs.directory, logger, metrics) : null;
    if (qs) { closers.push(() => qs.close()); bound.push({ name: 'quota-status', port: qs.port }); }
    // The auth service for the Postfix on (or next to) this proxy: same section, same defaults as on a mail
    // node (the socket defaults to <dataDir>/auth-client.sock, which a proxy node may not have created yet).
    if (c.sasl.socket !== null) await mkdir(dirname(c.sasl.socket), { recursive: true });
    const sasl = await startSaslService(c, dirs.directory, logger, metrics);
    closers.push(() => sasl.close());
    if (sasl.listener) bound.push({ name: 'sasl', port: sasl.listener.port });
    let adminNode: Omit<ProxyAdminNode, 'reloadAll'> | null = null;
    if (c.admin.port !== null) {
      const registry = await openRegistry(c, logger, `${c.node.hostname}/admin/${process.pid}`);
      closers.push(() => registry.close());
      // This node's reload is main.ts's SIGHUP handler; a configuration with errors is refused (and logged there).
      const reloadLocal = async (): Promise<boolean> => {
        const next = loadProxyConfig(configPath);
        process.kill(process.pid, 'SIGHUP');
        return next.config !== null && next.errors.length === 0 && proxyConfigErrors(next.config).length === 0;
      };
      adminNode = { config: c, dirs, registry, logger, metrics, collectLoginMetrics };
      // admin.port defaults to 9091 as on the mail nodes; a proxy sharing a host with one must move it. A port in
      // use costs mailctl access to this node, not the node's mail service: logged, and the proxy runs on.
      const admin = await startProxyAdmin(adminNode, reloadLocal).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EADDRINUSE') throw e;
        logger.error({ host: c.admin.host, port: c.admin.port }, `admin API: cannot listen on ${c.admin.host}:${c.admin.port} (address in use): set admin.port (null = none); mailctl cannot reach this proxy`);
        return null;
      });
      if (admin) { closers.push(() => admin.close()); bound.push({ name: 'admin', port: admin.port }); }
    }
    const reload = (next: MailConfig): string[] => {
      const restart: string[] = [];
      const was = running;
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (!same([was.quotaStatus.host, was.quotaStatus.port], [next.quotaStatus.host, next.quotaStatus.port])) restart.push('quotaStatus.host/port');
      const nextQuota = next.quotaStatus.port !== null && Object.keys(next.proxy.quotaStatusBackends).length > 0;
      if (qs && nextQuota) {
        qs.proxy.update(next.proxy.quotaStatusBackends, { success: next.quotaStatus.success, nouser: next.quotaStatus.nouser, overquota: next.quotaStatus.overquota, fail: next.quotaStatus.fail });
      } else if (!!qs !== nextQuota) restart.push('proxy.quotaStatusBackends (quota-status on/off)');
      if (!same([was.sasl.host, was.sasl.port, was.sasl.socket, was.sasl.socketMode], [next.sasl.host, next.sasl.port, next.sasl.socket, next.sasl.socketMode])) restart.push('sasl.host/port/socket/socketMode');
      if (sasl.server) {
        // A bad master hash is a config error (refused before we get here); guard anyway: keep the running policy.
        try { sasl.server.setAuthenticator(saslServiceAuthenticator(next, dirs.directory)); } catch (e) { logger.error({ err: e }, 'reload: auth service policy refused; keeping the running one'); }
      }
      if (!same([was.admin.host, was.admin.port], [next.admin.host, next.admin.port])) restart.push('admin.host/port');
      if (adminNode) adminNode.config = next;
      running = next;
      return restart;
    };
    return { bound, saslSocket: sasl.socket, reload, close };
  } catch (e) {
    await close();
    throw e;
  }
}
