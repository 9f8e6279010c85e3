/**
 * Change notification across processes: while sessions watch a folder, one inotify watch (fs.watch)
 * on its new/ and cur/ makes a delivery or flag change by another process (deliver, LMTP, another
 * IMAP server) reach them at once, as Dovecot's IDLE does with inotify. The watch only triggers a
 * sync(); sync() notifies the folder's listeners when something changed. Events of this process's
 * own changes are told apart by name (FolderState.expectOwn) and ignored; an event for any other
 * name also tells the folder state that its directory stamps no longer vouch for memory (the next
 * sync reads the directories), which is what lets a folder changed only by this process go without
 * rescans (FolderState.syncLocked). Where inotify cannot see the
 * change (NFS from another host) or the watch fails (no inotify slots), the sessions' periodic check
 * (LIMITS.idlePollMs, Dovecot's mailbox_idle_check_interval) still finds it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { FolderState } from './folder.js';

/** Coalesces a burst of events (a delivery is create in tmp/ + rename into new/) into one sync. */
const DEBOUNCE_MS = 20;

/** refs: holders; listening: those who want a sync (and so their sessions' notification) per event. */
interface Watch { refs: number; listening: number; watchers: FSWatcher[]; timer: NodeJS.Timeout | null }
const active = new WeakMap<FolderState, Watch>();

function start(state: FolderState): Watch {
  const w: Watch = { refs: 0, listening: 0, watchers: [], timer: null };
  const kick = (): void => {
    if (w.timer || w.listening === 0) return;
    w.timer = setTimeout(() => {
      w.timer = null;
      if (w.listening > 0 && !state.gone) void state.sync().catch(() => undefined);
    }, DEBOUNCE_MS);
  };
  for (const sub of ['new', 'cur'] as const) {
    try {
      // Events of this process's own changes (announced by the folder state, already in memory and
      // notified) cost nothing; another process's change makes the next sync read the directories.
      const fw = watch(join(state.dir, sub), { persistent: false }, (type, filename) => {
        if (state.dirEvent(sub, type, typeof filename === 'string' ? filename : null)) kick();
      });
      fw.on('error', () => {
        // Folder deleted or renamed away: the periodic check notices; events may have been lost.
        fw.close();
        if (active.get(state) === w) state.setWatched(false);
        kick();
      });
      w.watchers.push(fw);
    } catch {
      // ENOSPC (inotify watches exhausted) or the folder is gone: the periodic check remains.
    }
  }
  if (w.watchers.length === 2) state.setWatched(true);
  return w;
}

/**
 * Keeps the folder watched until the returned function is called (reference counted per folder).
 * `passive`: another process's change is only marked (the next sync reads the directories), no
 * sync runs for it: the store keeps its idle folder states watched this way, so the watch is
 * unbroken from one session to the next and their own changes need no verifying reads.
 */
export function watchFolder(state: FolderState, passive = false): () => void {
  let w = active.get(state);
  if (!w) { w = start(state); active.set(state, w); }
  w.refs++;
  if (!passive) w.listening++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    w!.refs--;
    if (!passive) w!.listening--;
    if (w!.refs > 0) return;
    if (w!.timer) clearTimeout(w!.timer);
    for (const fw of w!.watchers) fw.close();
    active.delete(state);
    state.setWatched(false);
  };
}
