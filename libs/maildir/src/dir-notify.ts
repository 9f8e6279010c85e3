/**
 * The smallest inotify watch of a directory Node offers, for the folders of hibernated sessions
 * (sleepers.ts: with one user per session every hibernated session has its own, issue 6).
 *
 * fs.watch wraps each watch in an FSWatcher, an EventEmitter whose dictionary-mode `_events` and
 * closures cost ~400 bytes of heap; the FSEvent handle beneath it (libuv's uv_fs_event_t) costs
 * 40. Two watches per folder (new/, cur/) through fs.watch were ~0.8 KB of the 3.5 KB budget per
 * hibernated session. The handle is reached through process.binding('fs_event_wrap'): deprecated
 * for new code (DEP0111) but on Node's allow-list and silent in Node 20; where it is missing or
 * refuses, fs.watch is used. Either way the kernel watch is shared with the same directory's other
 * watches (libuv keeps one inotify watch per path), so it costs no extra inotify slot.
 */
import { watch } from 'node:fs';

/** A watch: close() stops it. */
export interface DirNotify { close(): void }

/** Who is told: a method, not a closure per watch. */
export interface DirListener { dirEvent(): void }

/** libuv's fs event handle as fs_event_wrap exposes it (lib/internal/fs/watchers.js uses the same); it calls this.onchange(status, type, name). */
interface FSEventHandle {
  start(path: string, persistent: boolean, recursive: boolean, encoding: string): number;
  close(): void;
}
type FSEventCtor = new () => FSEventHandle;
type NotifyCtor = new (to: DirListener) => FSEventHandle;

let Handle: NotifyCtor | null | undefined;

/** The handle with its listener as an in-object field and onchange on the prototype (~56 bytes; as a property each, ~100). */
function handleClass(): NotifyCtor | null {
  if (Handle !== undefined) return Handle;
  Handle = null;
  try {
    const binding = (process as unknown as { binding(name: string): { FSEvent?: FSEventCtor } }).binding('fs_event_wrap');
    const Base = binding.FSEvent;
    if (typeof Base === 'function') {
      Handle = class extends Base {
        constructor(private readonly to: DirListener) { super(); }
        onchange(): void { this.to.dirEvent(); }
      };
    }
  } catch {
    // Not there (a later Node): fs.watch.
  }
  return Handle;
}

/**
 * Tells `to` of every change in directory `path` (and when the watch fails: the directory went
 * away); null when it cannot be watched (no inotify slots left, the directory is missing). Does not
 * keep the process alive.
 */
export function notifyDir(path: string, to: DirListener): DirNotify | null {
  const Ctor = handleClass();
  if (Ctor) {
    try {
      const h = new Ctor(to);
      if (h.start(path, false, false, 'utf8') === 0) return h;
      h.close();
      return null;
    } catch {
      Handle = null; // not the handle we know: the public API from now on
    }
  }
  try {
    const onEvent = (): void => { to.dirEvent(); };
    const w = watch(path, { persistent: false }, onEvent);
    w.on('error', onEvent);
    return w;
  } catch {
    return null;
  }
}
