/**
 * A bounded pool of LDAP connections with failover over several URIs. A connection is made to
 * the URI that worked last, then the next ones in order; each new connection is bound once
 * (service account or anonymous, after StartTLS when configured) before use. An operation that
 * fails at the transport level (refused, reset, timeout) drops its connection and is retried once
 * on a fresh one, which may be on another URI. Unreachable everywhere -> MailError('TEMP').
 */
import type { ConnectionOptions } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { MailError } from '../../../core/src/errors.js';

export interface LdapPoolOptions {
  uris: string[];
  bindDn: string | null;
  bindPassword: string | null;
  startTls: boolean;
  tls?: ConnectionOptions;
  size: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Called for every LDAP request sent (bind, search): for metrics and the benchmark. */
  onOperation?: (op: 'bind' | 'search') => void;
}

/** An LDAP result (any result code) is an answer; anything else means the connection is unusable. */
export function isLdapResult(e: unknown): e is ResultCodeError {
  return e instanceof ResultCodeError;
}

/** Result codes that mean "server cannot serve now": busy(51), unavailable(52), unwillingToPerform(53), other(80), timeLimit(3). */
const TEMP_CODES = new Set([3, 51, 52, 53, 80]);

export class LdapPool {
  private readonly idle: Client[] = [];
  private readonly waiters: Array<(c: Client | null) => void> = [];
  private open = 0;
  private preferred = 0;
  private closed = false;

  constructor(private readonly opts: LdapPoolOptions) {
    if (opts.uris.length === 0) throw new Error('LDAP: no URIs configured');
  }

  /** Runs fn on a pooled connection. LDAP result errors pass through; transport errors become TEMP. */
  async use<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.acquire();
      try {
        const r = await fn(c);
        this.release(c);
        return r;
      } catch (e) {
        if (isLdapResult(e)) {
          this.release(c);
          if (TEMP_CODES.has(e.code)) throw new MailError('TEMP', `LDAP server busy or unavailable (${e.code})`, { cause: e });
          throw e;
        }
        this.discard(c);
        if (attempt >= 1 || this.closed) throw new MailError('TEMP', 'LDAP server unreachable', { cause: e });
      }
    }
  }

  private async acquire(): Promise<Client> {
    if (this.closed) throw new MailError('TEMP', 'LDAP directory closed');
    // A connection the server closed while idle would be re-opened by ldapts transparently, but
    // unbound and without StartTLS: never reuse it, open a properly set-up one instead.
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.isConnected) return c;
      this.open--;
      void c.unbind().catch(() => undefined);
    }
    if (this.open < this.opts.size) {
      this.open++;
      try {
        return await this.connect();
      } catch (e) {
        this.open--;
        this.wakeOne();
        throw e;
      }
    }
    // All connections busy: wait for one, bounded by the operation timeout.
    return new Promise<Client>((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new MailError('TEMP', 'LDAP connection pool exhausted'));
      }, this.opts.timeoutMs);
      const w = (got: Client | null) => {
        clearTimeout(t);
        if (got) { resolve(got); return; }
        if (this.closed) { reject(new MailError('TEMP', 'LDAP directory closed')); return; }
        // A slot was freed without a connection: open one.
        this.open++;
        this.connect().then(resolve, (e: unknown) => { this.open--; this.wakeOne(); reject(e); });
      };
      this.waiters.push(w);
    });
  }

  private release(c: Client): void {
    if (this.closed) { void c.unbind().catch(() => undefined); this.open--; return; }
    const w = this.waiters.shift();
    if (w) w(c); else this.idle.push(c);
  }

  private discard(c: Client): void {
    this.open--;
    void c.unbind().catch(() => undefined);
    this.wakeOne();
  }

  private wakeOne(): void {
    if (this.open < this.opts.size) this.waiters.shift()?.(null);
  }

  /** Connects to the preferred URI, then each other one in order. */
  private async connect(): Promise<Client> {
    const { uris } = this.opts;
    let last: unknown;
    for (let i = 0; i < uris.length; i++) {
      const idx = (this.preferred + i) % uris.length;
      const url = uris[idx]!;
      const ldaps = /^ldaps:/i.test(url);
      // ldapts speaks TLS from the first byte whenever tlsOptions are given, even for ldap://, and
      // startTLS() stores the socket in the options it gets: fresh copies, only where they belong.
      const c = new Client({
        url, timeout: this.opts.timeoutMs, connectTimeout: this.opts.connectTimeoutMs, tlsOptions: ldaps ? { ...this.opts.tls } : undefined,
      });
      try {
        if (this.opts.startTls && !ldaps) await c.startTLS({ ...this.opts.tls });
        this.opts.onOperation?.('bind');
        await c.bind(this.opts.bindDn ?? '', this.opts.bindPassword ?? '');
        this.preferred = idx;
        return c;
      } catch (e) {
        last = e;
        void c.unbind().catch(() => undefined);
        // A refused service bind is a configuration problem, but still "cannot serve": TEMP, not "wrong password".
        if (isLdapResult(e)) throw new MailError('TEMP', `LDAP service bind failed (${e.code})`, { cause: e });
      }
    }
    throw new MailError('TEMP', 'no LDAP server reachable', { cause: last });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    const all = this.idle.splice(0);
    this.open -= all.length;
    await Promise.all(all.map((c) => c.unbind().catch(() => undefined)));
  }
}
