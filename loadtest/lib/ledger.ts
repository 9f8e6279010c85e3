/**
 * The ledger: every message the harness put in, by id, with its checksum, its user and the
 * mailbox it must be in, and what the harness itself did to it. At the end the read-back is
 * compared with it:
 *   lost        stored (server said OK) and not deleted by us, but not found;
 *   duplicated  found more than once where it should be once (or consumed twice over POP3);
 *   corrupted   found, but the body does not match its checksum;
 *   unexpected  found although the server refused it (NO) — the server said one thing and did another.
 * Messages whose fate is unknown (connection lost before the reply) are "uncertain" and never counted as lost.
 */
export type EntryState = 'pending' | 'stored' | 'refused' | 'uncertain';

export interface Entry {
  id: string;
  sum: string;
  user: string;
  box: string;
  state: EntryState;
  /** We asked for its deletion (STORE \Deleted, POP3 DELE in an uncommitted session): absence is fine. */
  mayBeGone: boolean;
  /** Moved by us into another mailbox (box was updated). */
  moved?: boolean;
  /** POP3: retrieved and deleted in sessions whose QUIT succeeded. */
  consumed: number;
}

export interface VerifyCounts {
  lost: number; duplicated: number; corrupted: number; unexpected: number; uncertain: number;
  checked: number; found: number;
  lostIds: string[]; duplicatedIds: string[]; corruptedIds: string[];
}

export class Ledger {
  readonly entries = new Map<string, Entry>();
  private seq = 0;
  /** Every id starts with this (run id and worker), so read-back can tell our messages from others. */
  constructor(readonly idPrefix: string) {}

  nextId(): string { return `${this.idPrefix}${(++this.seq).toString(36)}`; }

  /** One entry per (message id, recipient): an LMTP message to three users is three entries. */
  static key(id: string, user: string): string { return `${id} ${user.toLowerCase()}`; }

  add(id: string, sum: string, user: string, box: string): Entry {
    const e: Entry = { id, sum, user, box, state: 'pending', mayBeGone: false, consumed: 0 };
    this.entries.set(Ledger.key(id, user), e);
    return e;
  }

  get(id: string, user: string): Entry | undefined { return this.entries.get(Ledger.key(id, user)); }

  users(): string[] { return [...new Set([...this.entries.values()].map((e) => e.user))]; }

  /** Mailboxes to read back for a user. */
  boxesOf(user: string): string[] {
    const s = new Set<string>();
    for (const e of this.entries.values()) if (e.user === user) s.add(e.box);
    return [...s];
  }

  get size(): number { return this.entries.size; }
}

/** Compares what was found (Ledger.key → occurrences in the entry's own mailbox, and corrupted keys) with the ledger. */
export function compare(ledger: Ledger, found: Map<string, number>, corruptedIds: Set<string>): VerifyCounts {
  const r: VerifyCounts = { lost: 0, duplicated: 0, corrupted: 0, unexpected: 0, uncertain: 0, checked: 0, found: 0, lostIds: [], duplicatedIds: [], corruptedIds: [] };
  for (const e of ledger.entries.values()) {
    r.checked++;
    const k = Ledger.key(e.id, e.user);
    const n = found.get(k) ?? 0;
    r.found += n;
    if (corruptedIds.has(k)) { r.corrupted++; if (r.corruptedIds.length < 20) r.corruptedIds.push(e.id); }
    if (e.state === 'uncertain' || e.state === 'pending') { r.uncertain++; if (n > 1) { r.duplicated++; if (r.duplicatedIds.length < 20) r.duplicatedIds.push(e.id); } continue; }
    if (e.state === 'refused') { if (n > 0) r.unexpected++; continue; }
    if (e.consumed > 1) { r.duplicated++; if (r.duplicatedIds.length < 20) r.duplicatedIds.push(e.id); continue; }
    if (e.consumed === 1) { if (n > 0) { r.duplicated++; if (r.duplicatedIds.length < 20) r.duplicatedIds.push(e.id); } continue; }
    if (n === 0 && !e.mayBeGone) { r.lost++; if (r.lostIds.length < 20) r.lostIds.push(e.id); }
    // Moved messages may legitimately meet COPY duplicates in the destination; count only their loss.
    if (n > 1 && !e.moved) { r.duplicated++; if (r.duplicatedIds.length < 20) r.duplicatedIds.push(e.id); }
  }
  return r;
}
