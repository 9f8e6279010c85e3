/**
 * The proxy's login services (imap-login, pop3-login, managesieve-login): for each, the parent's
 * listeners (paused sockets, never read here) and the pool of login processes they feed. Limits and
 * the login mode come from the proxy section; reload() hands the pools the new configuration.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { LoginProcessPool, checkLoginLimits, machineFacts, type LoginLimits, type ServiceLimits } from '../../libs/login-process/src/index.js';
import type { LoginService } from './login-proxy.js';

interface ServiceDef { service: LoginService; name: string; ports: Array<{ name: string; port: number | null; implicitTls: boolean }>; limits: ServiceLimits }

function services(c: MailConfig): ServiceDef[] {
  const p = c.proxy;
  const out: ServiceDef[] = [];
  if (p.imapPort !== null || p.imapTlsPort !== null) {
    out.push({ service: 'imap', name: 'imap-login', ports: [{ name: 'imap', port: p.imapPort, implicitTls: false }, { name: 'imaps', port: p.imapTlsPort, implicitTls: true }],
      limits: { service: 'imap-login', processLimit: p.imapProcessLimit, clientLimit: p.imapClientLimit } });
  }
  if (p.pop3Port !== null || p.pop3TlsPort !== null) {
    out.push({ service: 'pop3', name: 'pop3-login', ports: [{ name: 'pop3', port: p.pop3Port, implicitTls: false }, { name: 'pop3s', port: p.pop3TlsPort, implicitTls: true }],
      limits: { service: 'pop3-login', processLimit: p.pop3ProcessLimit, clientLimit: p.pop3ClientLimit } });
  }
  if (p.sievePort !== null) {
    out.push({ service: 'managesieve', name: 'managesieve-login', ports: [{ name: 'managesieve', port: p.sievePort, implicitTls: false }],
      limits: { service: 'managesieve-login', processLimit: p.sieveProcessLimit, clientLimit: p.sieveClientLimit } });
  }
  return out;
}

/** Dovecot-style warnings about limits that cannot hold together (start and reload). */
export function limitWarnings(c: MailConfig): string[] {
  const w = checkLoginLimits(c.proxy.loginMode, c.proxy.processMinAvail, services(c).map((s) => s.limits), machineFacts());
  if (c.redis.url === null && c.proxy.loginMode === 'high-security' && (c.imap.maxUserIpConnections > 0 || c.pop3.maxUserIpConnections > 0)) {
    w.push('mail_max_userip_connections needs redis.url in high-security login mode: without it each login process counts only its own connection, so the limit does not hold');
  }
  return w;
}

const limitsOf = (c: MailConfig, s: ServiceDef): LoginLimits => ({
  mode: c.proxy.loginMode, processLimit: s.limits.processLimit, clientLimit: s.limits.clientLimit, processMinAvail: c.proxy.processMinAvail,
});

export class LoginServices {
  private readonly pools = new Map<LoginService, LoginProcessPool>();
  private readonly servers: net.Server[] = [];

  constructor(private readonly configPath: string | null, private readonly logger: Logger) {}

  private args(service: LoginService): string[] {
    return [...(this.configPath === null ? [] : ['--config', this.configPath]), '--service', service];
  }

  /** Starts the login processes (process_min_avail of each service), then listens; returns the bound ports. */
  async start(c: MailConfig): Promise<Array<{ name: string; port: number }>> {
    const bound: Array<{ name: string; port: number }> = [];
    const defs = services(c);
    for (const s of defs) {
      const pool = new LoginProcessPool({
        ...limitsOf(c, s), service: s.name, protocol: s.service, script: new URL('./login-worker.js', import.meta.url), args: this.args(s.service), logger: this.logger,
      });
      this.pools.set(s.service, pool);
    }
    await Promise.all([...this.pools.values()].map((p) => p.start()));
    for (const s of defs) {
      const pool = this.pools.get(s.service)!;
      for (const l of s.ports) {
        if (l.port === null) continue;
        // Paused: the parent never reads a byte; the login process gets the socket as it was accepted.
        const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => pool.dispatch(sock, l.implicitTls));
        srv.maxConnections = 1_000_000;
        this.servers.push(srv);
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(l.port!, c.proxy.host, () => { srv.off('error', reject); resolve(); });
        });
        bound.push({ name: l.name, port: (srv.address() as net.AddressInfo).port });
      }
    }
    return bound;
  }

  /** New mode and limits for new connections; established connections stay with their login processes. */
  reload(c: MailConfig): void {
    for (const s of services(c)) this.pools.get(s.service)?.reload({ ...limitsOf(c, s), args: this.args(s.service) });
  }

  stats(): Record<string, { processes: number; connections: number; pids: number[] }> {
    const out: Record<string, { processes: number; connections: number; pids: number[] }> = {};
    for (const [name, p] of this.pools) out[`${name}-login`] = { ...p.stats(), pids: p.pids() };
    return out;
  }

  /** Every login process's metrics (prom-client JSON), for the parent's /metrics. */
  async collectMetrics(): Promise<object[][]> {
    return (await Promise.all([...this.pools.values()].map((p) => p.collectMetrics()))).flat();
  }

  async close(): Promise<void> {
    // Stop accepting without waiting: a server counts the sockets it handed to login processes until they
    // close, and they close when the login processes end below.
    for (const s of this.servers.splice(0)) s.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
