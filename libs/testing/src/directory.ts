/**
 * In-memory Directories for tests (not a test): TestDirectory (alice and bob, as the IMAP and POP3
 * harnesses log in) and MemoryDirectory (users, passwords, quotas and aliases a test gives).
 */
import { MailError } from '../../core/src/errors.js';
import type { Directory, Recipient, SharedFolderRecord, UserRecord } from '../../directory/src/types.js';

/** A user as the directory returns it: no home server, forwards or shared folders. */
export function userRecord(user: string, quotaBytes: number | null = null, aliases: string[] = [], disabled = false): UserRecord {
  return { user, aliases, homeServer: null, quotaBytes, forwards: [], forwardCopyToSelf: false, disabled };
}

/** What a test directory answers the same way: a recipient is the user lookup() finds; one domain, no shared folders. */
abstract class StubDirectory implements Directory {
  abstract authenticate(login: string, password: string): Promise<UserRecord | null>;
  abstract lookup(address: string): Promise<UserRecord | null>;
  async resolve(address: string): Promise<Recipient | null> {
    const user = await this.lookup(address);
    return user ? { kind: 'user', user } : null;
  }
  async sharedFolders(): Promise<SharedFolderRecord[]> { return []; }
  async domains(): Promise<string[]> { return ['example.org']; }
  async close(): Promise<void> {}
}

export const USERS: Record<string, string> = { 'alice@example.org': 'alicepw', 'bob@example.org': 'bobpw' };

/** alice and bob (USERS); `fail` makes a login throw TEMP (directory down), `quota` sets a user's quota at login. */
export class TestDirectory extends StubDirectory {
  quota: Record<string, number | null> = {};
  fail = false;
  async authenticate(login: string, password: string): Promise<UserRecord | null> {
    if (this.fail) throw new MailError('TEMP', 'directory down');
    const u = login.toLowerCase();
    return USERS[u] !== undefined && USERS[u] === password ? userRecord(u, this.quota[u] ?? null) : null;
  }
  async lookup(address: string): Promise<UserRecord | null> {
    const u = address.toLowerCase();
    return USERS[u] !== undefined ? userRecord(u) : null;
  }
}

export interface MemoryUser { password: string; quotaBytes?: number | null; aliases?: string[]; disabled?: boolean }

/** The users a test gives, looked up by primary address or alias. */
export class MemoryDirectory extends StubDirectory {
  constructor(readonly users: Record<string, MemoryUser>) { super(); }

  record(user: string): UserRecord {
    const u = this.users[user]!;
    return userRecord(user, u.quotaBytes ?? null, u.aliases ?? [], !!u.disabled);
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
}
