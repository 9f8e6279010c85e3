/**
 * Per-backend circuit breaker. Only connect failures and connect/login timeouts count (reported by the
 * proxy for its own connection attempts), never a client's bad commands, so one misbehaving client cannot
 * trip it. `failureThreshold` consecutive failures open it; after `coolDownMs` one probe is let through
 * (half-open); its success closes the breaker, its failure opens it for another cool-down.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  now?: () => number;
  onChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private st: BreakerState = 'closed';
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) { this.now = opts.now ?? Date.now; }

  get state(): BreakerState {
    if (this.st === 'open' && this.now() - this.openedAt >= this.opts.coolDownMs) this.set('half-open');
    return this.st;
  }

  /** May a connection attempt be made now? In half-open, only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.st !== 'closed') this.set('closed');
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.st === 'half-open' || (this.st === 'closed' && this.failures >= this.opts.failureThreshold)) {
      this.openedAt = this.now();
      this.set('open');
    }
  }

  private set(s: BreakerState): void {
    this.st = s;
    this.opts.onChange?.(s);
  }
}
