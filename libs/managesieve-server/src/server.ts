/** ManageSieveServer: the listener on port 4190 (RFC 5804 §1.8), connection tracking and graceful close. */
import net from 'node:net';
import type { SecureContext } from 'node:tls';
import type { ManageSieveConfig, ManageSieveDeps } from './deps.js';
import { Session } from './session.js';
import { SessionSlots } from '../../registry/src/slots.js';

export class ManageSieveServer {
  private servers: net.Server[] = [];
  private sessions = new Set<Session>();
  /** Logged-in sessions in the registry (who / kick), when the wiring gives one. */
  private readonly slots: SessionSlots<Session> | null;

  constructor(private deps: ManageSieveDeps) {
    this.slots = deps.registry ? new SessionSlots<Session>(deps.registry, (err) => deps.logger.warn({ err }, 'session registry unavailable')) : null;
  }

  /** Listens; returns the bound port (0 = ephemeral). */
  listen(opts: { host: string; port: number }): Promise<number> {
    const srv = net.createServer({ noDelay: true }, (sock) => {
      const s = new Session(sock, this.deps, false, this.slots);
      this.sessions.add(s);
      void s.done.finally(() => this.sessions.delete(s));
    });
    this.servers.push(srv);
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port, opts.host, () => {
        srv.off('error', reject);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  /** SIGHUP reload: new sessions use the new config and TLS; open ones keep theirs. */
  updateConfig(config: ManageSieveConfig, tls: SecureContext | null): void {
    this.deps = { ...this.deps, config, tls };
  }

  connections(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    const closes = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sessions) s.shutdown();
    await Promise.all([...closes, ...[...this.sessions].map((s) => s.done)]);
    this.servers = [];
  }
}
