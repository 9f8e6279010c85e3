/**
 * IDLE hibernation (Dovecot's imap_hibernate_timeout, issue 6 memory goal). A session that has idled
 * for `hibernateTimeoutMs` with nothing pending gives up its command loop: the suspended async frames
 * (run → runCommand → timed → idle), the pending read and change promises, the command parser and,
 * when it mirrors the store exactly, the view's per-message entries. What stays is the Session object
 * with its socket, the IDLE command (for the tagged reply), a compact view (the store's own snapshot
 * array, shared, plus the counters), the mailbox handle's one change listener, one 'readable'/'end'
 * listener on the socket and the autologout timer. Client input, a change to the folder, a kick or a
 * shutdown wakes it: the view and the loop are rebuilt and IDLE goes on as if it never slept
 * (RFC 2177; the untagged updates of RFC 3501 §7 are computed from the kept snapshot).
 *
 * Other processes' changes reach a hibernated session through the folder's inotify watch
 * (libs/maildir/src/dir-watch.ts, per folder, not per session); where that cannot see them (NFS) one
 * timer per server, not one per session, runs the periodic check (LIMITS.idlePollMs).
 */
import { Gauge, type Registry } from 'prom-client';
import { LIMITS } from '../../core/src/limits.js';
import type { Command } from '../../imap-codec/src/types.js';
import type { MailboxSnapshot, MessageRecord } from '../../mailstore/src/types.js';
import { MailboxView } from './view.js';

/** A view reduced to what rebuilding it needs: the snapshot it mirrors (shared with the store) and its counters. */
export interface CompactView {
  messages: readonly MessageRecord[];
  lastRecent: ReadonlySet<number>;
  /** UIDs the client was told are \Recent (RFC 3501 §2.3.2); usually none (null), so no array is kept. */
  recent: number[] | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  keywords: readonly string[];
  condstore: boolean;
  readOnly: boolean;
}

/** What a hibernated session keeps besides its socket and mailbox handle. */
export interface HibernatedIdle {
  /** The IDLE command: its tag gets the tagged reply after DONE. */
  cmd: Command;
  /** The view, compacted when it mirrors a snapshot exactly, else kept as it is. */
  view: CompactView | MailboxView | null;
  /** Socket listeners to remove on wake. */
  onInput: () => void;
}

/** Compacts a view whose entries are exactly its last snapshot's records (no pending EXPUNGE, no own-change records). */
export function compactView(v: MailboxView): CompactView | MailboxView {
  const last = v.lastSnapshot();
  if (!last || v.pendingExpunges() !== 0 || v.entries.length !== last.messages.length) return v;
  for (let i = 0; i < v.entries.length; i++) {
    const e = v.entries[i]!;
    if (e.expunged || e.rec !== last.messages[i]) return v;
  }
  return {
    messages: last.messages, lastRecent: last.recent, recent: v.recent.size ? [...v.recent] : null,
    uidValidity: v.uidValidity, uidNext: v.uidNext, highestModseq: v.highestModseq, keywords: v.keywords,
    condstore: v.condstore, readOnly: v.readOnly,
  };
}

export function restoreView(c: CompactView | MailboxView): MailboxView {
  if (c instanceof MailboxView) return c;
  const snap: MailboxSnapshot = {
    uidValidity: c.uidValidity, uidNext: c.uidNext, highestModseq: c.highestModseq,
    messages: c.messages, recent: c.lastRecent, keywords: c.keywords,
  };
  const v = new MailboxView(snap);
  v.recent = new Set(c.recent ?? []);
  v.condstore = c.condstore;
  v.readOnly = c.readOnly;
  return v;
}

/** True when `snap` is what the (compact) view last saw: nothing to tell the client, no need to wake. */
export function viewUnchanged(c: CompactView | MailboxView, snap: MailboxSnapshot): boolean {
  if (c instanceof MailboxView) {
    const last = c.lastSnapshot();
    return !!last && last.messages === snap.messages && last.recent === snap.recent && sameList(c.keywords, snap.keywords) && snap.uidValidity === c.uidValidity;
  }
  return c.messages === snap.messages && c.lastRecent === snap.recent && sameList(c.keywords, snap.keywords) && snap.uidValidity === c.uidValidity;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the registry needs of a hibernated session. */
export interface Hibernating {
  /** The periodic check: sync the mailbox, wake on a change. */
  hibernatedPoll(): void;
}

/** Per server: the hibernated sessions, the imap_hibernated_sessions gauge and the one periodic-check timer. */
export class HibernationRegistry {
  private readonly sessions = new Set<Hibernating>();
  private timer: NodeJS.Timeout | null = null;
  readonly gauge: Gauge<string>;

  constructor(reg: Registry, private readonly pollMs: number = LIMITS.idlePollMs) {
    this.gauge = (reg.getSingleMetric('imap_hibernated_sessions') as Gauge<string> | undefined)
      ?? new Gauge({ name: 'imap_hibernated_sessions', help: 'IMAP IDLE sessions hibernated (imap.hibernateTimeout).', registers: [reg] });
  }

  get size(): number { return this.sessions.size; }

  add(s: Hibernating): void {
    if (this.sessions.has(s)) return;
    this.sessions.add(s);
    this.gauge.inc();
    if (!this.timer) {
      this.timer = setInterval(() => { for (const h of [...this.sessions]) h.hibernatedPoll(); }, this.pollMs);
      this.timer.unref();
    }
  }

  remove(s: Hibernating): void {
    if (!this.sessions.delete(s)) return;
    this.gauge.dec();
    if (this.sessions.size === 0 && this.timer) { clearInterval(this.timer); this.timer = null; }
  }
}
