/**
 * The message header as the script sees it while editheader (RFC 5293) changes it: tests after
 * addheader/deleteheader see the edited fields (§5). Tracks the edits so the caller can apply
 * them while streaming the message: new fields at the top or bottom, original ones dropped.
 */
import type { HeaderEdits, SieveMessage } from './types.js';

interface Entry { value: string; orig: number; added: Added | null }
interface Added { name: string; value: string }

export class HeaderView {
  private readonly lists = new Map<string, Entry[]>();
  private readonly prepend: Added[] = [];
  private readonly append: Added[] = [];
  private readonly deleted: Array<{ name: string; index: number }> = [];
  private edited = false;

  constructor(private readonly msg: SieveMessage) {}

  private list(name: string): Entry[] {
    const key = name.toLowerCase();
    let l = this.lists.get(key);
    if (!l) {
      l = this.msg.header(key).map((value, orig) => ({ value, orig, added: null }));
      this.lists.set(key, l);
    }
    return l;
  }

  /** Raw unfolded values of the field, top to bottom, edits applied. */
  values(name: string): string[] {
    return this.list(name).map((e) => e.value);
  }

  add(name: string, value: string, last: boolean): void {
    this.edited = true;
    const a: Added = { name, value };
    const e: Entry = { value, orig: -1, added: a };
    if (last) { this.list(name).push(e); this.append.push(a); } else { this.list(name).unshift(e); this.prepend.unshift(a); }
  }

  /** Deletes the occurrences (0-based positions in values(name)) for which `drop` says true. */
  delete(name: string, drop: (value: string, position: number) => boolean): void {
    const l = this.list(name);
    const keep: Entry[] = [];
    l.forEach((e, k) => {
      if (!drop(e.value, k)) { keep.push(e); return; }
      this.edited = true;
      if (e.added) {
        for (const arr of [this.prepend, this.append]) { const at = arr.indexOf(e.added); if (at >= 0) arr.splice(at, 1); }
      } else this.deleted.push({ name: name.toLowerCase(), index: e.orig });
    });
    this.lists.set(name.toLowerCase(), keep);
  }

  edits(): HeaderEdits | null {
    if (!this.edited) return null;
    return {
      prepend: this.prepend.map((a) => ({ ...a })),
      append: this.append.map((a) => ({ ...a })),
      deleted: [...this.deleted].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index)),
    };
  }
}
