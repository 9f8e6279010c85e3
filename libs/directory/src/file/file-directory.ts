/**
 * Directory over a users file (embedded default). The file is re-read when its mtime/size/inode
 * changes (checked at most every `checkIntervalMs` on use) and on reload() (SIGHUP). A file that
 * no longer parses is refused with a log line and the previous users stay in force.
 */
import { readFile, stat } from 'node:fs/promises';
import { MailError } from '../../../core/src/errors.js';
import type { Directory, Recipient, SharedFolderRecord, UserRecord } from '../types.js';
import { DUMMY_PASSWORD, verifyPasswordAsync } from './password.js';
import { parseUsersFile, type UsersTable } from './users-file.js';

/** The part of a pino logger we use; anything with these methods will do. */
export interface DirectoryLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FileDirectoryOptions {
  path: string;
  logger?: DirectoryLogger;
  /** How often (at most) a lookup stats the file for changes. Default 1000 ms. */
  checkIntervalMs?: number;
  /** Called after a new version of the file took effect (an auth cache in front of us flushes). */
  onReload?: () => void;
}

export class UsersFileError extends Error {
  constructor(readonly path: string, readonly errors: string[]) {
    super(`${path}: ${errors.join('; ')}`);
    this.name = 'UsersFileError';
  }
}

type FileId = { mtimeMs: number; size: number; ino: number };

export class FileDirectory implements Directory {
  private table!: UsersTable;
  private fileId: FileId | null = null;
  private lastCheck = 0;
  private pending: Promise<void> | null = null;
  private closed = false;

  private constructor(private readonly opts: FileDirectoryOptions) {}

  /** Loads the file; throws UsersFileError listing every problem when it cannot be used. */
  static async open(opts: FileDirectoryOptions): Promise<FileDirectory> {
    const d = new FileDirectory(opts);
    const r = await d.read();
    if ('errors' in r) throw new UsersFileError(opts.path, r.errors);
    d.table = r.table; d.fileId = r.id; d.lastCheck = Date.now();
    return d;
  }

  get path(): string { return this.opts.path; }

  /** Number of users now in force (for logs). */
  size(): number { return this.table.users.size; }

  private async read(): Promise<{ table: UsersTable; id: FileId } | { errors: string[] }> {
    try {
      const st = await stat(this.opts.path);
      const text = await readFile(this.opts.path, 'utf8');
      const r = parseUsersFile(text);
      if (!r.table) return { errors: r.errors };
      return { table: r.table, id: { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino } };
    } catch (e) {
      return { errors: [`cannot read users file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`] };
    }
  }

  /** Re-reads the file now (SIGHUP). Returns the errors when the new file was refused. */
  async reload(): Promise<{ ok: boolean; errors: string[] }> {
    const r = await this.read();
    if ('errors' in r) {
      this.opts.logger?.error({ path: this.opts.path, errors: r.errors }, 'users file refused; keeping the previous users');
      return { ok: false, errors: r.errors };
    }
    this.table = r.table; this.fileId = r.id; this.lastCheck = Date.now();
    this.opts.logger?.info({ path: this.opts.path, users: r.table.users.size }, 'users file loaded');
    this.opts.onReload?.();
    return { ok: true, errors: [] };
  }

  /** Reloads when the file changed since it was read; cheap (one stat per interval). */
  private async fresh(): Promise<void> {
    if (this.closed) throw new MailError('TEMP', 'Directory closed');
    const now = Date.now();
    if (now - this.lastCheck < (this.opts.checkIntervalMs ?? 1000)) return;
    if (this.pending) return this.pending;
    this.pending = (async () => {
      try {
        const st = await stat(this.opts.path).catch(() => null);
        this.lastCheck = Date.now();
        const id = this.fileId;
        if (st && id && st.mtimeMs === id.mtimeMs && st.size === id.size && st.ino === id.ino) return;
        if (!st) return; // file gone (being replaced?): keep what we have
        const r = await this.reload();
        // A refused file is not retried until it changes again.
        if (!r.ok) this.fileId = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  async authenticate(login: string, password: string): Promise<UserRecord | null> {
    await this.fresh();
    const entry = this.table.users.get(login.toLowerCase());
    // Unknown user, user without password: verify against a dummy so the work (and time) is the same.
    const ok = await verifyPasswordAsync(password, entry?.password ?? DUMMY_PASSWORD);
    if (!entry || !entry.password || !ok || entry.record.disabled) return null;
    return entry.record;
  }

  async lookup(address: string): Promise<UserRecord | null> {
    await this.fresh();
    const primary = this.table.addresses.get(address.toLowerCase());
    return primary === undefined ? null : this.table.users.get(primary)?.record ?? null;
  }

  async resolve(address: string): Promise<Recipient | null> {
    await this.fresh();
    const a = address.toLowerCase();
    const primary = this.table.addresses.get(a);
    const user = primary === undefined ? undefined : this.table.users.get(primary)?.record;
    if (user) return { kind: 'user', user };
    const group = this.table.groups.get(a);
    if (group) return { kind: 'group', group };
    const name = this.table.sharedAddresses.get(a);
    const folder = name === undefined ? undefined : this.table.sharedFolders.get(name);
    if (folder) return { kind: 'shared', folder };
    return null;
  }

  async sharedFolders(): Promise<SharedFolderRecord[]> {
    await this.fresh();
    return [...this.table.sharedFolders.values()];
  }

  async domains(): Promise<string[]> {
    await this.fresh();
    return [...this.table.domains];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
