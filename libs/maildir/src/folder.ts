/**
 * One Maildir folder's shared state in this process: the in-memory index every session's Mailbox
 * handle reads (one per folder, not per session), kept in step with the disk by sync().
 *
 * Truth lives on disk, Dovecot-compatible: file names (base + flags) in new/ and cur/, UIDs in
 * dovecot-uidlist (changed only under its dotlock), keyword letters in dovecot-keywords. Our own
 * mailstore.index / mailstore.cache only make opening and FETCH fast; losing them loses nothing
 * but modseq history.
 */
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, copyFile, utimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { closeSync, fstatSync, fsyncSync, openSync, renameSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import type { MessageStructure } from '../../mime/src/types.js';
import { newStructureParser } from './parser.js';
import { StructureCache } from './cache.js';
import { CrlfNormalizer } from './crlf.js';
import { Dotlock } from './dotlock.js';
import { indexParts, MaildirRec, readIndex, writeIndex, type Rec, type RecFields } from './folder-index.js';
import { formatKeywords, isValidKeyword, parseKeywords } from './keywords.js';
import { baseOf, deliveryOrder, flagsToInfo, formatFilename, infoOf, infoToFlags, parseFilename, scanSizes, sortByDeliveryTime } from './maildir-filename.js';
import { Mutex } from './mutex.js';
import { formatUidlist, formatUidlistEntry, formatUidlistHeader, parseUidlist, parseUidlistLines, scanUidlist, type Uidlist, type UidlistEntry } from './uidlist.js';
import { uniqueBase } from './unique.js';
import { TextChunks } from './text-chunks.js';
import { RecsLog } from './recs-log.js';
import { readSmallFile, statQuick, syncIo, yieldIfBusy } from './fastio.js';
import { syncCall } from './fastio.js';
import { wakeSleepers } from './sleepers.js';

export const UIDLIST = 'dovecot-uidlist';
export const KEYWORDS = 'dovecot-keywords';
export const INDEX = 'mailstore.index';
export const CACHE = 'mailstore.cache';
/** Dovecot treats a directory mtime this close to now as possibly hiding a change (1 s granularity). */
const DIRTY_WINDOW_MS = 2000;
/** Longer than the kernel's timestamp granularity for directory times (a jiffy, coarse clock). */
const STAMP_TICK_MS = 50;
/** Dovecot deletes tmp/ files older than 36 hours. */
const TMP_MAX_AGE_MS = 36 * 3600 * 1000;
const INDEX_FLUSH_DELAY_MS = 1000;
/**
 * After a fresh build (reconcileFresh) the index holds nothing the uidlist and the names cannot
 * give again (UIDs, sizes, modseqs in UID order): writing it (~50 ms for 100,000 records) waits
 * until the client's first commands after its first SELECT are served.
 */
const FRESH_INDEX_FLUSH_DELAY_MS = 5000;
/** State of new/ and cur/ before an own change (see adoptOwnChange); epoch >= 0: under that unbroken watch. */
interface OwnBefore { n: string; c: string; epoch: number }
const BOTH_DIRS = { n: true, c: true } as const;
/** An announced own change whose inotify event has not come within this made none (see expectOwn). */
const OWN_EVENT_TTL_MS = 10_000;
/** Files up to this size are read with one read() when parsed (bigger ones are streamed). */
const SMALL_FILE = 256 * 1024;

/** A file that was given a UID, by name. */
interface NamedFile { uid: number; base: string; name: string; inNew: boolean }

export interface ImportItem {
  srcPath: string;
  fsize: number;
  size: number;
  flags: readonly string[];
  internalDate: number;
  structure: MessageStructure | null;
}

export interface FolderEnv {
  hostname: string;
  fsync: boolean;
}

let lastUidValidity = 0;
function newUidValidity(old = 0): number {
  // Time-based as Dovecot does, but strictly increasing within this process and above any old value.
  let v = Math.max(Math.floor(Date.now() / 1000), lastUidValidity + 1, old + 1);
  if (v > 0xffffffff) v = 1;
  lastUidValidity = v;
  return v;
}

function stamp(st: Stats | null): string {
  return st ? `${st.mtimeMs}:${st.ino}:${st.size}` : '';
}

/** A changed copy of a record (keeps a lazy internal date lazy; see MaildirRec). */
function withRec(r: Rec, ch: Partial<Omit<RecFields, 'date' | 'uid' | 'base'>>): Rec {
  return r instanceof MaildirRec ? r.with(ch) : { ...r, ...ch };
}

/**
 * new/ and cur/ as listed, by base: the same base in both (mid-rename) counts once, the cur/ one.
 * Files are numbers into one name list (negative for new/), not an object each: 100,000 files on
 * a first SELECT of a folder with a uidlist.
 */
class Listing {
  private readonly names: string[] = [];
  /** base → file: index into `names`, or -(index + 1) for a file in new/. */
  readonly files = new Map<string, number>();

  constructor(lists: { n: string[]; c: string[] }) {
    this.add(lists.n, true, true);
    this.add(lists.c, false, true);
  }

  /** `replace` false: only bases not listed yet (a second listing adds what the first missed). */
  add(names: readonly string[], inNew: boolean, replace: boolean): void {
    for (const name of names) {
      if (name.charCodeAt(0) === 0x2e) continue; // dot files are not messages
      const b = baseOf(name);
      if (!replace && this.files.has(b)) continue;
      const i = this.names.push(name) - 1;
      this.files.set(b, inNew ? -i - 1 : i);
    }
  }

  has(base: string): boolean { return this.files.has(base); }
  nameOf(f: number): string { return this.names[f < 0 ? -f - 1 : f]!; }
}

/**
 * Sorts records by UID in place. Records come in listing order (names sorted as text, close to
 * but not quite UID order); UIDs are dense, so each goes straight to its slot (O(n), where a
 * comparison sort of 100,000 costs ~30 ms), unless the UIDs are sparse or repeat.
 */
function sortByUid(out: Rec[]): void {
  let min = Infinity, max = -Infinity;
  for (const r of out) { if (r.uid < min) min = r.uid; if (r.uid > max) max = r.uid; }
  const span = max - min + 1;
  if (span > 4 * out.length + 1024) { out.sort((a, b) => a.uid - b.uid); return; }
  const slots = new Array<Rec | undefined>(span);
  for (const r of out) {
    if (slots[r.uid - min] !== undefined) { out.sort((a, b) => a.uid - b.uid); return; }
    slots[r.uid - min] = r;
  }
  let o = 0;
  for (let i = 0; i < span; i++) { const r = slots[i]; if (r !== undefined) out[o++] = r; }
}

/** Whether file `name` has base `base`. */
function sameBase(name: string, base: string): boolean {
  return name.startsWith(base) && (name.length === base.length || name.charCodeAt(base.length) === 0x3a);
}

/**
 * Hash of both listings in order: two independent 32-bit FNV-1a-style hashes plus the counts. Names
 * are written by delivery agents, not chosen by users, so 64 bits suffice; a plain JS loop costs
 * ~10 ms for 100,000 names where join + SHA-256 cost ~100 ms.
 */
function namesDigest(lists: { n: string[]; c: string[] }): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x27d4eb2f;
  for (const names of [lists.n, lists.c]) {
    for (const name of names) {
      for (let i = 0; i < name.length; i++) {
        const c = name.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
      }
      h1 = Math.imul(h1 ^ 0x2f, 0x01000193); // '/' never occurs in a name: separates them
      h2 = Math.imul(h2 ^ 0x2f, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h1 = Math.imul(h1 ^ 0x100, 0x01000193);
    h2 = Math.imul(h2 ^ 0x100, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `${lists.n.length}:${lists.c.length}:${(h1 >>> 0).toString(36)}:${(h2 >>> 0).toString(36)}`;
}

/*
 * rename / unlink / utimes of one file: synchronous while storage is fast (fastio.ts), one syscall
 * instead of a thread-pool round trip and two promise turns. Errors (ENOENT) are the same.
 */
async function renameFile(from: string, to: string): Promise<void> {
  if (syncIo()) syncCall(() => renameSync(from, to)); else await rename(from, to);
}

async function unlinkFile(p: string): Promise<void> {
  if (syncIo()) syncCall(() => unlinkSync(p)); else await unlink(p);
}

async function setFileTime(p: string, ms: number): Promise<void> {
  if (syncIo()) syncCall(() => utimesSync(p, ms / 1000, ms / 1000)); else await utimes(p, ms / 1000, ms / 1000);
}

async function statOrNull(p: string): Promise<Stats | null> {
  try { return await stat(p); } catch { return null; }
}

/** statOrNull, as a syscall rather than a thread-pool trip while storage is fast (fastio.ts). */
async function statFast(p: string): Promise<Stats | null> {
  if (!syncIo()) return statOrNull(p);
  try { return statQuick(p); } catch { return null; }
}

function isENOENT(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** Runs `fn` over items with at most `n` in flight (stats of hand-added files). */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

/** Size of a file as served with CRLF, reading it once (only for files without ,W=). */
async function countVsize(path: string): Promise<number> {
  const norm = new CrlfNormalizer();
  let n = 0;
  for await (const chunk of createReadStream(path)) n += norm.push(chunk as Buffer).length;
  return n;
}

export class FolderState {
  uidValidity = 0;
  nextUid = 1;
  highestModseq = 0;
  guid = '';
  /** UIDs >= this are \Recent for the first read-write handle that syncs (Dovecot's first_recent_uid). */
  firstRecentUid = 0;
  /** All messages, ascending UID. Replaced (never mutated) on change so snapshots can share it. */
  recs: readonly Rec[] = [];
  /** Which records each replacement of `recs` changed (snapshots' changedSince; recs-log.ts). */
  readonly recsLog = new RecsLog();
  /**
   * uid → record and base → record over `recs`, built on first use after each change of `recs`:
   * a first SELECT and its FETCH FLAGS need neither (200,000 map entries off that path).
   */
  private uidIndex: Map<number, Rec> | null = null;
  private baseIndex: Map<string, Rec> | null = null;
  get byUid(): Map<number, Rec> {
    if (!this.uidIndex) {
      const m = new Map<number, Rec>();
      for (const r of this.recs) m.set(r.uid, r);
      this.uidIndex = m;
    }
    return this.uidIndex;
  }
  get byBase(): Map<string, Rec> {
    if (!this.baseIndex) {
      const m = new Map<string, Rec>();
      for (const r of this.recs) m.set(r.base, r);
      this.baseIndex = m;
    }
    return this.baseIndex;
  }
  keywords: (string | undefined)[] = [];
  /** \Recent claims: uid → id of the read-write handle that owns it (RFC 3501 §2.3.2). */
  readonly claims = new Map<number, number>();
  readonly listeners = new Set<() => void>();
  readonly mutex = new Mutex();
  readonly cache: StructureCache;
  refs = 0;
  gone = false;

  private newStamp = '';
  /** Stamps of new/ and cur/ right after this process's own last change (see syncLocked). */
  private adoptedNew = '';
  private adoptedCur = '';
  /** When the directories were last read in full. */
  private scanAt = 0;
  /** watchEpoch when that read began under an inotify watch, else -1 (see syncLocked). */
  private scanWatchEpoch = -1;
  /** Whether dir-watch.ts watches new/ and cur/ (every other process's change there then raises an event). */
  private watched = false;
  /** Bumped whenever watching starts or stops: only an unbroken watch vouches for the time since a scan. */
  private watchEpoch = 0;
  /**
   * Names of this process's own changes in new/ and cur/ whose inotify events are still to come
   * ("cur/<name>" → events expected), so dir-watch.ts can tell them from other processes' changes.
   */
  private ownEvents = new Map<string, number>();
  /** When ownEvents was last empty (announced changes whose event never came are dropped after a while). */
  private ownEventsSince = 0;
  /** Times the directories were read in full (tests and diagnostics: own changes should not cause any). */
  fullScans = 0;
  /** UIDs appendUidlistSync just gave when no uidlist entry was above our records (addOwnLocked skips its walk). */
  private cleanAppend: number[] | null = null;
  private curStamp = '';
  private ulStamp = '';
  private kwStamp = '';
  private dirtyUntil = 0;
  /** Set when a scan saw something half-done (renamed mid-scan): the next sync rescans. */
  private forceNext = false;
  /** namesDigest and uidlist stamp after the last reconcile that took in every file ('' = none). */
  private scanDigest: string | { n: string[]; c: string[] } = '';
  /** Set by reconcileFresh (see syncLocked). */
  private builtFresh = false;
  /** The store's watch, started by the next full read (see watchDuringFirstScan). */
  private startWatch: (() => void) | null = null;
  private scanUlStamp = '';
  /** Cleared by reconcile when it re-read the directories or left a file for the next sync. */
  private scanComplete = true;
  /** uidlist UIDs whose files the previous scan did not find (see reconcile). */
  private missingBefore = new Set<number>();
  private ul: Uidlist | null = null;
  /** dovecot-uidlist as base → uid; after a fresh build, made on first use from `ulFresh`. */
  private ulMap: Map<string, number> | null = new Map();
  /** Files whose bases reconcileFresh gave UIDs first, first + 1, ..., not yet in a map. */
  private ulFresh: { first: number; names: string[] } | null = null;
  private get ulByBase(): Map<string, number> {
    if (!this.ulMap) {
      const m = new Map<string, number>();
      const f = this.ulFresh!;
      for (let i = 0; i < f.names.length; i++) m.set(baseOf(f.names[i]!), f.first + i);
      this.ulMap = m;
      this.ulFresh = null;
    }
    return this.ulMap;
  }
  private set ulByBase(m: Map<string, number>) { this.ulMap = m; this.ulFresh = null; }
  private ulIno = 0;
  /** Expunged records still listed in dovecot-uidlist. */
  private staleUidlist = 0;
  /** Bases of those this process expunged or moved away (forgetLocked), dropped at the next compaction. */
  private readonly forgotten = new Set<string>();
  private ulOffset = 0;
  private ulLastUid = 0;
  private ulHeader = '';
  private flagCache = new Map<string, string[]>();
  /** The same lists keyed by the set of flag letters in a name (see flagsOfName). */
  private flagMaskCache = new Map<number, string[]>();
  private loaded = false;
  /** The first sync of load() is running. */
  private loading = false;
  /** When the disk was last checked (see sync's maxStaleMs). */
  private checkedAt = 0;
  /** Records in new/ (kept by setRecs): \Recent bookkeeping has nothing to do when 0. */
  private inNewCount = 0;
  /** Bumped whenever \Recent claims or candidates change (handles cache their recent sets by it). */
  recentVersion = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushDue = 0;
  private flushing: Promise<void> | null = null;
  private indexDirty = false;

  constructor(readonly dir: string, readonly name: string, readonly env: FolderEnv) {
    this.cache = new StructureCache(join(dir, CACHE), 0);
  }

  get uidlistPath(): string { return join(this.dir, UIDLIST); }
  // Not path.join: its normalising showed in profiles (dir is absolute and normalised, names have no '/').
  pathOf(r: { name: string; inNew: boolean }): string { return `${this.dir}/${r.inNew ? 'new' : 'cur'}/${r.name}`; }

  // ---------------------------------------------------------------- loading and sync

  /** Loads the index (if any) and syncs with the disk. Throws NOTFOUND when the folder does not exist. */
  async load(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.loaded) return;
      const st = await statOrNull(join(this.dir, 'cur'));
      if (!st?.isDirectory()) throw new MailError('NOTFOUND', 'Mailbox does not exist');
      await this.readKeywords();
      const idx = await readIndex(join(this.dir, INDEX));
      if (idx) {
        this.uidValidity = idx.uidValidity;
        this.nextUid = idx.nextUid;
        this.highestModseq = idx.highestModseq;
        this.firstRecentUid = idx.firstRecentUid;
        this.guid = idx.guid;
        this.cache.reset(idx.uidValidity);
        this.cache.scannedTo = idx.cacheScannedTo;
        const recs: Rec[] = [];
        for (const r of idx.recs) {
          const base = baseOf(r.name);
          const rec = new MaildirRec({ uid: r.uid, flags: this.flagsOfName(r.name, base.length), date: r.internalDate, size: r.size, modseq: r.modseq, name: r.name, base, inNew: r.inNew, fsize: r.fsize }, this.dir);
          recs.push(rec);
          if (r.cacheOff !== null) this.cache.offsets.set(r.uid, r.cacheOff);
        }
        this.setRecs(recs);
      }
      this.loaded = true;
      this.loading = true;
      try { await this.syncLocked(true); } finally { this.loading = false; }
      if (!idx) this.firstRecentUid = Math.max(this.firstRecentUid, this.nextUid);
      void this.cleanTmp();
    });
  }

  /**
   * `maxStaleMs` > 0: skip the disk check when one ran that recently. Changes made through this
   * process are in memory at once anyway; this only bounds how late another process's change is
   * seen, and saves the stats and rescans of a folder busy with its own changes.
   */
  sync(force = false, maxStaleMs = 0): Promise<boolean> {
    if (!force && maxStaleMs > 0 && this.loaded && Date.now() - this.checkedAt < maxStaleMs) return Promise.resolve(false);
    return this.mutex.run(() => this.syncLocked(force, maxStaleMs));
  }

  /** Brings the shared state up to date. Stat only unless something changed. Returns whether anything changed. */
  async syncLocked(force = false, maxStaleMs = 0): Promise<boolean> {
    if (this.gone) return false;
    if (!force && maxStaleMs > 0 && Date.now() - this.checkedAt < maxStaleMs) return false;
    this.checkedAt = Date.now();
    const epoch = this.watched ? this.watchEpoch : -1;
    // Four stats per sync: synchronous when storage is fast (fastio.ts), not four thread-pool trips.
    const quick = (p: string): Stats | null => { try { return statQuick(p); } catch { return null; } };
    const [sn, sc, su, sk] = syncIo()
      ? [quick(join(this.dir, 'new')), quick(join(this.dir, 'cur')), quick(this.uidlistPath), quick(join(this.dir, KEYWORDS))]
      : await Promise.all([
        statOrNull(join(this.dir, 'new')), statOrNull(join(this.dir, 'cur')),
        statOrNull(this.uidlistPath), statOrNull(join(this.dir, KEYWORDS)),
      ]);
    if (!sn || !sc) {
      // The folder was deleted or renamed away under us: everything is expunged for our sessions.
      this.gone = true;
      if (this.recs.length) { this.setRecs([]); this.notify(); }
      return true;
    }
    const now = Date.now();
    const nStamp = stamp(sn), cStamp = stamp(sc), uStamp = stamp(su), kStamp = stamp(sk);
    if (!force && nStamp === this.newStamp && cStamp === this.curStamp && uStamp === this.ulStamp &&
        kStamp === this.kwStamp && now >= this.dirtyUntil && !this.forceNext) {
      return false;
    }
    // Only this process's own changes since the last rescan (memory already has them): no readdir,
    // inside the dirty window too. What the stamps can hide is another process's change made in
    // the instant between one of ours and the stat that adopted it. While inotify has watched the
    // folder since the rescan, such a change arrives as an event for a name we did not announce
    // (dirEvent → forceNext); otherwise a rescan runs at least every maildirOwnChangeVerifyMs.
    const verifyMs = epoch >= 0 && this.scanWatchEpoch === epoch ? LIMITS.maildirWatchedOwnChangeVerifyMs : LIMITS.maildirOwnChangeVerifyMs;
    if (!force && nStamp === this.adoptedNew && cStamp === this.adoptedCur && uStamp === this.ulStamp &&
        kStamp === this.kwStamp && !this.forceNext && now - this.scanAt < verifyMs) {
      return false;
    }
    this.forceNext = false;
    this.scanAt = now;
    this.scanWatchEpoch = epoch;
    this.fullScans++;
    // Under a watch, what changes after these stats raises an event (even within the same
    // timestamp tick): the stamps can be trusted at once, without Dovecot's 2-second dirty window.
    this.adoptedNew = epoch >= 0 ? nStamp : '';
    this.adoptedCur = epoch >= 0 ? cStamp : '';
    let kwChanged = false;
    if (kStamp !== this.kwStamp) kwChanged = await this.readKeywords();
    this.newStamp = nStamp;
    this.curStamp = cStamp;
    const newest = Math.max(sn.mtimeMs, sc.mtimeMs);
    this.dirtyUntil = now - newest < DIRTY_WINDOW_MS ? newest + DIRTY_WINDOW_MS : 0;
    const starter = this.startWatch;
    this.startWatch = null;
    const lists = await this.readNames(starter);
    if (starter && epoch < 0 && this.watched) await this.adoptWatchedScan(nStamp, cStamp, now);
    // The same names (same order) and the same uidlist as after the last complete reconcile: nothing
    // to do. Makes the rescans of the 2-second dirty window (and of a folder others keep touching
    // without net change) cost a readdir and a hash, not 100,000 map lookups.
    if (!force && !kwChanged && this.scanDigest !== '' && uStamp === this.scanUlStamp && uStamp === this.ulStamp &&
        namesDigest(lists) === this.digestOfScan()) return false;
    this.scanDigest = '';
    this.scanComplete = true;
    this.builtFresh = false;
    const changed = await this.reconcile(lists, kwChanged);
    if (this.scanComplete && !this.forceNext) {
      // After a fresh build the records hold these very name strings: keeping the two lists costs
      // two arrays, and their hash is computed only when a later rescan compares (not on a first SELECT).
      this.scanDigest = this.builtFresh ? lists : namesDigest(lists);
      this.scanUlStamp = this.ulStamp;
    }
    return changed;
  }

  private digestOfScan(): string {
    if (typeof this.scanDigest !== 'string') this.scanDigest = namesDigest(this.scanDigest);
    return this.scanDigest;
  }

  /**
   * readdir of new/ then cur/ (a message moved new/ → cur/ in between is then seen at least once).
   * `during` runs while the thread pool lists cur/.
   */
  private async readNames(during: (() => void) | null = null): Promise<{ n: string[]; c: string[] }> {
    const out = { n: [] as string[], c: [] as string[] };
    for (const sub of ['new', 'cur'] as const) {
      const listing = readdir(join(this.dir, sub));
      if (sub === 'cur' && during) during();
      try { out[sub === 'new' ? 'n' : 'c'] = await listing; } catch (e) { if (!isENOENT(e)) throw e; }
    }
    return out;
  }

  /**
   * The store's watch (dir-watch.ts) is started by the first full read, while it lists cur/
   * (`startWatch`), not before it: inotify_add_watch walks the directory's cached entries on the
   * main thread (~10 ms for 100,000, several times that on a busy machine), which then overlaps
   * the listing in the thread pool. The read still counts as covered by the watch, as one begun
   * under it would, when new/ and cur/ have the same stamps after the watch began as before the
   * read and their last change is older than a timestamp tick: a change in between would show as
   * another time, a change after it raises an event.
   */
  watchDuringFirstScan(start: () => void): void { this.startWatch = start; }

  /** Runs a start left by watchDuringFirstScan that no read took (the load failed or found the folder gone). */
  startPendingWatch(): void {
    const start = this.startWatch;
    this.startWatch = null;
    start?.();
  }

  private async adoptWatchedScan(nStamp: string, cStamp: string, readAt: number): Promise<void> {
    const sn = await statFast(join(this.dir, 'new'));
    const sc = await statFast(join(this.dir, 'cur'));
    if (!sn || !sc || stamp(sn) !== nStamp || stamp(sc) !== cStamp) return;
    // Whole-second times (no fraction on either: a coarse file system) need a second.
    const tick = sn.mtimeMs % 1000 === 0 && sc.mtimeMs % 1000 === 0 ? 1000 : STAMP_TICK_MS;
    if (readAt - Math.max(sn.mtimeMs, sc.mtimeMs) <= tick) return;
    this.scanWatchEpoch = this.watchEpoch;
    this.adoptedNew = nStamp;
    this.adoptedCur = cStamp;
  }


  /**
   * Reads dovecot-uidlist when it changed since we last read it; null when missing or corrupt.
   * When the same file only grew (records appended under the lock, as Dovecot does), only the new
   * tail is read: a 100,000-line uidlist is not re-parsed for every delivery.
   */
  private async readUidlist(force = false): Promise<Uidlist | null> {
    const st = await statOrNull(this.uidlistPath);
    const s = stamp(st);
    if (!force && this.ul && s === this.ulStamp) return this.ul;
    if (!st) { this.setUl(null, 0, 0); this.ulStamp = ''; return null; }
    if (this.ul && st.ino === this.ulIno && st.size >= this.ulOffset && this.ulOffset > 0) {
      const tail = await this.readTail(st.size);
      if (tail !== null) { this.ulStamp = s; return this.ul; }
    }
    // Read straight into the base → uid map (no entry objects: 100,000 records on a first SELECT
    // of a folder Dovecot or another process already numbered).
    let parsed: Uidlist | null = null;
    let buf: Buffer = Buffer.alloc(0);
    const map = new Map<string, number>();
    let lastUid = 0;
    try {
      buf = await readFile(this.uidlistPath);
      const share = this.recs.length ? this.byBase : null;
      parsed = scanUidlist(buf.toString('utf8'), (uid, base) => {
        map.set(share?.get(base)?.base ?? base, uid);
        lastUid = uid;
      });
    } catch {
      parsed = null;
    }
    this.ulStamp = s;
    this.adoptUl(parsed, parsed ? map : new Map(), lastUid, st.ino, buf.lastIndexOf(0x0a) + 1);
    this.ulHeader = buf.toString('utf8', 0, buf.indexOf(0x0a) + 1);
    return parsed;
  }

  /** Incremental read of appended records; null when the file is not simply a longer version of what we read. */
  private async readTail(size: number): Promise<Uidlist | null> {
    let fh;
    try { fh = await open(this.uidlistPath, 'r'); } catch { return null; }
    try {
      const head = Buffer.alloc(this.ulHeader.length);
      await fh.read(head, 0, head.length, 0);
      if (head.toString('utf8') !== this.ulHeader) return null; // rewritten (inode number reused)
      const prev = Buffer.alloc(1);
      await fh.read(prev, 0, 1, this.ulOffset - 1);
      if (prev[0] !== 0x0a) return null;
      const buf = Buffer.alloc(size - this.ulOffset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.ulOffset);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const entries = parseUidlistLines(complete, this.ulLastUid);
      for (const e of entries) {
        this.ulByBase.set(this.byBase.get(e.base)?.base ?? e.base, e.uid);
        this.ulLastUid = e.uid;
      }
      if (this.ul && this.ulLastUid >= this.ul.nextUid) this.ul = { ...this.ul, nextUid: this.ulLastUid + 1 };
      this.ulOffset += Buffer.byteLength(complete);
      return this.ul;
    } catch {
      return null;
    } finally {
      await fh.close();
    }
  }

  /** Keeps the header and a base → uid map (keys shared with our records' strings to save memory). */
  private setUl(u: Uidlist | null, ino: number, offset: number): void {
    const map = new Map<string, number>();
    const share = u && this.recs.length ? this.byBase : null;
    if (u) for (const e of u.entries) map.set(share?.get(e.base)?.base ?? e.base, e.uid);
    this.adoptUl(u, map, u?.entries.length ? u.entries[u.entries.length - 1]!.uid : 0, ino, offset);
  }

  /** The uidlist header and its base → uid map as read (`offset`: bytes of complete lines). */
  private adoptUl(u: Uidlist | null, map: Map<string, number>, lastUid: number, ino: number, offset: number): void {
    this.ul = u ? { ...u, entries: [] } : null;
    this.ulByBase = map;
    this.ulIno = ino;
    this.ulOffset = u ? offset : 0;
    this.ulLastUid = u ? lastUid : 0;
    this.ulHeader = '';
  }

  /**
   * The uidlist as the base for a change made under the lock: the file if valid, else rebuilt from
   * what we know (our index / in-memory records keep their UIDs; UIDVALIDITY changes only when
   * nothing is known).
   */
  private async uidlistUnderLock(): Promise<Uidlist> {
    const st = await statFast(this.uidlistPath);
    if (st) {
      try {
        const text = await readFile(this.uidlistPath, 'utf8');
        const u = parseUidlist(text);
        this.ulStamp = stamp(st);
        this.setUl(u, st.ino, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
        this.ulHeader = text.slice(0, text.indexOf('\n') + 1);
        return u;
      } catch { /* corrupt: rebuilt below */ }
    }
    const known = [...this.recs];
    const uidValidity = this.uidValidity && known.length ? this.uidValidity : (this.uidValidity || newUidValidity());
    return {
      uidValidity,
      nextUid: Math.max(this.nextUid, 1),
      guid: this.guid || randomBytes(16).toString('hex'),
      extraHeader: [],
      entries: known.map((r) => ({ uid: r.uid, base: r.base, ext: [`W${r.size}`] })),
    };
  }

  private async writeUidlist(lock: Dotlock, u: Uidlist): Promise<void> {
    const text = formatUidlist(u);
    await lock.replace(text, this.env.fsync);
    const st = await statOrNull(this.uidlistPath);
    this.ulStamp = stamp(st);
    this.setUl(u, st?.ino ?? 0, Buffer.byteLength(text));
    this.ulHeader = text.slice(0, text.indexOf('\n') + 1);
  }

  /**
   * Adds records by appending lines to the existing file (Dovecot does the same; the header's N is
   * then behind, readers take max(N, last uid + 1)). Falls back to a rewrite when the file is not a
   * clean, complete one. Releases the lock.
   */
  private async appendUidlist(lock: Dotlock, added: UidlistEntry[]): Promise<void> {
    if (added.length) {
      try {
        const fh = await open(this.uidlistPath, 'r+');
        try {
          const size = (await fh.stat()).size;
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          if (size > 0 && last[0] === 0x0a) {
            await fh.write(added.map(formatUidlistEntry).join(''), size);
            if (this.env.fsync) await fh.sync();
            await fh.close();
            await lock.release();
            await this.readUidlist(true);
            return;
          }
        } finally {
          await fh.close().catch(() => undefined);
        }
      } catch { /* fall through to a rewrite */ }
    }
    const u = await this.uidlistUnderLock();
    const have = new Set(u.entries.map((e) => e.base));
    for (const e of added) if (!have.has(e.base)) u.entries.push(e);
    u.entries.sort((a, b) => a.uid - b.uid);
    for (const e of u.entries) if (e.uid >= u.nextUid) u.nextUid = e.uid + 1;
    await this.writeUidlist(lock, u);
  }

  private async reconcile(lists: { n: string[]; c: string[] }, kwChanged: boolean): Promise<boolean> {
    let ul = await this.readUidlist();
    if (!ul && !this.recs.length) {
      // Nothing known yet and no uidlist (a first SELECT ever): every file gets a UID, in one pass.
      const done = await this.reconcileFresh(lists);
      if (done !== null) return done;
      ul = await this.readUidlist();
    }
    const files = new Listing(lists);
    // A message that vanished may only be mid-rename (flag change by another process): look again.
    let vanished = this.recs.filter((r) => !files.has(r.base));
    const maxKnown = this.recs.length ? this.recs[this.recs.length - 1]!.uid : 0;
    // uidlist entries above what we hold whose files we did not see (see `missing` below).
    const ulSeen = this.ulByBase;
    let unseen: Array<[string, number]> = [];
    if (ul) for (const [b, uid] of ulSeen) if (uid > maxKnown && !files.has(b)) unseen.push([b, uid]);
    if (vanished.length || unseen.length) {
      // Files that got their UID after our readdir are in place by now (rename precedes UID assignment).
      this.scanComplete = false;
      const again = await this.readNames();
      files.add(again.n, true, false);
      files.add(again.c, false, true);
      vanished = vanished.filter((r) => !files.has(r.base));
      unseen = unseen.filter(([b]) => !files.has(b));
    }
    // Which files need a UID written: unknown to the uidlist (a known one keeps its UID), or listed
    // at or below UIDs we already exposed without our having seen them (UIDs of new messages must
    // grow, RFC 3501 §2.3.1.1).
    const needs = (b: string, map: Map<string, number>, maxSeen: number): boolean => {
      const uid = map.get(b);
      return uid === undefined || (uid <= maxSeen && !this.byBase.has(b));
    };
    const needUid = (map: Map<string, number>, maxSeen: number): string[] => {
      const out: string[] = [];
      for (const b of files.files.keys()) if (needs(b, map, maxSeen)) out.push(b);
      return out;
    };
    const anyNeedUid = (map: Map<string, number>, maxSeen: number): boolean => {
      for (const b of files.files.keys()) if (needs(b, map, maxSeen)) return true;
      return false;
    };
    if (ul && this.uidValidity && ul.uidValidity !== this.uidValidity) {
      // Someone rebuilt the uidlist with a new UIDVALIDITY: our UIDs mean nothing any more.
      this.resetForUidValidity(ul.uidValidity);
    }
    if (!ul || anyNeedUid(this.ulByBase, this.maxUid())) {
      const lock = await Dotlock.acquire(this.uidlistPath);
      try {
        const u = await this.uidlistUnderLock();
        if (this.uidValidity && u.uidValidity !== this.uidValidity) this.resetForUidValidity(u.uidValidity);
        const map = new Map(u.entries.map((e) => [e.base, e.uid]));
        const need = needUid(map, this.maxUid());
        if (need.length || !this.ul) {
          const needSet = new Set(need);
          const gone = new Set(vanished.map((r) => r.base));
          u.entries = u.entries.filter((e) => !needSet.has(e.base) && !gone.has(e.base));
          const used = new Set(u.entries.map((e) => e.uid));
          // Order new UIDs by name: unique names start with the delivery time.
          for (const b of sortByDeliveryTime(need)) {
            const known = this.byBase.get(b);
            if (known && !used.has(known.uid) && !map.has(b)) {
              u.entries.push({ uid: known.uid, base: b, ext: [] }); // keep the UID we already gave it
              used.add(known.uid);
              if (u.nextUid <= known.uid) u.nextUid = known.uid + 1;
              continue;
            }
            const uid = Math.max(u.nextUid, this.nextUid);
            u.nextUid = uid + 1;
            u.entries.push({ uid, base: b, ext: [] });
            used.add(uid);
          }
          if (u.nextUid < this.nextUid) u.nextUid = this.nextUid;
          u.entries.sort((a, b) => a.uid - b.uid);
          await this.writeUidlist(lock, u);
        } else {
          await lock.release();
        }
        ul = u;
      } catch (e) {
        await lock.release();
        throw e;
      }
    }
    if (!ul) return false;
    if (!this.uidValidity) this.cache.reset(ul.uidValidity);
    this.uidValidity = ul.uidValidity;
    this.guid = ul.guid;
    this.nextUid = Math.max(this.nextUid, ul.nextUid);

    // Build the new record list.
    let changed = vanished.length > 0;
    const out: Rec[] = [];
    const fresh: NamedFile[] = [];
    const known = this.recs.length ? this.byBase : null;
    for (const [b, f] of files.files) {
      const uid = this.ulByBase.get(b);
      if (uid === undefined) { this.scanComplete = false; continue; } // appeared after the uidlist was written; next sync
      const name = files.nameOf(f);
      const inNew = f < 0;
      const old = known?.get(b);
      if (old && old.uid === uid) {
        if (old.name === name && old.inNew === inNew && !kwChanged) { out.push(old); continue; }
        const flags = this.flagsOfName(name, b.length);
        const same = flags.length === old.flags.length && flags.every((x, i) => x === old.flags[i]);
        out.push(withRec(old, { name, inNew, flags, modseq: same ? old.modseq : ++this.highestModseq }));
        changed = true;
      } else {
        if (old) changed = true; // same base under a new UID: old one expunged
        fresh.push({ uid, base: b, name, inNew });
      }
    }
    // UIDs must reach sessions in ascending order. A uidlist entry above what we knew whose file we
    // did not see was either missed by readdir (a concurrent rename) or expunged a moment ago: hold
    // newer messages back for one more scan. Seen missing twice in a row, it is taken as gone.
    let cutoff = Infinity;
    const missing: number[] = [];
    if (this.ulByBase === ulSeen && ul) for (const [, uid] of unseen) missing.push(uid); // the same uidlist as above
    else for (const [b, uid] of this.ulByBase) if (uid > maxKnown && !files.has(b)) missing.push(uid);
    const firstTime = missing.filter((u) => !this.missingBefore.has(u));
    this.missingBefore = new Set(missing);
    if (firstTime.length && !(await this.quietSinceStamps())) { cutoff = Math.min(...firstTime); this.forceNext = true; }
    if (fresh.length) {
      const slow: NamedFile[] = [];
      const sz = { size: -1, vsize: -1 };
      for (const e of fresh) {
        const r = this.freshRec(e.uid, e.base, e.name, e.inNew, sz);
        if (r) out.push(r); else slow.push(e);
      }
      if (slow.length) cutoff = Math.min(cutoff, await this.statSlow(slow, out));
      changed = true;
    }
    return this.finishRecs(out, cutoff, changed);
  }

  /**
   * The first sync of a folder with no dovecot-uidlist and nothing known (a first SELECT ever):
   * under the uidlist lock, orders every file by delivery time and builds the uidlist text, its
   * base → UID map and the records in one pass (no per-file map of the listing, no entry objects,
   * no sort of the records). Null when the lock showed a uidlist written meanwhile by another
   * process: the general reconcile takes over.
   */
  private async reconcileFresh(lists: { n: string[]; c: string[] }): Promise<boolean | null> {
    // Lock, write and stat with syscalls while storage is fast: the thread-pool trips they would
    // take otherwise each wait for a pool thread to be scheduled, slow on a busy machine.
    const lock = (syncIo() ? Dotlock.tryAcquireSync(this.uidlistPath) : null) ?? await Dotlock.acquire(this.uidlistPath);
    const out: Rec[] = [];
    const slow: NamedFile[] = [];
    let u: Uidlist;
    try {
      u = await this.uidlistUnderLock();
      if (u.entries.length || this.recs.length) { await lock.release(); return null; }
      if (this.uidValidity && u.uidValidity !== this.uidValidity) this.resetForUidValidity(u.uidValidity);
      // Dot files (".", "..", editors' and tools' leftovers) are not messages, as in Listing.
      const visible = (l: string[]): string[] => l.some((x) => x.charCodeAt(0) === 0x2e) ? l.filter((x) => x.charCodeAt(0) !== 0x2e) : l;
      const inNew = visible(lists.n);
      const names = inNew.length ? inNew.concat(visible(lists.c)) : visible(lists.c);
      const nNew = inNew.length;
      // New UIDs in delivery order (unique names start with the delivery time), as Dovecot gives them.
      const order = deliveryOrder(names, baseOf);
      const ulNames: string[] = [];
      const sz = { size: -1, vsize: -1 };
      const first = Math.max(u.nextUid, this.nextUid);
      let uid = first;
      const text = new TextChunks();
      for (let k = 0; k < order.length; k++) {
        let i = order[k]!;
        const base = baseOf(names[i]!);
        // The same base twice (in new/ and cur/ mid-rename): equal bases sort next to each other;
        // the one listed last wins, as in Listing.
        while (k + 1 < order.length && sameBase(names[order[k + 1]!]!, base)) { k++; if (order[k]! > i) i = order[k]!; }
        const name = names[i]!;
        ulNames.push(name);
        text.add(`${uid} :${base}\n`);
        // The base is not kept (records and ulFresh cut it from the name when asked): 100,000
        // fewer strings to survive the young-generation collections of a first SELECT.
        const r = this.freshRec(uid, base, name, i < nNew, sz, false);
        if (r) out.push(r); else slow.push({ uid, base, name, inNew: i < nNew });
        uid++;
      }
      u.nextUid = uid;
      const header = formatUidlistHeader(u) + '\n';
      const data = [Buffer.from(header, 'utf8'), ...text.finish()];
      if (syncIo()) lock.replaceSync(data, this.env.fsync); else await lock.replace(data, this.env.fsync);
      const st = await statFast(this.uidlistPath);
      this.ulStamp = stamp(st);
      this.ul = { ...u, entries: [] };
      this.ulMap = null; // the base → uid map is made when first needed (see ulByBase)
      this.ulFresh = { first, names: ulNames };
      this.ulIno = st?.ino ?? 0;
      this.ulOffset = data.reduce((n, b) => n + b.length, 0);
      this.ulLastUid = ulNames.length ? uid - 1 : 0;
      this.ulHeader = header;
    } catch (e) {
      await lock.release();
      throw e;
    }
    if (!this.uidValidity) this.cache.reset(u.uidValidity);
    this.uidValidity = u.uidValidity;
    this.guid = u.guid;
    this.nextUid = Math.max(this.nextUid, u.nextUid);
    this.missingBefore = new Set();
    this.builtFresh = true;
    const cutoff = slow.length ? await this.statSlow(slow, out) : Infinity;
    return this.finishRecs(out, cutoff, out.length + slow.length > 0, FRESH_INDEX_FLUSH_DELAY_MS);
  }

  /**
   * A record from a name with ,S= and ,W= (ours, Dovecot's): both sizes without a stat, the
   * internal date read when first asked (MaildirRec). Null for a name without them.
   */
  private freshRec(uid: number, base: string, name: string, inNew: boolean, sz: { size: number; vsize: number }, keepBase = true): MaildirRec | null {
    scanSizes(name, base.length, sz);
    if (sz.size < 0 || sz.vsize < 0) return null;
    return new MaildirRec({ uid, flags: this.flagsOfName(name, base.length), date: -1, size: sz.vsize, modseq: 0, name, base: keepBase ? base : undefined, inNew, fsize: sz.size }, this.dir);
  }

  /**
   * flagsOf(the info part of `name`) without cutting it out: the flags depend only on which of the
   * letters a-z and D F R S T occur (infoToFlags), so that set, as bits, is the cache key.
   */
  private flagsOfName(name: string, baseEnd: number): string[] {
    let mask = 0;
    if (name.charCodeAt(baseEnd + 1) === 0x32 && name.charCodeAt(baseEnd + 2) === 0x2c) { // ":2,"
      for (let i = baseEnd + 3; i < name.length; i++) {
        const c = name.charCodeAt(i);
        if (c >= 97 && c <= 122) mask |= 1 << (c - 97);
        else if (c === 68) mask |= 1 << 26; // D
        else if (c === 70) mask |= 1 << 27; // F
        else if (c === 82) mask |= 1 << 28; // R
        else if (c === 83) mask |= 1 << 29; // S
        else if (c === 84) mask |= 1 << 30; // T
      }
    }
    let f = this.flagMaskCache.get(mask);
    if (!f) {
      f = this.flagsOf(infoOf(name, baseEnd));
      this.flagMaskCache.set(mask, f);
    }
    return f;
  }

  /**
   * Records for new files whose names lack the sizes: stat (and read when ,W= is missing) each.
   * Returns the lowest UID whose file vanished meanwhile (Infinity when none): the next sync finds it.
   */
  private async statSlow(slow: NamedFile[], out: Rec[]): Promise<number> {
    let cutoff = Infinity;
    const useSync = syncIo();
    await pool(slow, useSync ? 1 : 16, async ({ uid, base, name, inNew }) => {
      const p = parseFilename(name);
      const path = join(this.dir, inNew ? 'new' : 'cur', name);
      let st: Stats | null;
      // A first SELECT of 100,000 files: sync stats in slices (see fastio.ts), not 100,000 round trips.
      if (useSync) { await yieldIfBusy(); st = statQuick(path); } else {
        try { st = await stat(path); } catch (e) { if (!isENOENT(e)) throw e; st = null; }
      }
      if (!st) { cutoff = Math.min(cutoff, uid); this.forceNext = true; return; } // renamed meanwhile: next sync finds it
      const fsize = st.size;
      let size = p.vsize;
      if (size === null) {
        try { size = await countVsize(path); } catch { cutoff = Math.min(cutoff, uid); this.forceNext = true; return; }
      }
      out.push(new MaildirRec({ uid, flags: this.flagsOf(p.info), date: Math.floor(st.mtimeMs), size, modseq: 0, name, base, inNew, fsize }, this.dir));
    });
    return cutoff;
  }

  /** Installs the reconciled records (ascending UID; new ones, modseq 0, get modseqs in UID order). */
  private finishRecs(out: Rec[], cutoff: number, changed: boolean, flushDelayMs = INDEX_FLUSH_DELAY_MS): boolean {
    if (cutoff !== Infinity) {
      this.scanComplete = false;
      const kept = out.filter((r) => r.uid < cutoff || this.byUid.get(r.uid) !== undefined);
      if (kept.length !== out.length) { out.length = 0; out.push(...kept); }
    }
    if (!changed) return false;
    let ascending = true;
    for (let i = 1; i < out.length && ascending; i++) ascending = out[i - 1]!.uid < out[i]!.uid;
    if (!ascending) sortByUid(out);
    // New records get modseqs in UID order (records with modseq 0 were made above and are not shared
    // yet, so they are set in place: no second copy of 100,000 objects on a first SELECT).
    for (let i = 0; i < out.length; i++) {
      const r = out[i]!;
      if (r.modseq === 0) (r as { modseq: number }).modseq = ++this.highestModseq;
    }
    if (this.claims.size) {
      const newUids = new Set(out.map((r) => r.uid));
      for (const uid of [...this.claims.keys()]) if (!newUids.has(uid)) this.claims.delete(uid);
    }
    this.setRecs(out);
    this.markDirty(flushDelayMs);
    this.notify();
    return true;
  }

  /**
   * Records the directories' stamps after a change this process made and already applied in
   * memory (only when memory was current before it: adopted or freshly scanned stamps).
   */
  private async adoptOwnChange(before: OwnBefore | null, touched: { n: boolean; c: boolean } = BOTH_DIRS): Promise<void> {
    if (!before || this.gone) return;
    if (before.epoch >= 0) {
      // Under an unbroken watch, another process's change made before ours or during it raises an
      // event for a name we did not announce (dirEvent → forceNext): no stamps from before are
      // needed, and only the directories this change touched need a stat.
      if (!this.watchCovered() || before.epoch !== this.watchEpoch) return;
      const n = touched.n ? await this.dirStamp('new') : (this.adoptedNew || this.newStamp);
      const c = touched.c ? await this.dirStamp('cur') : (this.adoptedCur || this.curStamp);
      if (!n || !c) return;
      this.adoptedNew = n;
      this.adoptedCur = c;
      return;
    }
    const inStep = (before.n === this.newStamp && before.c === this.curStamp) || (before.n === this.adoptedNew && before.c === this.adoptedCur);
    if (!inStep) return;
    const n = await this.dirStamp('new');
    const c = await this.dirStamp('cur');
    if (!n || !c) return;
    this.adoptedNew = n;
    this.adoptedCur = c;
  }

  /**
   * Taken before an own change, for adoptOwnChange: under an unbroken watch only its epoch, else
   * the stamps of new/ and cur/ (with the async API too: on slow storage a rescan after every own
   * change would cost far more than two stats).
   */
  private async stampsNow(): Promise<OwnBefore | null> {
    if (this.watchCovered()) return { n: '', c: '', epoch: this.watchEpoch };
    const n = await this.dirStamp('new');
    const c = await this.dirStamp('cur');
    return n && c ? { n, c, epoch: -1 } : null;
  }

  /** Whether inotify has watched new/ and cur/ since the last full read began (see syncLocked, dirEvent). */
  private watchCovered(): boolean {
    return this.watched && this.scanWatchEpoch === this.watchEpoch;
  }

  private async dirStamp(sub: 'new' | 'cur'): Promise<string> {
    const p = join(this.dir, sub);
    return stamp(syncIo() ? statQuick(p) : await statOrNull(p));
  }

  /**
   * True when new/ and cur/ did not change since the stamps this scan started from, on a file
   * system with sub-second timestamps: then the readdirs saw a consistent directory and a uidlist
   * entry without a file is expunged, not mid-rename, so nothing newer needs holding back.
   */
  private async quietSinceStamps(): Promise<boolean> {
    const sn = syncIo() ? statQuick(join(this.dir, 'new')) : await statOrNull(join(this.dir, 'new'));
    const sc = syncIo() ? statQuick(join(this.dir, 'cur')) : await statOrNull(join(this.dir, 'cur'));
    if (!sn || !sc) return false;
    const fine = sn.mtimeMs % 1000 !== 0 || sc.mtimeMs % 1000 !== 0;
    return fine && stamp(sn) === this.newStamp && stamp(sc) === this.curStamp;
  }

  /** The folder was deleted or renamed away by this process: handles see every message expunged. */
  markGone(): void {
    this.gone = true;
    this.setRecs([]);
    this.claims.clear();
    this.notify();
  }

  private resetForUidValidity(uidValidity: number): void {
    this.setRecs([]);
    this.claims.clear();
    this.cache.reset(uidValidity);
    this.uidValidity = uidValidity;
    this.nextUid = 1;
    this.firstRecentUid = 0;
  }

  maxUid(): number {
    return this.recs.length ? this.recs[this.recs.length - 1]!.uid : 0;
  }

  private setRecs(recs: Rec[]): void {
    this.recs = recs;
    this.recsLog.reset(recs);
    this.uidIndex = null;
    this.baseIndex = null;
    let inNew = 0;
    for (let i = 0; i < recs.length; i++) if (recs[i]!.inNew) inNew++;
    this.inNewCount = inNew;
    this.recentVersion++;
    const max = this.maxUid();
    if (max >= this.nextUid) this.nextUid = max + 1;
  }

  /**
   * `recs` after a change this process made to a few records (`drop` removed or replaced by `put`):
   * the uid/base maps, when built, are patched instead of rebuilt, and \Recent bookkeeping is
   * adjusted, so one STORE/APPEND/EXPUNGE costs O(changed), plus one array copy for snapshots.
   */
  private patchRecs(recs: Rec[], put: readonly Rec[], drop: readonly Rec[]): void {
    const ui = this.uidIndex, bi = this.baseIndex;
    let inNew = this.inNewCount;
    for (const r of drop) {
      if (ui?.get(r.uid) === r) ui.delete(r.uid);
      if (bi?.get(r.base) === r) bi.delete(r.base);
      if (r.inNew) inNew--;
    }
    for (const r of put) {
      ui?.set(r.uid, r);
      bi?.set(r.base, r);
      if (r.inNew) inNew++;
    }
    this.recs = recs;
    this.recsLog.patched(recs, put.length + drop.length === 1 ? [(put[0] ?? drop[0])!.uid] : [...put, ...drop].map((r) => r.uid));
    this.inNewCount = inNew;
    this.recentVersion++;
    const max = this.maxUid();
    if (max >= this.nextUid) this.nextUid = max + 1;
  }

  /** Index of `uid` in recs (ascending UIDs), or -1. */
  private indexOfUid(uid: number): number {
    const recs = this.recs;
    let lo = 0, hi = recs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = recs[mid]!.uid;
      if (u === uid) return mid;
      if (u < uid) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  /** The record of `uid` without building the uid map (binary search). */
  recOf(uid: number): Rec | undefined {
    const i = this.indexOfUid(uid);
    return i < 0 ? undefined : this.recs[i];
  }

  /** Flags for an info string; arrays are interned per info string (memory: 100k messages share a few arrays). */
  flagsOf(info: string | null): string[] {
    const key = info ?? '';
    let f = this.flagCache.get(key);
    if (!f) {
      f = infoToFlags(key, (i) => this.keywords[i]);
      this.flagCache.set(key, f);
    }
    return f;
  }

  private async readKeywords(): Promise<boolean> {
    const p = join(this.dir, KEYWORDS);
    const st = await statOrNull(p);
    const s = stamp(st);
    if (s === this.kwStamp) return false;
    this.kwStamp = s;
    let kw: (string | undefined)[] = [];
    if (st) { try { kw = parseKeywords(await readFile(p, 'utf8')); } catch { kw = []; } }
    const changed = kw.length !== this.keywords.length || kw.some((k, i) => k !== this.keywords[i]);
    this.keywords = kw;
    this.flagCache.clear();
    this.flagMaskCache.clear();
    return changed;
  }

  /** Letter indexes for keywords, adding new ones to dovecot-keywords under its lock. */
  private async ensureKeywords(names: readonly string[]): Promise<void> {
    const missing = names.filter((n) => !n.startsWith('\\') && isValidKeyword(n) && this.letterOf(n) < 0);
    if (!missing.length) return;
    const p = join(this.dir, KEYWORDS);
    const lock = await Dotlock.acquire(p);
    try {
      this.kwStamp = '';
      await this.readKeywords();
      const kw = [...this.keywords];
      let added = false;
      for (const n of missing) {
        if (kw.some((k) => k !== undefined && k.toLowerCase() === n.toLowerCase())) continue;
        let i = 0;
        while (i < kw.length && kw[i] !== undefined) i++;
        if (i >= LIMITS.maildirMaxKeywords) {
          throw new MailError('LIMIT', 'Too many keywords in this mailbox');
        }
        kw[i] = n;
        added = true;
      }
      if (added) {
        await lock.replace(formatKeywords(kw), this.env.fsync);
        this.kwStamp = '';
        await this.readKeywords();
      } else {
        await lock.release();
      }
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  letterOf(kw: string): number {
    const l = kw.toLowerCase();
    return this.keywords.findIndex((k) => k !== undefined && k.toLowerCase() === l);
  }

  // ---------------------------------------------------------------- change notification, index

  notify(): void {
    // Hibernated sessions (sleepers.ts) hold no handle on this state: they wait on its directory.
    // Not for the first read of a state (a re-open finds the disk as it is; a change on it woke
    // them through their own watch): one client's wake would otherwise wake the user's others.
    if (!this.loading) wakeSleepers(this.dir);
    for (const l of [...this.listeners]) {
      setImmediate(() => { try { l(); } catch { /* a listener's bug must not break others */ } });
    }
  }

  /** A file was placed in this folder without going through this state (lazy delivery): the next sync rescans. */
  changedOnDisk(): void {
    this.forceNext = true;
    this.checkedAt = 0;
  }

  /** dir-watch.ts started or stopped watching new/ and cur/. */
  setWatched(on: boolean): void {
    this.watched = on;
    this.watchEpoch++;
    this.ownEvents.clear();
  }

  /**
   * Announces a change this process is about to make in new/ or cur/ (a rename into or out of it,
   * an unlink, a link), so that its inotify event is not taken for another process's.
   */
  expectOwn(sub: 'new' | 'cur', name: string): void {
    if (!this.watched) return;
    const now = Date.now();
    if (this.ownEvents.size === 0) this.ownEventsSince = now;
    else if (now - this.ownEventsSince > OWN_EVENT_TTL_MS) {
      // Some announced change made no event (it failed): forget them; at worst a pending event of
      // ours now looks foreign and costs one rescan.
      this.ownEvents.clear();
      this.ownEventsSince = now;
    }
    const k = `${sub}/${name}`;
    this.ownEvents.set(k, (this.ownEvents.get(k) ?? 0) + 1);
  }

  /**
   * An inotify event on new/ or cur/ (dir-watch.ts). Returns true when another process changed
   * the folder (the caller syncs): the next sync then reads the directories whatever the stamps say.
   */
  dirEvent(sub: 'new' | 'cur', type: string, filename: string | null): boolean {
    // IN_ATTRIB / IN_MODIFY: a link count or time changed (another process hard-linked one of our
    // files into its folder). Maildir files are never rewritten and flags live in the name.
    if (type === 'change' && filename) return false;
    const k = filename ? `${sub}/${filename}` : '';
    const n = this.ownEvents.get(k);
    if (n !== undefined) {
      if (n <= 1) this.ownEvents.delete(k); else this.ownEvents.set(k, n - 1);
      return false;
    }
    this.changedOnDisk();
    return true;
  }

  markDirty(delayMs = INDEX_FLUSH_DELAY_MS): void {
    this.indexDirty = true;
    const due = Date.now() + delayMs;
    if (this.flushTimer && this.flushDue <= due) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushDue = due;
    this.flushTimer = setTimeout(() => { this.flushTimer = null; void this.flush().catch(() => undefined); }, delayMs);
    this.flushTimer.unref();
  }

  /** Writes mailstore.index now if anything changed. */
  async flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = null; }
    while (this.flushing) await this.flushing;
    if (!this.indexDirty || this.gone || !this.uidValidity) return;
    this.indexDirty = false;
    this.flushing = (async () => {
      await this.cache.scan().catch(() => undefined);
      const parts = indexParts({
        uidValidity: this.uidValidity, nextUid: this.nextUid, highestModseq: this.highestModseq,
        firstRecentUid: this.firstRecentUid, cacheScannedTo: this.cache.scannedTo, guid: this.guid,
      }, this.recs, this.cache.offsets);
      await writeIndex(join(this.dir, INDEX), parts, this.env.fsync).catch((e) => { if (!isENOENT(e)) throw e; });
    })();
    try { await this.flushing; } finally { this.flushing = null; }
  }

  // ---------------------------------------------------------------- \Recent

  /** RFC 3501 §2.3.2: a read-write handle claims every recent message nobody claimed; new/ → cur/. */
  async claimRecent(handleId: number): Promise<void> {
    // Nothing new since the last claim (the common case): no walk over every record.
    if (this.inNewCount === 0 && this.firstRecentUid >= this.nextUid) return;
    if (this.inNewCount === 0) {
      // Only new UIDs (an APPEND, a delivery to cur/): they sit at the end of recs, nothing to
      // rename, so no walk over every record and no copy (synchronous, so no lock needed).
      const recs = this.recs;
      for (let i = recs.length - 1; i >= 0 && recs[i]!.uid >= this.firstRecentUid; i--) {
        if (!this.claims.has(recs[i]!.uid)) this.claims.set(recs[i]!.uid, handleId);
      }
      this.firstRecentUid = this.nextUid;
      this.markDirty();
      this.recentVersion++;
      return;
    }
    await this.mutex.run(async () => {
      let moved = false;
      const before = await this.stampsNow();
      const recs = [...this.recs];
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i]!;
        if ((r.inNew || r.uid >= this.firstRecentUid) && !this.claims.has(r.uid)) this.claims.set(r.uid, handleId);
        if (r.inNew) {
          const name = formatFilename(r.base, parseFilename(r.name).info ?? '');
          this.expectOwn('new', r.name);
          this.expectOwn('cur', name);
          await yieldIfBusy(); // 100,000 delivered messages: sync renames in slices
          try {
            await renameFile(this.pathOf(r), join(this.dir, 'cur', name));
            recs[i] = withRec(r, { name, inNew: false });
            moved = true;
          } catch (e) {
            if (!isENOENT(e)) throw e; // another process moved or expunged it: next sync sees it
          }
        }
      }
      if (this.firstRecentUid < this.nextUid) { this.firstRecentUid = this.nextUid; this.markDirty(); }
      this.recentVersion++;
      if (moved) { this.setRecs(recs); await this.adoptOwnChange(before); this.markDirty(); }
    });
  }

  /** UIDs recent for a handle: its claims, or (read-only) what would be recent if claimed now. */
  recentFor(handleId: number, readOnly: boolean): Set<number> {
    const out = new Set<number>();
    if (!readOnly || (this.inNewCount === 0 && this.firstRecentUid >= this.nextUid)) {
      // Only this handle's claims can make a message recent for it.
      for (const [uid, h] of this.claims) if (h === handleId && this.byUid.has(uid)) out.add(uid);
      return out;
    }
    for (const r of this.recs) {
      const owner = this.claims.get(r.uid);
      if (owner === handleId) out.add(r.uid);
      else if (readOnly && owner === undefined && (r.inNew || r.uid >= this.firstRecentUid)) out.add(r.uid);
    }
    return out;
  }

  recentCount(): number {
    let n = 0;
    for (const r of this.recs) if (this.claims.has(r.uid) || r.inNew || r.uid >= this.firstRecentUid) n++;
    return n;
  }

  dropClaims(handleId: number): void {
    for (const [uid, h] of this.claims) if (h === handleId) this.claims.delete(uid);
    this.recentVersion++;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Registers files already renamed into new/ or cur/ (and fsynced): assigns UIDs under the uidlist
   * lock, then syncs. Returns the UIDs in the order given.
   */
  private async registerLocked(items: Array<{ base: string; size: number; structure: MessageStructure | null; name?: string; inNew?: boolean; date?: number }>, before: OwnBefore | null = null): Promise<number[]> {
    const lock = (syncIo() ? Dotlock.tryAcquireSync(this.uidlistPath) : null) ?? await Dotlock.acquire(this.uidlistPath);
    let uids: number[] = [];
    try {
      const fast = this.appendUidlistSync(lock, items);
      const cur = fast ? null : await this.readUidlist(true);
      const maxSeen = this.maxUid();
      if (fast) uids = fast;
      else if (cur !== null && (!this.uidValidity || cur.uidValidity === this.uidValidity) &&
        items.every((it) => { const h = this.ulByBase.get(it.base); return h === undefined || h > maxSeen; })) {
        // New records appended to the file.
        let next = Math.max(cur.nextUid, this.nextUid, this.ulLastUid + 1);
        const added: UidlistEntry[] = [];
        uids = items.map((it) => {
          const have = this.ulByBase.get(it.base);
          if (have !== undefined) return have; // a concurrent sync already assigned it
          const uid = next++;
          added.push({ uid, base: it.base, ext: [`W${it.size}`] });
          return uid;
        });
        await this.appendUidlist(lock, added);
      } else {
        const u = await this.uidlistUnderLock();
        if (this.uidValidity && u.uidValidity !== this.uidValidity) this.resetForUidValidity(u.uidValidity);
        const byBase = new Map(u.entries.map((e) => [e.base, e.uid]));
        uids = items.map((it) => {
          const have = byBase.get(it.base);
          if (have !== undefined && have > this.maxUid()) return have;
          const uid = Math.max(u.nextUid, this.nextUid);
          u.nextUid = uid + 1;
          if (have !== undefined) u.entries = u.entries.filter((e) => e.base !== it.base);
          u.entries.push({ uid, base: it.base, ext: [`W${it.size}`] });
          return uid;
        });
        u.entries.sort((a, b) => a.uid - b.uid);
        await this.writeUidlist(lock, u);
      }
    } catch (e) {
      await lock.release();
      throw e;
    }
    if (!this.uidValidity) this.cache.reset(this.ul!.uidValidity);
    for (let i = 0; i < items.length; i++) {
      const s = items[i]!.structure;
      if (s) await this.cache.put(uids[i]!, s).catch(() => undefined);
    }
    if (!(await this.addOwnLocked(items, uids, before))) await this.syncLocked(true);
    return uids;
  }

  /**
   * The common case of registerLocked, with synchronous calls while storage is fast: the uidlist
   * is still the file we last read or wrote (same stamp, we hold its lock, it ends with a complete
   * line), so the new lines are appended without reading it again and our copy is updated in
   * memory. Releases the lock and returns the UIDs; null (lock still held) when not that case.
   */
  private appendUidlistSync(lock: Dotlock, items: ReadonlyArray<{ base: string; size: number }>): number[] | null {
    const ul = this.ul;
    if (!syncIo() || !ul || (this.uidValidity && ul.uidValidity !== this.uidValidity) || this.ulOffset <= 0) return null;
    const st = statQuick(this.uidlistPath);
    if (!st || st.ino !== this.ulIno || st.size !== this.ulOffset || stamp(st) !== this.ulStamp) return null;
    for (const it of items) if (this.ulByBase.has(it.base)) return null;
    // uidlist UIDs ascend (uidlist.ts checks): ulLastUid bounds every entry we hold.
    const noneAbove = this.ulLastUid <= this.maxUid();
    let next = Math.max(ul.nextUid, this.nextUid, this.ulLastUid + 1);
    const added: UidlistEntry[] = items.map((it) => ({ uid: next++, base: it.base, ext: [`W${it.size}`] }));
    const text = Buffer.from(added.map(formatUidlistEntry).join(''), 'utf8');
    let after: Stats;
    let fd: number;
    try { fd = syncCall(() => openSync(this.uidlistPath, 'r+')); } catch { return null; } // replaced meanwhile: the slow path
    try {
      syncCall(() => {
        let n = 0;
        while (n < text.length) n += writeSync(fd, text, n, text.length - n, st.size + n);
        if (this.env.fsync) fsyncSync(fd);
      });
      after = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
    lock.releaseSync();
    for (const e of added) this.ulByBase.set(e.base, e.uid);
    this.ulLastUid = added[added.length - 1]?.uid ?? this.ulLastUid;
    this.ulOffset += text.length;
    if (this.ulLastUid >= ul.nextUid) this.ul = { ...ul, nextUid: this.ulLastUid + 1 };
    this.ulStamp = stamp(after);
    const uids = added.map((e) => e.uid);
    if (noneAbove) this.cleanAppend = uids;
    return uids;
  }

  /**
   * Adds records for files this process just placed and registered, without rescanning the
   * directories, when that keeps UIDs reaching sessions in ascending order: every uidlist entry
   * above what we hold must be one of ours (else another process's message would slip in below
   * ours and the full sync does it). The next regular sync still reconciles with the disk.
   */
  private async addOwnLocked(items: Array<{ base: string; size: number; name?: string; inNew?: boolean; date?: number }>, uids: number[], before: OwnBefore | null): Promise<boolean> {
    const clean = this.cleanAppend === uids;
    this.cleanAppend = null;
    if (this.gone || !this.ul || this.forceNext) return false;
    const max = this.maxUid();
    if (uids.some((u) => u <= max)) return false;
    if (!clean) {
      const mine = new Set(uids);
      for (const uid of this.ulByBase.values()) if (uid > max && !mine.has(uid)) return false;
    }
    const added: Rec[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.name === undefined || it.inNew === undefined || this.ulByBase.get(it.base) !== uids[i]) return false;
      let date: number, fsize: number;
      if (it.date !== undefined && before && before.epoch >= 0) {
        // Our own APPEND (file written with CRLF, mtime set to the internal date): nothing to stat.
        // Were it renamed or expunged meanwhile, that other process's event makes the next sync read.
        date = Math.floor(it.date);
        fsize = it.size;
      } else {
        const path = join(this.dir, it.inNew ? 'new' : 'cur', it.name);
        const st = syncIo() ? statQuick(path) : await statOrNull(path);
        if (!st) return false; // renamed or expunged already: the full sync sorts it out
        date = Math.floor(st.mtimeMs);
        fsize = st.size;
      }
      added.push(new MaildirRec({ uid: uids[i]!, flags: this.flagsOf(parseFilename(it.name).info), date, size: it.size, modseq: 0, name: it.name, base: it.base, inNew: it.inNew, fsize }, this.dir));
    }
    added.sort((a, b) => a.uid - b.uid);
    // Not shared with anyone yet: modseqs set in place, in UID order.
    for (const r of added) (r as { modseq: number }).modseq = ++this.highestModseq;
    this.uidValidity = this.ul.uidValidity;
    if (!this.guid) this.guid = this.ul.guid;
    this.patchRecs(this.recs.concat(added), added, []);
    await this.adoptOwnChange(before, { n: added.some((r) => r.inNew), c: added.some((r) => !r.inNew) });
    this.markDirty();
    this.notify();
    return true;
  }

  /** APPEND / delivery of a file fully written and fsynced in tmp/. */
  async addFromTmp(tmpPath: string, p: { size: number; flags: readonly string[]; internalDate: number; delivery: boolean; structure: MessageStructure | null }): Promise<number> {
    return this.mutex.run(async () => {
      await this.syncLocked(false, LIMITS.maildirSyncMaxStaleMs);
      if (this.gone) throw new MailError('NOTFOUND', 'Mailbox does not exist');
      await this.ensureKeywords(p.flags);
      const before = await this.stampsNow();
      const base = uniqueBase(this.env.hostname, p.size, p.size);
      const info = flagsToInfo(p.flags, (k) => this.letterOf(k));
      // Delivered mail goes to new/ without an info part, as every Maildir MDA does.
      const name = p.delivery ? base : formatFilename(base, info);
      const sub = p.delivery ? 'new' : 'cur';
      await setFileTime(tmpPath, p.internalDate);
      this.expectOwn(sub, name);
      await renameFile(tmpPath, join(this.dir, sub, name));
      if (this.env.fsync) await fsyncDir(join(this.dir, sub));
      const [uid] = await this.registerLocked([{ base, size: p.size, structure: p.structure, name, inNew: p.delivery, date: p.internalDate }], before);
      return uid!;
    });
  }

  /**
   * Copy (hard link, as Dovecot does) or move (rename: the message is always in exactly one place)
   * files from another folder into this one, keeping flags and internal date. Returns the new UIDs
   * (null for an item whose source vanished).
   */
  async importFiles(items: ImportItem[], move: boolean): Promise<Array<number | null>> {
    return this.mutex.run(async () => {
      await this.syncLocked(false, LIMITS.maildirSyncMaxStaleMs);
      if (this.gone) throw new MailError('NOTFOUND', 'Mailbox does not exist');
      const kws = new Set<string>();
      for (const it of items) for (const f of it.flags) if (!f.startsWith('\\')) kws.add(f);
      await this.ensureKeywords([...kws]);
      const before = await this.stampsNow();
      const placed: Array<{ idx: number; base: string; size: number; structure: MessageStructure | null; name: string; inNew: boolean }> = [];
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        const base = uniqueBase(this.env.hostname, it.fsize, it.size);
        const name = formatFilename(base, flagsToInfo(it.flags, (k) => this.letterOf(k)));
        const target = join(this.dir, 'cur', name);
        this.expectOwn('cur', name);
        try {
          if (move) await rename(it.srcPath, target);
          else await link(it.srcPath, target);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') continue;
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw e;
          // Different filesystem or no hard links: copy through tmp/, keep the date, then place.
          const tmp = join(this.dir, 'tmp', `${base}.copy`);
          try { await copyFile(it.srcPath, tmp); } catch (e2) { if (isENOENT(e2)) continue; throw e2; }
          await utimes(tmp, it.internalDate / 1000, it.internalDate / 1000);
          if (this.env.fsync) { const fh = await open(tmp, 'r+'); try { await fh.sync(); } finally { await fh.close(); } }
          await rename(tmp, target);
          if (move) await unlink(it.srcPath).catch(() => undefined);
        }
        placed.push({ idx: i, base, size: it.size, structure: it.structure, name, inNew: false });
      }
      if (this.env.fsync) await fsyncDir(join(this.dir, 'cur'));
      const out: Array<number | null> = items.map(() => null);
      if (!placed.length) return out;
      const uids = await this.registerLocked(placed, before);
      placed.forEach((p, i) => { out[p.idx] = uids[i]!; });
      return out;
    });
  }

  /** Removes uidlist entries and records of files this process already unlinked / moved away. */
  private async forgetLocked(bases: string[]): Promise<void> {
    if (!bases.length) return;
    const set = new Set(bases);
    // Gone for good (their UIDs are never given again): the stale uidlist lines must not look like
    // unseen newer messages to reconcile() or addOwnLocked().
    for (const b of bases) { this.ulByBase.delete(b); this.forgotten.add(b); }
    const gone: Rec[] = [];
    for (const b of bases) { const r = this.byBase.get(b); if (r) gone.push(r); }
    let recs: Rec[];
    const i = gone.length === 1 ? this.indexOfUid(gone[0]!.uid) : -1;
    if (i >= 0) { recs = this.recs.slice(); recs.splice(i, 1); } else {
      const uids = new Set(gone.map((r) => r.uid));
      recs = this.recs.filter((r) => !uids.has(r.uid));
    }
    for (const r of gone) this.claims.delete(r.uid);
    this.patchRecs(recs, [], gone);
    // Like Dovecot, expunged records stay in dovecot-uidlist until enough pile up to rewrite it
    // (they are harmless: their files are gone and their UIDs are never given again).
    this.staleUidlist += bases.length;
    if (this.staleUidlist > Math.max(100, recs.length / 4)) {
      const lock = await Dotlock.acquire(this.uidlistPath);
      try {
        const u = await this.uidlistUnderLock();
        const max = this.maxUid();
        // Keep what we know plus what others added that we have not seen yet. Not the lines of
        // messages we expunged earlier: above our highest UID (the last APPENDs, expunged again)
        // they would pass as others' unseen messages and make every later APPEND rescan the folder.
        u.entries = u.entries.filter((e) => !set.has(e.base) && !this.forgotten.has(e.base) && (this.byBase.has(e.base) || e.uid > max));
        await this.writeUidlist(lock, u);
        this.staleUidlist = 0;
        this.forgotten.clear();
      } catch (e) {
        await lock.release();
        throw e;
      }
    }
    this.markDirty();
    this.notify();
  }

  forget(bases: string[]): Promise<void> {
    return this.mutex.run(() => this.forgetLocked(bases));
  }

  /** Current path of a message; after a failed rename/unlink re-finds it by base (flags changed meanwhile). */
  private async refind(base: string): Promise<Rec | undefined> {
    await this.syncLocked(true);
    return this.byBase.get(base);
  }

  async setFlags(uids: readonly number[], op: 'add' | 'remove' | 'replace', flags: readonly string[], unchangedSince?: number): Promise<{ updated: Rec[]; modified: number[] }> {
    return this.mutex.run(async () => {
      await this.syncLocked(false, LIMITS.maildirSyncMaxStaleMs);
      if (op !== 'remove') await this.ensureKeywords(flags);
      const before = await this.stampsNow();
      const updated: Rec[] = [];
      const modified: number[] = [];
      const changedRecs = new Map<number, Rec>();
      for (const uid of uids) {
        let rec = this.byUid.get(uid);
        if (!rec) continue;
        if (unchangedSince !== undefined && rec.modseq > unchangedSince) { modified.push(uid); continue; }
        const cur = new Set(rec.flags);
        let next: Set<string>;
        if (op === 'replace') next = new Set(flags);
        else if (op === 'add') next = new Set([...cur, ...flags]);
        else { const rm = new Set(flags.map((f) => f.toLowerCase())); next = new Set([...cur].filter((f) => !rm.has(f.toLowerCase()))); }
        const info = flagsToInfo([...next], (k) => this.letterOf(k), parseFilename(rec.name).info);
        const newFlags = this.flagsOf(info);
        const same = newFlags.length === rec.flags.length && newFlags.every((f, i) => f === rec!.flags[i]);
        if (same && !rec.inNew) { updated.push(rec); continue; }
        const name = formatFilename(rec.base, info);
        let done = false;
        for (let attempt = 0; attempt < 3 && rec; attempt++) {
          this.expectOwn(rec.inNew ? 'new' : 'cur', rec.name);
          this.expectOwn('cur', name);
          await yieldIfBusy(); // STORE 1:* on a large folder: sync renames in slices
          try {
            await renameFile(this.pathOf(rec), join(this.dir, 'cur', name));
            done = true;
            break;
          } catch (e) {
            if (!isENOENT(e)) throw e;
            rec = await this.refind(rec.base); // renamed or expunged by someone else
          }
        }
        if (!done || !rec) continue;
        const nr: Rec = withRec(rec, { name, inNew: false, flags: newFlags, modseq: same ? rec.modseq : ++this.highestModseq });
        changedRecs.set(nr.uid, nr);
        this.byUid.set(nr.uid, nr);
        this.byBase.set(nr.base, nr);
        updated.push(nr);
      }
      if (changedRecs.size) {
        const recs = this.recs.slice();
        const put: Rec[] = [];
        const drop: Rec[] = [];
        for (const nr of changedRecs.values()) {
          const i = this.indexOfUid(nr.uid);
          if (i < 0) continue; // expunged meanwhile (found by a refind's full sync)
          drop.push(recs[i]!);
          recs[i] = nr;
          put.push(nr);
        }
        this.patchRecs(recs, put, drop);
        await this.adoptOwnChange(before, { n: drop.some((r) => r.inNew), c: true });
        this.markDirty();
        this.notify();
      }
      return { updated, modified };
    });
  }

  /** Unlinks messages with \Deleted (only `uids` when given). Returns the removed records. */
  async expunge(uids?: readonly number[]): Promise<Rec[]> {
    return this.mutex.run(async () => {
      await this.syncLocked(false, LIMITS.maildirSyncMaxStaleMs);
      const before = await this.stampsNow();
      let targets: Rec[];
      if (uids && uids.length < this.recs.length / 8) {
        // UID EXPUNGE of a few messages (RFC 4315): binary searches, not a walk over every record.
        targets = [];
        for (const u of [...new Set(uids)].sort((a, b) => a - b)) {
          const r = this.recOf(u);
          if (r?.flags.includes('\\Deleted')) targets.push(r);
        }
      } else {
        const only = uids ? new Set(uids) : null;
        targets = this.recs.filter((r) => r.flags.includes('\\Deleted') && (!only || only.has(r.uid)));
      }
      const removed: Rec[] = [];
      for (const t of targets) {
        let rec: Rec | undefined = t;
        for (let attempt = 0; attempt < 3 && rec; attempt++) {
          this.expectOwn(rec.inNew ? 'new' : 'cur', rec.name);
          await yieldIfBusy();
          try {
            await unlinkFile(this.pathOf(rec));
            removed.push(rec);
            break;
          } catch (e) {
            if (!isENOENT(e)) throw e;
            rec = await this.refind(rec.base);
            if (rec && !rec.flags.includes('\\Deleted')) rec = undefined;
          }
        }
      }
      if (this.env.fsync && removed.length) {
        await fsyncDir(join(this.dir, 'cur'));
      }
      await this.forgetLocked(removed.map((r) => r.base));
      if (removed.length) await this.adoptOwnChange(before, { n: removed.some((r) => r.inNew), c: removed.some((r) => !r.inNew) });
      return removed.sort((a, b) => a.uid - b.uid);
    });
  }

  // ---------------------------------------------------------------- reads

  /**
   * A small message's bytes as stored, read synchronously (fastio.ts); null when large, missing
   * (renamed by a flag change: the async path re-finds it) or unreadable.
   */
  readSmall(uid: number): Buffer | null {
    const rec = this.byUid.get(uid);
    if (!rec || rec.fsize > SMALL_FILE) return null;
    try { return readSmallFile(this.pathOf(rec), SMALL_FILE); } catch { return null; }
  }

  /** Opens the file of a message, re-finding it when a concurrent flag change renamed it. */
  async openFile(uid: number): Promise<{ fh: import('node:fs/promises').FileHandle; rec: Rec }> {
    let rec = this.byUid.get(uid);
    for (let attempt = 0; attempt < 3 && rec; attempt++) {
      try {
        return { fh: await open(this.pathOf(rec), 'r'), rec };
      } catch (e) {
        if (!isENOENT(e)) throw e;
        rec = await this.mutex.run(() => this.refind(rec!.base));
        if (rec && rec.uid !== uid) rec = undefined;
      }
    }
    throw new MailError('EXPUNGED', 'Message was expunged');
  }

  async structure(uid: number): Promise<MessageStructure> {
    if (!this.byUid.has(uid)) throw new MailError('EXPUNGED', 'Message was expunged');
    const cached = await this.cache.get(uid).catch(() => null);
    if (cached) return cached;
    const parser = await newStructureParser();
    if (!parser) throw new MailError('INTERNAL', 'MIME parser unavailable');
    const small = syncIo() ? this.readSmall(uid) : null;
    if (small) {
      // The parser counts a bare LF as CRLF itself (offsets in CRLF bytes): no normalising copy needed.
      parser.write(small);
      const s = parser.end();
      // Not awaited: the cache batches writes (cache.ts); a lost record only costs a re-parse.
      void this.cache.put(uid, s).catch(() => undefined);
      this.markDirty();
      return s;
    }
    const { fh, rec } = await this.openFile(uid);
    const norm = new CrlfNormalizer();
    try {
      if (rec.fsize <= SMALL_FILE) {
        // Most mail is small: one read instead of a stream (fewer thread-pool round trips).
        const buf = Buffer.allocUnsafe(rec.fsize + 1);
        let n = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
          if (bytesRead === 0) break;
          n += bytesRead;
          if (n === buf.length) break;
        }
        if (n <= rec.fsize) parser.write(norm.push(buf.subarray(0, n)));
        else {
          // The file grew since we indexed it: read it all as a stream.
          parser.write(norm.push(buf.subarray(0, n)));
          for await (const chunk of fh.createReadStream({ autoClose: false, start: n })) parser.write(norm.push(chunk as Buffer));
        }
      } else {
        for await (const chunk of fh.createReadStream({ autoClose: false })) parser.write(norm.push(chunk as Buffer));
      }
    } finally {
      await fh.close();
    }
    const s = parser.end();
    await this.cache.put(uid, s).catch(() => undefined);
    this.markDirty();
    return s;
  }

  /** Deletes tmp/ leftovers older than 36 hours (crashed deliveries), as Dovecot does. */
  async cleanTmp(): Promise<void> {
    const dir = join(this.dir, 'tmp');
    let names: string[];
    try { names = await readdir(dir); } catch { return; }
    const limit = Date.now() - TMP_MAX_AGE_MS;
    for (const n of names) {
      const p = join(dir, n);
      const st = await statOrNull(p);
      if (st && st.isFile() && Math.max(st.mtimeMs, st.atimeMs) < limit) await unlink(p).catch(() => undefined);
    }
  }
}

/** Creates the cur/new/tmp directories of a folder (and the `maildirfolder` marker for non-INBOX). */
export async function makeFolderDirs(dir: string, isInbox: boolean): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Every delivery opens the account: the three in parallel, EEXIST (the usual case) costs no stat.
  await Promise.all(['cur', 'new', 'tmp'].map((s) => mkdir(join(dir, s), { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  })));
  if (!isInbox) {
    const fh = await open(join(dir, 'maildirfolder'), 'a', 0o600);
    await fh.close();
  }
}
