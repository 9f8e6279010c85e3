/**
 * MaildirStore: the MailStore of this process. Holds one FolderState per folder directory, shared
 * by every session's handles (one in-memory index per folder, not per session); a state with no
 * handles is kept a short while (STATUS, re-SELECT) and then dropped after flushing its index.
 */
import { hostname } from 'node:os';
import { resolve, sep } from 'node:path';
import { MailError } from '../../core/src/errors.js';
import type { AccountRef, MailAccount, MailStore } from '../../mailstore/src/types.js';
import { MaildirAccount, type FolderRegistry } from './account.js';
import { FolderState } from './folder.js';
import { watchFolder } from './dir-watch.js';
import { wakeSleepers } from './sleepers.js';

const IDLE_KEEP_MS = 30_000;

export interface MaildirStoreOptions {
  /** Host name used in unique file names (default: os.hostname()). */
  hostname?: string;
  /** fsync files and directories before acknowledging (default true; tests may turn it off). */
  fsync?: boolean;
}

export class MaildirStore implements MailStore, FolderRegistry {
  readonly hostname: string;
  readonly fsync: boolean;
  private readonly states = new Map<string, FolderState>();
  private readonly idleTimers = new Map<FolderState, NodeJS.Timeout>();
  /** A passive inotify watch per kept state (dir-watch.ts), from its creation until it is dropped. */
  private readonly keepWatches = new Map<FolderState, () => void>();
  /** States being closed at once (release with `drop`): a re-open of their folder waits for their index write. */
  private readonly closing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(opts: MaildirStoreOptions = {}) {
    this.hostname = opts.hostname ?? hostname();
    this.fsync = opts.fsync ?? true;
  }

  async openAccount(ref: AccountRef): Promise<MailAccount> {
    if (this.closed) throw new MailError('INTERNAL', 'Mail store is closed');
    if (!ref.home || !ref.home.startsWith(sep)) throw new MailError('INTERNAL', 'Mail home must be an absolute path');
    const acc = new MaildirAccount(this, { ...ref, home: resolve(ref.home) });
    await acc.init();
    return acc;
  }

  async acquire(dir: string, name: string): Promise<FolderState> {
    const closing = this.closing.get(dir);
    if (closing) await closing;
    let s = this.states.get(dir);
    if (!s || s.gone) {
      if (s) this.unkeep(s);
      s = new FolderState(dir, name, { hostname: this.hostname, fsync: this.fsync });
      this.states.set(dir, s);
      // Started by the first read while it lists cur/ (overlapping; that read is still covered by
      // it, see FolderState.watchDuringFirstScan), not for a state dropped or a store closed meanwhile.
      const state = s;
      state.watchDuringFirstScan(() => {
        if (!this.closed && this.states.get(dir) === state && !this.keepWatches.has(state)) this.keepWatches.set(state, watchFolder(state, true));
      });
    }
    const t = this.idleTimers.get(s);
    if (t) { clearTimeout(t); this.idleTimers.delete(s); }
    s.refs++;
    try {
      await s.load();
    } catch (e) {
      s.refs--;
      if (s.refs === 0 && this.states.get(dir) === s) { this.states.delete(dir); this.unkeep(s); }
      s.startPendingWatch();
      throw e;
    }
    s.startPendingWatch();
    return s;
  }

  /**
   * `drop`: close the state now if nobody else holds it (IDLE hibernation: the session will not be
   * back soon), instead of keeping it IDLE_KEEP_MS; resolves when its index is written and its
   * descriptors are closed.
   */
  async release(s: FolderState, drop = false): Promise<void> {
    s.refs = Math.max(0, s.refs - 1);
    if (s.refs > 0) return;
    if (drop && this.states.get(s.dir) === s) {
      const t = this.idleTimers.get(s);
      if (t) { clearTimeout(t); this.idleTimers.delete(s); }
      this.states.delete(s.dir);
      this.unkeep(s);
      const p = s.flush().catch(() => undefined).then(() => s.cache.close()).catch(() => undefined)
        .finally(() => { if (this.closing.get(s.dir) === p) this.closing.delete(s.dir); });
      this.closing.set(s.dir, p);
      return p;
    }
    // No index write here: a changed state has its write already scheduled (FolderState.markDirty,
    // within a second), and a user who logs in and out a few times a second would otherwise cost
    // one full index write per session.
    s.cache.dropWindow();
    if (this.idleTimers.has(s)) return;
    const t = setTimeout(() => {
      this.idleTimers.delete(s);
      if (s.refs === 0 && this.states.get(s.dir) === s) {
        this.states.delete(s.dir);
        this.unkeep(s);
        void s.flush().catch(() => undefined).then(() => s.cache.close());
      }
    }, IDLE_KEEP_MS);
    t.unref();
    this.idleTimers.set(s, t);
  }

  /** This process put a file into `dir` behind its folder state (lazy delivery): sessions see it at their next sync. */
  changedOnDisk(dir: string): void {
    wakeSleepers(dir);
    const s = this.states.get(dir);
    if (s && !s.gone) s.changedOnDisk();
  }

  invalidate(dir: string): void {
    wakeSleepers(dir, true);
    for (const [d, s] of this.states) {
      if (d === dir || d.startsWith(dir + '.')) {
        this.states.delete(d);
        this.unkeep(s);
        s.markGone();
        void s.cache.close();
      }
    }
  }

  /** Folder states held in memory (open by a handle or kept a while after): tests and diagnostics. */
  get openFolders(): number { return this.states.size; }

  private unkeep(s: FolderState): void {
    this.keepWatches.get(s)?.();
    this.keepWatches.delete(s);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const unwatch of this.keepWatches.values()) unwatch();
    this.keepWatches.clear();
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    await Promise.all([...this.states.values()].map((s) => s.flush().catch(() => undefined).then(() => s.cache.close())));
    await Promise.all(this.closing.values());
    this.states.clear();
  }
}
