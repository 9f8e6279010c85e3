/**
 * A small in-memory Directory for tests of the quota, quota-status and ManageSieve libs (not a
 * test itself): users with passwords and quotas, looked up by primary address or alias.
 */
import type { Directory, Recipient, SharedFolderRecord, UserRecord } from '../../directory/src/types.js';

export interface MemoryUser { password: string; quotaBytes?: number | null; aliases?: string[]; disabled?: boolean }

export class MemoryDirectory implements Directory {
  constructor(readonly users: Record<string, MemoryUser>) {}

  record(user: string): UserRecord {
    const u = this.users[user]!;
    return {
      user, aliases: u.aliases ?? [], homeServer: null, quotaBytes: u.quotaBytes ?? null,
      forwards: [], forwardCopyToSelf: false, disabled: !!u.disabled,
    };
  }

  private find(address: string): string | null {
    const a = address.trim().toLowerCase();
    for (const [name, u] of Object.entries(this.users)) if (name === a || (u.aliases ?? []).includes(a)) return name;
    return null;
  }

  async authenticate(login: string, password: string): Promise<UserRecord | null> {
    const n = this.find(login);
    return n && this.users[n]!.password === password ? this.record(n) : null;
  }
  async lookup(address: string): Promise<UserRecord | null> {
    const n = this.find(address);
    return n ? this.record(n) : null;
  }
  async resolve(address: string): Promise<Recipient | null> {
    const u = await this.lookup(address);
    return u ? { kind: 'user', user: u } : null;
  }
  async sharedFolders(): Promise<SharedFolderRecord[]> { return []; }
  async domains(): Promise<string[]> { return ['example.org']; }
  async close(): Promise<void> {}
}
