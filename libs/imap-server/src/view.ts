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
  private list: ViewEntry[] | null = null;
  /**
   * The snapshot's records while the view is exactly them, one entry per record and none made yet
   * (see pristineRecs): a first SELECT + UID FETCH 1:* (FLAGS) of 100,000 messages makes no entry
   * objects. The first use of `entries` makes them.
   */
  private pristine: readonly MessageRecord[] | null = null;
  get entries(): ViewEntry[] {
    if (!this.list) {
      this.list = this.pristine ? this.pristine.map((rec) => ({ uid: rec.uid, rec, expunged: false })) : [];
      this.pristine = null;
    }
    return this.list;
  }
  set entries(v: ViewEntry[]) { this.list = v; this.pristine = null; }
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
    // Entries and the uid map are made on first use (a first SELECT of 100,000 messages needs neither).
    this.pristine = snap.messages;
    for (const u of snap.recent) this.recent.add(u);
  }

  private push(rec: MessageRecord): void {
    const e: ViewEntry = { uid: rec.uid, rec, expunged: false };
    this.entries.push(e);
    this.uidMap?.set(rec.uid, e);
  }

  get exists(): number { return this.list ? this.list.length : this.pristine?.length ?? 0; }

  /**
   * The records the view equals one to one when no entry was made yet (the view is then exactly
   * the snapshot it was made from: entry i is { uid: recs[i].uid, rec: recs[i], expunged: false }),
   * else null. Lets a FETCH over every message skip making an entry per message.
   */
  pristineRecs(): readonly MessageRecord[] | null { return this.list ? null : this.pristine; }

  /** UID of the message at sequence number i + 1. */
  uidAt(i: number): number { return this.list ? this.list[i]!.uid : this.pristine![i]!.uid; }

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
    let lo = 0, hi = this.exists - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.uidAt(mid);
      if (u === uid) return mid + 1;
      if (u < uid) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
  }

  maxUid(): number { const n = this.exists; return n ? this.uidAt(n - 1) : 0; }

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
    const prev = this.lastMessages;
    this.lastMessages = snap.messages;
    this.lastRecent = snap.recent;
    const msgs = snap.messages;
    const uids = prev && snap.changedSince ? snap.changedSince(prev) : null;
    if (uids) this.diffUids(uids, msgs, out);
    else if (prev) this.diffSince(prev, msgs, out);
    else {
      // Flag changes and newly expunged messages: both lists ascend by UID (MailboxSnapshot), so one
      // merge walk, no uid → record map per change (a STORE in a 100,000-message folder).
      let j = 0;
      for (let i = 0; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (e.expunged) continue;
        while (j < msgs.length && msgs[j]!.uid < e.uid) j++;
        const r = j < msgs.length && msgs[j]!.uid === e.uid ? msgs[j]! : undefined;
        if (!r) { e.expunged = true; this.pendingExpunged++; continue; }
        this.recordChanged(e, r, i + 1, out);
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
   * Flag changes and newly expunged messages since the snapshot `prev` last applied (the view's
   * messages not yet marked expunged are exactly its records): the store shares unchanged records
   * between snapshots (MailboxSnapshot), so one walk over the two arrays of references finds the
   * few that differ without reading an entry or a record per message. Walking every entry instead
   * cost a cache miss or two per message and was the largest part of a STORE in a 500-message folder.
   */
  private diffSince(prev: readonly MessageRecord[], msgs: readonly MessageRecord[], out: string[]): void {
    const np = prev.length, nm = msgs.length;
    let i = 0, j = 0;
    while (i < np) {
      const p = prev[i]!;
      if (j < nm && msgs[j] === p) { i++; j++; continue; }
      const m = j < nm ? msgs[j]! : undefined;
      if (m !== undefined && m.uid < p.uid) { j++; continue; } // not in prev: a new message (apply adds it)
      const e = this.byUid.get(p.uid);
      i++;
      if (m === undefined || p.uid < m.uid) {
        if (e && !e.expunged) { e.expunged = true; this.pendingExpunged++; }
        continue;
      }
      j++;
      if (e && !e.expunged) this.recordChanged(e, m, this.seqOfFast(e.uid), out);
    }
  }

  /** diffSince when the store named the UIDs that changed (MailboxSnapshot.changedSince; ascending). */
  private diffUids(uids: readonly number[], msgs: readonly MessageRecord[], out: string[]): void {
    for (const uid of uids) {
      const e = this.byUid.get(uid);
      if (!e || e.expunged) continue; // new (apply adds it) or already marked
      let lo = 0, hi = msgs.length - 1, r: MessageRecord | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const m = msgs[mid]!;
        if (m.uid === uid) { r = m; break; }
        if (m.uid < uid) lo = mid + 1; else hi = mid - 1;
      }
      if (!r) { e.expunged = true; this.pendingExpunged++; continue; }
      this.recordChanged(e, r, this.seqOfFast(uid), out);
    }
  }

  /** The store's record `r` for entry `e` (sequence number `seq`): a FETCH FLAGS when its flags changed (with CONDSTORE: its modseq). */
  private recordChanged(e: ViewEntry, r: MessageRecord, seq: number, out: string[]): void {
    if (r === e.rec) return; // the store shares unchanged records between snapshots
    if (r.modseq !== e.rec.modseq || !sameFlags(r.flags, e.rec.flags)) {
      const changed = !sameFlags(r.flags, e.rec.flags);
      e.rec = r;
      if (changed || this.condstore) {
        out.push(`* ${seq} FETCH (UID ${e.uid} FLAGS ${formatFlags(r.flags, this.recent.has(e.uid))}${this.condstore ? ` MODSEQ (${r.modseq})` : ''})\r\n`);
      }
    }
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
    const recs = this.pristineRecs();
    if (recs) { for (const r of recs) if (this.recent.has(r.uid)) n++; } else for (const e of this.entries) if (this.recent.has(e.uid)) n++;
    return n;
  }

  firstUnseen(): number {
    const recs = this.pristineRecs();
    const n = this.exists;
    for (let i = 0; i < n; i++) {
      if (!(recs ? recs[i]! : this.entries[i]!.rec).flags.includes('\\Seen')) return i + 1;
    }
    return 0;
  }
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
