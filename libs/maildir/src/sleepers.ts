/**
 * Folders watched for hibernated IMAP sessions (IDLE hibernation, libs/imap-server/src/hibernate.ts).
 * A sleeping session has closed its folder: no FolderState, caches or descriptors are held for it,
 * only a callback here, as Dovecot's imap-hibernate keeps only the client's fd and an inotify fd.
 *
 * One group per folder directory in this process, shared by all its sleepers, woken by:
 * - a change made through this process: FolderState.notify, a lazy delivery (MaildirStore.changedOnDisk),
 *   a delete or rename of the folder (MaildirStore.invalidate);
 * - another process's change: one inotify watch each on new/ and cur/ (dir-notify.ts; the kernel
 *   shares the watch with an open FolderState's, dir-watch.ts, so no extra inotify watch is spent);
 * - what inotify cannot see (NFS writes from another host): one process-wide timer compares the
 *   directories' mtimes every LIMITS.idlePollMs.
 * A wake is one-shot and wakes every sleeper of the folder: each re-opens it and tells its client what
 * changed (RFC 2177); a sleeper woken for nothing sends nothing and sleeps again later.
 */
import { join } from 'node:path';
import { LIMITS } from '../../core/src/limits.js';
import { statQuick, yieldIfBusy } from './fastio.js';
import { notifyDir, type DirListener, type DirNotify } from './dir-notify.js';

/** Coalesces a burst of events (a flag change by another process is a rename out of cur/ and into it). */
const DEBOUNCE_MS = 20;

type Sleeper = () => void;

/**
 * The sleepers of one folder, and the watch they share (returned by sleepOn as the handle to cancel
 * with). Kept small: with one user per session, every hibernated session has a group of its own.
 */
class Group implements DirListener {
  /** One sleeper (the common case) or several; a Set costs ~150 bytes more than the function. */
  private sleepers: Sleeper | Set<Sleeper> | null = null;
  /** The watches of new/ and cur/ (two fields, not an array: 64 bytes less); null when not possible or closed. */
  private watchNew: DirNotify | null;
  private watchCur: DirNotify | null;
  /** The mtimes of new/ and cur/ when the group began, in one number (the periodic check compares it). */
  private readonly mtimes: number;
  /** A wake is scheduled: the group takes no new sleepers (sleepOn starts another). */
  pending = false;

  constructor(readonly dir: string) {
    this.mtimes = mtimesOf(dir);
    // null (no inotify slots left, folder gone): the periodic check remains.
    this.watchNew = notifyDir(join(dir, 'new'), this);
    this.watchCur = notifyDir(join(dir, 'cur'), this);
  }

  /** An inotify event; a failing watch (folder deleted or renamed away) too: the sleepers' re-open finds out. */
  dirEvent(): void { this.fire(DEBOUNCE_MS); }

  add(f: Sleeper): void {
    const cur = this.sleepers;
    if (cur === null) this.sleepers = f;
    else if (typeof cur === 'function') { if (cur !== f) this.sleepers = new Set([cur, f]); }
    else cur.add(f);
  }

  /** Whether `f` was still waiting. */
  cancel(f: Sleeper): boolean {
    const cur = this.sleepers;
    let had: boolean;
    if (cur === f) { this.sleepers = null; had = true; }
    else if (cur !== null && typeof cur !== 'function') { had = cur.delete(f); if (cur.size === 0) this.sleepers = null; }
    else had = false;
    if (this.sleepers === null && !this.pending) this.close();
    return had;
  }

  /** Wakes every sleeper after `delayMs` (0: next turn; never inside the caller's own work). */
  fire(delayMs: number): void {
    if (this.pending) return;
    this.pending = true;
    const run = (): void => {
      this.close();
      const cur = this.sleepers;
      this.sleepers = null;
      const all = cur === null ? [] : typeof cur === 'function' ? [cur] : [...cur];
      for (const f of all) { try { f(); } catch { /* one sleeper's bug must not keep the others asleep */ } }
    };
    if (delayMs > 0) setTimeout(run, delayMs); else setImmediate(run);
  }

  /** True when new/ or cur/ changed since the group began (what inotify may not see: NFS). */
  stale(): boolean {
    return mtimesOf(this.dir) !== this.mtimes;
  }

  private close(): void {
    if (groups.get(this.dir) === this) groups.delete(this.dir);
    this.watchNew?.close();
    this.watchCur?.close();
    this.watchNew = this.watchCur = null;
    if (groups.size === 0 && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }
}

const groups = new Map<string, Group>();
let pollTimer: NodeJS.Timeout | null = null;
let polling = false;

function mtime(p: string): number {
  try { return statQuick(p)?.mtimeMs ?? -1; } catch { return -1; }
}

/** Both mtimes in one number: any change to either changes it (a compensating pair of changes is not a thing). */
function mtimesOf(dir: string): number {
  return mtime(join(dir, 'new')) + 3 * mtime(join(dir, 'cur'));
}

/** The periodic check: a folder whose new/ or cur/ changed without an event (NFS) wakes its sleepers. */
async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    for (const g of [...groups.values()]) {
      if (!g.pending && groups.get(g.dir) === g && g.stale()) g.fire(0);
      await yieldIfBusy();
    }
  } finally {
    polling = false;
  }
}

/** A folder's shared watch as sleepOn returns it: cancel(onChange) is true when `onChange` was still to come. */
export interface SleepWatch {
  cancel(onChange: () => void): boolean;
}

/**
 * Calls `onChange` once when folder `dir` may have changed. The watch is in place when this
 * returns: a caller that checks the folder afterwards misses nothing.
 */
export function sleepOn(dir: string, onChange: () => void): SleepWatch {
  let g = groups.get(dir);
  if (!g || g.pending) {
    g = new Group(dir);
    groups.set(dir, g);
    if (!pollTimer) {
      pollTimer = setInterval(() => { void poll(); }, LIMITS.idlePollMs);
      pollTimer.unref();
    }
  }
  g.add(onChange);
  return g;
}

/** A change to `dir` (and, with `below`, to the folders under it: Maildir++ `.A.B` below `.A`) made through this process. */
export function wakeSleepers(dir: string, below = false): void {
  if (groups.size === 0) return;
  groups.get(dir)?.fire(0);
  if (below) for (const [d, g] of groups) if (d.startsWith(dir + '.')) g.fire(0);
}

/** Folders with sleepers (tests, diagnostics). */
export function sleepingFolders(): number {
  return groups.size;
}
