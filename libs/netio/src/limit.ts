/**
 * What a service says when its connection limit is reached, and the warning administrators know from
 * Dovecot's master: `service(imap-login): process_limit (400) reached, client connections are being dropped`,
 * logged at most once per interval per service so a connection flood does not flood the log too.
 */
import { LIMITS } from '../../core/src/limits.js';

export type LimitProtocol = 'imap' | 'pop3' | 'managesieve';

/**
 * The clean refusal on a plaintext connection. IMAP: untagged BYE with RFC 5530 UNAVAILABLE; POP3: RFC 3206
 * SYS/TEMP; ManageSieve: RFC 5804 §1.3 BYE with TRYLATER.
 */
export function limitRefusal(protocol: LimitProtocol): string {
  switch (protocol) {
    case 'imap': return '* BYE [UNAVAILABLE] Maximum number of connections reached, try again later.\r\n';
    case 'pop3': return '-ERR [SYS/TEMP] Maximum number of connections reached, try again later.\r\n';
    case 'managesieve': return 'BYE (TRYLATER) "Maximum number of connections reached, try again later."\r\n';
  }
}

export function limitReachedMessage(service: string, limitName: 'process_limit' | 'client_limit', limit: number): string {
  return `service(${service}): ${limitName} (${limit}) reached, client connections are being dropped`;
}

/** Rate-limited "limit reached" warning; counts the drops between two warnings. */
export class LimitWarning {
  private last = -Infinity;
  private dropped = 0;

  constructor(
    private readonly service: string,
    private readonly warn: (msg: string, dropped: number) => void,
    private readonly intervalMs: number = LIMITS.limitWarningIntervalMs,
    private readonly now: () => number = Date.now,
  ) {}

  /** A connection was dropped at `limit`; logs when the last warning is older than the interval. */
  hit(limitName: 'process_limit' | 'client_limit', limit: number): void {
    this.dropped++;
    const t = this.now();
    if (t - this.last < this.intervalMs) return;
    this.last = t;
    const n = this.dropped;
    this.dropped = 0;
    this.warn(limitReachedMessage(this.service, limitName, limit), n);
  }
}

/** Writes the refusal (plaintext only: on an implicit-TLS port there is no TLS yet to say it in) and closes. */
export function refuse(sock: import('node:net').Socket, protocol: LimitProtocol, implicitTls: boolean): void {
  sock.on('error', () => { /* the client may be gone already */ });
  if (implicitTls) { sock.destroy(); return; }
  sock.end(limitRefusal(protocol));
  setTimeout(() => sock.destroy(), 2_000).unref();
}
