/**
 * A Mailbox handle: one session's view of a folder. The records live in the shared FolderState;
 * the handle adds what is per session: read-only mode, its \Recent claims, its watch listeners.
 */
import { Readable } from 'node:stream';
import { MailError } from '../../core/src/errors.js';
import type { CopyResult, FlagOp, Mailbox, MailboxSnapshot, MailboxWatch, StoreResult } from '../../mailstore/src/types.js';
import type { MessageStructure } from '../../mime/src/types.js';
import { CrlfNormalizer, CrlfRangeStream } from './crlf.js';
import { syncIo } from './fastio.js';
import type { FolderState } from './folder.js';
import { readPop3Uidls } from './pop3-uidl.js';
import { envelopeTexts } from './envelope-fetch.js';
import { envelopeOfHeader, headerOfFileSync } from './header-read.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';
import { watchFolder } from './dir-watch.js';
import { sleepOn } from './sleepers.js';

let handleCounter = 0;

/**
 * A small message already in memory, pre-filled and ended. `for await` yields the one Buffer
 * directly: the stream iterator of Node would, on a consumer's early `break` (FETCH stops at the
 * announced length), destroy the not-yet-'end'ed stream with an AbortError and its stack trace.
 */
class MemoryReadable extends Readable {
  constructor(private readonly data: Buffer | null) {
    super({ read() {} });
    if (data) this.push(data);
    this.push(null);
  }

  override async *[Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    if (this.data && !this.destroyed) yield this.data;
  }
}

/** What a handle needs from its account (copy/move, quota bookkeeping, release). */
export interface MailboxOwner {
  copyMove(src: FolderState, uids: readonly number[], dest: string, move: boolean): Promise<CopyResult>;
  expunged(bytes: number, count: number): Promise<void>;
  release(state: FolderState, drop?: boolean): Promise<void>;
}

export class MaildirMailbox implements Mailbox {
  readonly id = ++handleCounter;
  private closed = false;
  private readonly myListeners = new Set<() => void>();
  /** Cross-process change watches (dir-watch.ts) held for each listener. */
  private readonly dirWatches = new Map<() => void, () => void>();
  private recent: Set<number> = new Set();
  private recentVersion = -1;
  private recentOf: readonly unknown[] | null = null;
  /** The records and UIDVALIDITY the last sync() returned (sleep() compares them). */
  private synced: { recs: readonly unknown[]; uidValidity: number } | null = null;

  constructor(readonly name: string, readonly readOnly: boolean, private readonly state: FolderState, private readonly owner: MailboxOwner) {}

  /** dovecot-uidlist "P" fields (POP3 UIDLs kept from a migration); see pop3-uidl.ts. */
  async pop3Uidls(): Promise<ReadonlyMap<number, string>> {
    this.live();
    return readPop3Uidls(this.state.uidlistPath);
  }

  private live(): void {
    if (this.closed) throw new MailError('INTERNAL', 'Mailbox handle is closed');
  }

  private writable(): void {
    this.live();
    if (this.readOnly) throw new MailError('PERM', 'Mailbox is read-only');
  }

  async sync(opts?: { maxStaleMs?: number }): Promise<MailboxSnapshot> {
    this.live();
    const s = this.state;
    await s.sync(false, opts?.maxStaleMs ?? 0);
    if (!this.readOnly && !s.gone) await s.claimRecent(this.id);
    // The same Set while nothing about \Recent changed: views skip re-diffing an unchanged snapshot.
    if (this.recentVersion !== s.recentVersion || this.recentOf !== s.recs) {
      this.recent = s.recentFor(this.id, this.readOnly);
      this.recentVersion = s.recentVersion;
      this.recentOf = s.recs;
    }
    this.synced = { recs: s.recs, uidValidity: s.uidValidity };
    const recs = s.recs;
    return {
      uidValidity: s.uidValidity,
      uidNext: s.nextUid,
      highestModseq: s.highestModseq,
      messages: recs,
      recent: this.recent,
      keywords: s.keywords.filter((k): k is string => k !== undefined),
      changedSince: (earlier) => s.recsLog.between(earlier, recs),
    };
  }

  async structure(uid: number): Promise<MessageStructure> {
    this.live();
    return this.state.structure(uid);
  }

  /** Header-only and cached (envelope-fetch.ts): FETCH ENVELOPE parses no message body. */
  async envelopes(uids: readonly number[]): Promise<Array<string | null>> {
    this.live();
    return envelopeTexts(this.state, uids);
  }

  /** Header only (header-read.ts): FETCH BODY[HEADER.FIELDS (...)] parses and caches no MIME structure. */
  async header(uid: number): Promise<Buffer> {
    this.live();
    const rec = this.state.byUid.get(uid);
    if (!rec) throw new MailError('EXPUNGED', 'Message was expunged');
    const h = syncIo() ? headerOfFileSync(this.state.pathOf(rec), rec.fsize !== rec.size) : undefined;
    if (h) return h;
    // Slow storage, a file renamed meanwhile or a long header: the structure knows where the body starts.
    const st = await this.state.structure(uid);
    const bufs: Buffer[] = [];
    for await (const c of await this.open(uid, 0, st.body.bodyStart)) bufs.push(c as Buffer);
    return Buffer.concat(bufs);
  }

  /**
   * header(uid) and the ENVELOPE text envelopes([uid]) gives, from one read of the file: the first
   * FETCH (ENVELOPE BODY.PEEK[HEADER.FIELDS (...)]) of a message opens it once, not twice.
   */
  async headerAndEnvelope(uid: number): Promise<{ header: Buffer; envelope: string }> {
    this.live();
    if (!syncIo()) {
      const [envelope] = await this.envelopes([uid]);
      if (envelope === null || envelope === undefined) throw new MailError('EXPUNGED', 'Message was expunged');
      return { header: await this.header(uid), envelope };
    }
    const cache = this.state.cache.envelopes;
    let envelope = cache.get(uid);
    const header = await this.header(uid);
    if (envelope === null) {
      // As envelopeTexts: one look for records appended since (other processes, earlier batches).
      cache.refresh();
      envelope = cache.get(uid);
    }
    if (envelope === null) {
      envelope = formatEnvelope(envelopeOfHeader(header));
      cache.put(uid, envelope);
    }
    return { header, envelope };
  }

  async open(uid: number, start = 0, end?: number): Promise<Readable> {
    this.live();
    const rec0 = this.state.byUid.get(uid);
    const small = rec0 && syncIo() ? this.state.readSmall(uid) : null;
    if (rec0 && small) {
      // Small message (most mail): read in one go, no file handle kept open while the client reads.
      const data = rec0.fsize === rec0.size ? small : new CrlfNormalizer().push(small);
      const stop = Math.min(end ?? data.length, data.length);
      const from = Math.max(0, Math.min(start, stop));
      // Pre-filled and ended: a consumer may take it all with one read() (POP3 RETR does: one
      // socket write per message), and iterating it costs no async-generator turns.
      return new MemoryReadable(from < stop ? data.subarray(from, stop) : null);
    }
    const { fh, rec } = await this.state.openFile(uid);
    const stop = Math.min(end ?? rec.size, rec.size);
    const from = Math.max(0, Math.min(start, stop));
    if (from >= stop) {
      await fh.close();
      return Readable.from([]);
    }
    if (rec.fsize === rec.size) {
      // Stored with CRLF (our own files): serve the bytes as they are.
      return fh.createReadStream({ start: from, end: stop - 1 });
    }
    // Bare-LF file (Dovecot's own or placed by hand): normalise while reading.
    const src = fh.createReadStream();
    const out = new CrlfRangeStream(from, stop);
    out.once('range-done', () => { src.unpipe(out); src.destroy(); out.end(); });
    out.once('close', () => src.destroy());
    src.once('error', (e) => out.destroy(e));
    src.pipe(out);
    return out;
  }

  async store(uids: readonly number[], op: FlagOp, flags: readonly string[], unchangedSince?: number): Promise<StoreResult> {
    this.writable();
    const clean = flags.filter((f) => f.toLowerCase() !== '\\recent');
    const r = await this.state.setFlags(uids, op, clean, unchangedSince);
    return { updated: r.updated, modified: r.modified };
  }

  async expunge(uids?: readonly number[]): Promise<number[]> {
    this.writable();
    const removed = await this.state.expunge(uids);
    if (removed.length) await this.owner.expunged(removed.reduce((n, r) => n + r.fsize, 0), removed.length);
    return removed.map((r) => r.uid);
  }

  async copy(uids: readonly number[], dest: string): Promise<CopyResult> {
    this.live();
    return this.owner.copyMove(this.state, uids, dest, false);
  }

  async move(uids: readonly number[], dest: string): Promise<CopyResult> {
    this.writable();
    return this.owner.copyMove(this.state, uids, dest, true);
  }

  watch(onChange: () => void): () => void {
    this.live();
    const fn = (): void => { if (!this.closed) onChange(); };
    this.myListeners.add(fn);
    this.state.listeners.add(fn);
    const unwatchDir = watchFolder(this.state);
    this.dirWatches.set(fn, unwatchDir);
    return () => { this.myListeners.delete(fn); this.state.listeners.delete(fn); this.dirWatches.get(fn)?.(); this.dirWatches.delete(fn); };
  }

  /** Closes the handle and drops the folder state now if no one else holds it; sleepers.ts watches the folder meanwhile. */
  async sleep(onChange: () => void): Promise<MailboxWatch> {
    this.live();
    const s = this.state;
    // The watch first, then one disk check: a change made before the watch began is found by the
    // check, or was already taken in by the state (another handle synced it) and differs from what
    // this handle's last sync() returned.
    const w = sleepOn(s.dir, onChange);
    let changed = false;
    try {
      await s.sync();
      changed = !this.synced || this.synced.recs !== s.recs || this.synced.uidValidity !== s.uidValidity || s.gone;
    } catch {
      changed = true;
    }
    try {
      await this.release(true);
    } catch (e) {
      w.cancel(onChange);
      throw e;
    }
    if (changed && w.cancel(onChange)) setImmediate(onChange);
    return w;
  }

  close(): Promise<void> {
    return this.release(false);
  }

  private async release(drop: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.myListeners) this.state.listeners.delete(fn);
    this.myListeners.clear();
    for (const release of this.dirWatches.values()) release();
    this.dirWatches.clear();
    this.state.dropClaims(this.id);
    await this.owner.release(this.state, drop);
  }
}
