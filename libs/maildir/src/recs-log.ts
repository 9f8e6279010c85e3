/**
 * Which messages changed between two of a folder's record arrays (MailboxSnapshot.changedSince).
 * FolderState replaces its array on every change and never mutates one it handed out; after a
 * change of a few records (patchRecs: a STORE, APPEND or EXPUNGE) this log keeps their UIDs, so a
 * session's view looks at those few instead of walking both arrays per command (in a 500-message
 * folder that walk, two arrays' worth of cache misses, was the largest cost of a STORE).
 */

/** Changes kept: a view more changes behind diffs the arrays instead. */
const LOG_MAX = 64;

export class RecsLog {
  /** Record array → the version it is (arrays die with the snapshots holding them). */
  private readonly versions = new WeakMap<readonly unknown[], number>();
  private version = 0;
  /** changes[k]: the UIDs version base + k + 1 changed (put, replaced or dropped). */
  private changes: Array<readonly number[]> = [];
  private base = 0;

  /** The folder's records were replaced wholesale (a rescan): nothing older can be diffed by the log. */
  reset(recs: readonly unknown[]): void {
    this.versions.set(recs, ++this.version);
    this.changes = [];
    this.base = this.version;
  }

  /** `recs` differs from the array before it only in the records of `uids`. */
  patched(recs: readonly unknown[], uids: readonly number[]): void {
    this.versions.set(recs, ++this.version);
    this.changes.push(uids);
    if (this.changes.length > LOG_MAX) { this.changes.shift(); this.base++; }
  }

  /** UIDs whose records differ between `from` and `to` (ascending, each once), or null when the log cannot tell. */
  between(from: readonly unknown[], to: readonly unknown[]): number[] | null {
    const a = this.versions.get(from);
    const b = this.versions.get(to);
    if (a === undefined || b === undefined || a > b || a < this.base || b > this.base + this.changes.length) return null;
    const out: number[] = [];
    for (let v = a; v < b; v++) for (const u of this.changes[v - this.base]!) out.push(u);
    if (out.length < 2) return out;
    out.sort((x, y) => x - y);
    let n = 1;
    for (let i = 1; i < out.length; i++) if (out[i] !== out[n - 1]) out[n++] = out[i]!;
    out.length = n;
    return out;
  }
}
