/**
 * pop3_lock_session: at most one POP3 session per mailbox in TRANSACTION state (RFC 2449 §8.1.1
 * [IN-USE]). Kept per server process: the embedded node serves a mailbox from one process; a
 * cluster routes a user to its home backend, so one process still sees every session of a mailbox.
 */
export class SessionLocks {
  private held = new Map<string, object>();

  /** True when `owner` now holds `key`. */
  acquire(key: string, owner: object): boolean {
    const cur = this.held.get(key);
    if (cur && cur !== owner) return false;
    this.held.set(key, owner);
    return true;
  }

  release(key: string, owner: object): void {
    if (this.held.get(key) === owner) this.held.delete(key);
  }

  get size(): number { return this.held.size; }
}
