/**
 * IDLE hibernation (Dovecot's imap_hibernate_timeout, issue 6 memory goal). A session that has idled
 * for `hibernateTimeoutMs` with nothing pending gives up its command loop (the suspended async
 * frames run → runCommand → timed → idle, the pending read and change promises), its command parser,
 * its view, its mailbox handle and its account: Mailbox.sleep closes the handle, and the store closes
 * the folder's in-memory state, caches and descriptors when no other session holds it.
 * As in Dovecot's imap-hibernate, what stays is the socket and a small record (SleepingFolder): the
 * IDLE tag, the mailbox name, the UIDs the client knows in sequence order (a Uint32Array, 4 bytes per
 * message; a plain array for a few), UIDVALIDITY, UIDNEXT, the HIGHESTMODSEQ it was told up to, its
 * \Recent UIDs and keywords. Besides: one 'readable' listener on the socket, one callback in the
 * store's per-folder watch (libs/maildir/src/sleepers.ts, shared by every sleeper of the folder:
 * in-process changes, one inotify watch each on new/ and cur/, a process-wide mtime check for NFS)
 * and an entry in the server's HibernationRegistry, whose one sweep runs the autologout (no timer
 * per session). 3.4 KB of heap per hibernated session at 10,000 (14.5 KB when the folder stayed
 * open; docs/performance.md).
 *
 * Client input, a change to the folder (this process or another), a kick, the autologout or a
 * shutdown wakes it: the account and folder are opened again and the view rebuilt from the record,
 * so the diff against the folder sends what changed as if the session had never slept (RFC 2177):
 * EXPUNGE for each known UID gone, highest sequence number first (RFC 3501 §7.4.1), FETCH FLAGS for
 * each message whose modseq is above the kept HIGHESTMODSEQ (all of them if the store's modseqs went
 * back), EXISTS/RECENT for new ones. A changed UIDVALIDITY ends the session with BYE (RFC 3501
 * §2.3.1.1), a deleted folder too (as Dovecot does). The price is the re-open: ~1 ms of CPU per wake.
 */
import { Gauge, type Registry } from 'prom-client';
import { LIMITS } from '../../core/src/limits.js';
import type { MailboxSnapshot, MailboxWatch, MessageRecord } from '../../mailstore/src/types.js';
import { MailboxView } from './view.js';

/** UIDs in order: a Uint32Array (4 bytes each), or for a few a plain array (a typed array costs ~180 bytes of its own). */
export type UidList = Uint32Array | readonly number[];

const SMALL_UID_LIST = 16;

function uidList(n: number, at: (i: number) => number): UidList {
  const out = n <= SMALL_UID_LIST ? new Array<number>(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = at(i);
  return out;
}

/** What a sleeping session keeps of its selected mailbox to rebuild the view on wake. */
export interface SleepingFolder {
  readonly name: string;
  readonly readOnly: boolean;
  readonly condstore: boolean;
  readonly uidValidity: number;
  readonly uidNext: number;
  /** Every flag change up to this modseq was told to the client. */
  readonly highestModseq: number;
  /** UIDs the client knows, in sequence-number order. */
  readonly uids: UidList;
  /** UIDs the client was told are \Recent (RFC 3501 §2.3.2); usually none. */
  readonly recent: UidList | null;
  readonly keywords: readonly string[];
}

/** What a hibernated session keeps besides its socket. */
export interface HibernatedIdle {
  /** The IDLE command's tag: it gets the tagged reply after DONE. */
  readonly tag: string;
  readonly folder: SleepingFolder | null;
  /** Until Mailbox.sleep has closed the handle (a wake waits for it). */
  closing: Promise<void> | null;
  /** The folder watch (Mailbox.sleep), shared with the folder's other sleepers. */
  watch: MailboxWatch | null;
}

const NO_KEYWORDS: readonly string[] = Object.freeze([]);

/**
 * Whether the view tells the client exactly what its last snapshot holds (no EXPUNGE pending, no
 * record differing from the snapshot's): only then can a record of UIDs and a modseq stand for it.
 */
export function canSleep(v: MailboxView): boolean {
  const last = v.lastSnapshot();
  if (!last || v.invalid || v.pendingExpunges() !== 0 || v.entries.length !== last.messages.length) return false;
  for (let i = 0; i < v.entries.length; i++) {
    const e = v.entries[i]!;
    const r = last.messages[i]!;
    if (e.expunged || e.uid !== r.uid || (e.rec !== r && (e.rec.modseq !== r.modseq || !sameList(e.rec.flags, r.flags)))) return false;
  }
  return true;
}

/** The record of a view for which canSleep() holds. */
export function sleepingFolder(name: string, v: MailboxView): SleepingFolder {
  const recent = v.recent.size ? [...v.recent] : null;
  return {
    name, readOnly: v.readOnly, condstore: v.condstore, uidValidity: v.uidValidity, uidNext: v.uidNext,
    highestModseq: v.highestModseq, uids: uidList(v.entries.length, (i) => v.entries[i]!.uid),
    recent: recent ? uidList(recent.length, (i) => recent[i]!) : null,
    keywords: v.keywords.length ? v.keywords : NO_KEYWORDS,
  };
}

/** Flags no real message has: a known message standing for "changed while asleep" differs from its current record. */
const CHANGED_FLAGS: readonly string[] = Object.freeze(['\\Changed-while-hibernated']);

/**
 * The view as the client last saw it, given the folder's current snapshot: a known message unchanged
 * since (modseq at most the kept one) is its current record; one changed or gone is a stand-in, so
 * the view's next apply() sends its FETCH FLAGS or EXPUNGE (and new messages get EXISTS).
 */
export function restoreView(f: SleepingFolder, snap: MailboxSnapshot): MailboxView {
  const known: MessageRecord[] = [];
  if (snap.uidValidity === f.uidValidity) {
    // Modseqs went backwards (the store's index was lost and rebuilt): any flag may have changed.
    const all = snap.highestModseq < f.highestModseq;
    const msgs = snap.messages;
    let j = 0;
    for (const uid of f.uids) {
      while (j < msgs.length && msgs[j]!.uid < uid) j++;
      const r = j < msgs.length && msgs[j]!.uid === uid ? msgs[j]! : undefined;
      known.push(r && !all && r.modseq <= f.highestModseq ? r : { uid, flags: CHANGED_FLAGS, internalDate: 0, size: 0, modseq: -1 });
    }
  }
  const v = new MailboxView({
    uidValidity: f.uidValidity, uidNext: f.uidNext, highestModseq: f.highestModseq,
    messages: known, recent: new Set(f.recent ?? []), keywords: f.keywords,
  });
  v.condstore = f.condstore;
  v.readOnly = f.readOnly;
  return v;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the registry needs of a hibernated session. */
export interface Hibernating {
  /** When its autologout is due (epoch ms). */
  readonly sleepDeadline: number;
  /** Runs the autologout (RFC 3501 §5.4). */
  autologout(): void;
}

/** At most `max` tasks at once; the others start in arrival order (a finishing task hands its slot on). */
export class WakeQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running++;
    else await new Promise<void>((r) => { this.waiting.push(r); });
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.running--;
    }
  }
}

/** Per server: the hibernated sessions, the imap_hibernated_sessions gauge, the one autologout sweep and the wake queue. */
export class HibernationRegistry {
  private readonly sessions = new Set<Hibernating>();
  private timer: NodeJS.Timeout | null = null;
  readonly gauge: Gauge<string>;
  /** Woken sessions re-opening their account and folder (LIMITS.imapWakeConcurrency). */
  readonly wakes = new WakeQueue(LIMITS.imapWakeConcurrency);

  constructor(reg: Registry, private readonly sweepMs: number = LIMITS.imapHibernateSweepMs) {
    this.gauge = (reg.getSingleMetric('imap_hibernated_sessions') as Gauge<string> | undefined)
      ?? new Gauge({ name: 'imap_hibernated_sessions', help: 'IMAP IDLE sessions hibernated (imap.hibernateTimeout).', registers: [reg] });
  }

  get size(): number { return this.sessions.size; }

  add(s: Hibernating): void {
    if (this.sessions.has(s)) return;
    this.sessions.add(s);
    this.gauge.inc();
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
  }

  remove(s: Hibernating): void {
    if (!this.sessions.delete(s)) return;
    this.gauge.dec();
    if (this.sessions.size === 0 && this.timer) { clearInterval(this.timer); this.timer = null; }
  }

  /** One pass over the sleepers (100,000 of them: about a millisecond a second). */
  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions) if (s.sleepDeadline <= now) s.autologout();
  }
}
