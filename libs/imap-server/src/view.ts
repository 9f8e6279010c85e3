/**
 * The selected-mailbox view of one session: sequence number ↔ UID map and the last flags the
 * client was told, updated from MailboxSnapshot diffs.
 *
 * RFC 3501 §7.4.1 / §5.5: EXPUNGE must not be sent while answering FETCH, STORE or SEARCH (the
 * non-UID forms) nor when no command is in progress; messages expunged meanwhile stay in the
 * view (their sequence numbers stay valid) until the next point where EXPUNGE is allowed.
 */
import { SYSTEM_FLAGS, type MailboxSnapshot, type MessageRecord } from '../../mailstore/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import { formatFlags } from './encode.js';

export interface ViewEntry {
  uid: number;
  rec: MessageRecord;
  /** Gone from the mailbox; the EXPUNGE response is still pending. */
  expunged: boolean;
}

export class MailboxView {
  /** entries[seq - 1]. */
  entries: ViewEntry[] = [];
  /** uid → entry, built on first use (a SELECT + FETCH of 100,000 messages never needs it). */
  private uidMap: Map<number, ViewEntry> | null = null;
  private get byUid(): Map<number, ViewEntry> {
    if (!this.uidMap) {
      this.uidMap = new Map();
      for (const e of this.entries) this.uidMap.set(e.uid, e);
    }
    return this.uidMap;
  }
  recent = new Set<number>();
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  keywords: readonly string[];
  /** Set when the mailbox's UIDVALIDITY changed under us: the session must end (RFC 3501 §2.3.1.1). */
  invalid = false;
  /** Include MODSEQ in unsolicited FETCH responses (CONDSTORE enabled, RFC 7162 §3.2). */
  condstore = false;
  /** EXAMINE: PERMANENTFLAGS stay empty when keywords are announced. */
  readOnly = false;

  /** The snapshot arrays last applied: the store replaces (never mutates) them on change, so the same reference means nothing to diff. */
  private lastMessages: readonly MessageRecord[] | null = null;
  private lastRecent: ReadonlySet<number> | null = null;
  /** Entries marked expunged whose EXPUNGE is still to be sent. */
  private pendingExpunged = 0;

  constructor(snap: MailboxSnapshot) {
    this.lastMessages = snap.messages;
    this.lastRecent = snap.recent;
    this.uidValidity = snap.uidValidity;
    this.uidNext = snap.uidNext;
    this.highestModseq = snap.highestModseq;
    this.keywords = snap.keywords;
    // One pre-sized array (a first SELECT of 100,000 messages); the uid map is built on first use.
    this.entries = snap.messages.map((rec) => ({ uid: rec.uid, rec, expunged: false }));
    for (const u of snap.recent) this.recent.add(u);
  }

  private push(rec: MessageRecord): void {
    const e: ViewEntry = { uid: rec.uid, rec, expunged: false };
    this.entries.push(e);
    this.uidMap?.set(rec.uid, e);
  }

  get exists(): number { return this.entries.length; }

  /** The snapshot arrays last applied (IDLE hibernation keeps them instead of the entries; hibernate.ts). */
  lastSnapshot(): { messages: readonly MessageRecord[]; recent: ReadonlySet<number> } | null {
    return this.lastMessages && this.lastRecent ? { messages: this.lastMessages, recent: this.lastRecent } : null;
  }

  pendingExpunges(): number { return this.pendingExpunged; }

  entry(uid: number): ViewEntry | undefined { return this.byUid.get(uid); }

  seqOf(uid: number): number {
    const e = this.byUid.get(uid);
    return e ? this.entries.indexOf(e) + 1 : 0;
  }

  /** Binary search: entries are in ascending UID order. */
  seqOfFast(uid: number): number {
    let lo = 0, hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.entries[mid]!.uid;
      if (u === uid) return mid + 1;
      if (u < uid) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
  }

  maxUid(): number { return this.entries.length ? this.entries[this.entries.length - 1]!.uid : 0; }

  /** Records a flag change this session made itself, so the next diff does not repeat it. */
  updateRecord(rec: MessageRecord): void {
    const e = this.byUid.get(rec.uid);
    if (e && !e.expunged) e.rec = rec;
    if (rec.modseq > this.highestModseq) this.highestModseq = rec.modseq;
  }

  /**
   * Applies a fresh snapshot and returns the untagged responses to send.
   * `allowExpunge` false holds EXPUNGEs back (they are sent by a later call).
   */
  apply(snap: MailboxSnapshot, allowExpunge: boolean): string[] {
    const out: string[] = [];
    if (snap.uidValidity !== this.uidValidity) {
      this.invalid = true;
      return out;
    }
    if (snap.messages === this.lastMessages && snap.recent === this.lastRecent) {
      // Nothing changed in the store since the last apply (a 100,000-message view is not re-diffed per command).
      if (allowExpunge) out.push(...this.flushExpunges());
      this.uidNext = snap.uidNext;
      if (snap.highestModseq > this.highestModseq) this.highestModseq = snap.highestModseq;
      out.push(...this.keywordUpdate(snap.keywords));
      return out;
    }
    this.lastMessages = snap.messages;
    this.lastRecent = snap.recent;
    // Flag changes and newly expunged messages: both lists ascend by UID (MailboxSnapshot), so one
    // merge walk, no uid → record map per change (a STORE in a 100,000-message folder).
    const msgs = snap.messages;
    let j = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.expunged) continue;
      while (j < msgs.length && msgs[j]!.uid < e.uid) j++;
      const r = j < msgs.length && msgs[j]!.uid === e.uid ? msgs[j]! : undefined;
      if (!r) { e.expunged = true; this.pendingExpunged++; continue; }
      if (r === e.rec) continue; // the store shares unchanged records between snapshots
      if (r.modseq !== e.rec.modseq || !sameFlags(r.flags, e.rec.flags)) {
        const changed = !sameFlags(r.flags, e.rec.flags);
        e.rec = r;
        if (changed || this.condstore) {
          out.push(`* ${i + 1} FETCH (UID ${e.uid} FLAGS ${formatFlags(r.flags, this.recent.has(e.uid))}${this.condstore ? ` MODSEQ (${r.modseq})` : ''})\r\n`);
        }
      }
    }
    if (allowExpunge) out.push(...this.flushExpunges());

    // New messages (UIDs above the largest one we know).
    const max = this.maxUid();
    let added = 0;
    let newRecent = 0;
    let from = msgs.length;
    while (from > 0 && msgs[from - 1]!.uid > max) from--;
    for (let k = from; k < msgs.length; k++) {
      this.push(msgs[k]!);
      added++;
    }
    for (const u of snap.recent) {
      if (!this.recent.has(u)) { this.recent.add(u); newRecent++; }
    }
    if (added > 0) out.push(`* ${this.entries.length} EXISTS\r\n`);
    if (added > 0 || newRecent > 0) out.push(`* ${this.countRecent()} RECENT\r\n`);
    this.uidNext = snap.uidNext;
    if (snap.highestModseq > this.highestModseq) this.highestModseq = snap.highestModseq;
    out.push(...this.keywordUpdate(snap.keywords));
    return out;
  }

  /**
   * A keyword new to the mailbox changes its FLAGS and PERMANENTFLAGS (RFC 3501 §7.2.6, §7.1):
   * announce both, as Dovecot does, so clients learn it is now defined.
   */
  private keywordUpdate(next: readonly string[]): string[] {
    const known = new Set(this.keywords.map((k) => k.toLowerCase()));
    const added = next.some((k) => !known.has(k.toLowerCase()));
    this.keywords = next;
    if (!added) return [];
    const flags = [...SYSTEM_FLAGS, ...next].join(' ');
    const canCreate = next.length < LIMITS.maildirMaxKeywords ? ' \\*' : '';
    return [
      `* FLAGS (${flags})\r\n`,
      this.readOnly ? '* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n' : `* OK [PERMANENTFLAGS (${flags}${canCreate})] Flags permitted.\r\n`,
    ];
  }

  /** Sends pending EXPUNGEs (highest sequence number first, so earlier numbers stay valid). */
  flushExpunges(): string[] {
    const out: string[] = [];
    if (this.pendingExpunged === 0) return out;
    this.pendingExpunged = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (!e.expunged) continue;
      out.push(`* ${i + 1} EXPUNGE\r\n`);
      this.byUid.delete(e.uid);
      this.recent.delete(e.uid);
    }
    // One pass instead of a splice per message (O(n) for a mass expunge).
    if (out.length) this.entries = this.entries.filter((e) => !e.expunged);
    return out;
  }

  /** Marks UIDs as expunged (after our own EXPUNGE/MOVE) so the next flush reports them. */
  markExpunged(uids: readonly number[]): void {
    for (const u of uids) {
      const e = this.byUid.get(u);
      if (e && !e.expunged) { e.expunged = true; this.pendingExpunged++; }
    }
  }

  countRecent(): number {
    if (this.recent.size === 0) return 0;
    let n = 0;
    for (const e of this.entries) if (this.recent.has(e.uid)) n++;
    return n;
  }

  firstUnseen(): number {
    for (let i = 0; i < this.entries.length; i++) {
      if (!this.entries[i]!.rec.flags.includes('\\Seen')) return i + 1;
    }
    return 0;
  }
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
