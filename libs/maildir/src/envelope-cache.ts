/**
 * Per-folder ENVELOPE cache `mailstore.envelopes`: the finished RFC 3501 §7.4.2 text of each
 * message's ENVELOPE (libs/mime/src/envelope-imap.ts), as Dovecot's index cache keeps
 * "imap.envelope". A repeated FETCH 1:* (ENVELOPE) is then a copy per message, without JSON or
 * formatting; the first one reads only message headers (envelope-fetch.ts).
 *
 * A file of its own beside mailstore.cache (cache.ts): the folder index need not know its offsets
 * (they are found by scanning this file, about 20 ms for 100,000 records), and older code, which
 * does not know the file, simply never reads it.
 *
 * Record: [u32 magic][u32 payload length][u32 crc32(uidvalidity..end)][u32 uidvalidity][u32 uid][payload]
 * (big endian; payload = ENVELOPE text, UTF-8). The magic carries ENVELOPE_TEXT_VERSION: records of
 * another text version are skipped, so a change of the formatter never serves old text.
 *
 * Multi-process safety as in cache.ts: append-only, O_APPEND, each batch of whole records is one
 * write(). A torn record (a writer crashed mid-write) fails its checksum; the scan then looks for
 * the next magic, so records appended after it are still found. Checksums are checked once, when
 * a record is indexed: records are never rewritten in place, and a replaced file (another inode) or
 * a shorter one resets the index.
 *
 * I/O is synchronous while storage is fast (fastio.ts) and goes through the thread pool in
 * slow-storage mode; the record logic is written once, as generators that ask for the bytes they
 * need (runSync / runAsync fetch them). Both kinds of reads go through one window, so a FETCH 1:*
 * reads the file in a few large reads either way.
 */
import { close, closeSync, fstat, fstatSync, open, openSync, read, stat, statSync, unlinkSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { ENVELOPE_TEXT_VERSION } from '../../mime/src/envelope-imap.js';
import { readAtSync, syncIo, writeAllSync } from './fastio.js';

const MAGIC = (0x454e5600 | (ENVELOPE_TEXT_VERSION & 0xff)) >>> 0; // "ENV" + version
const HEAD = 20;
/** ENVELOPE text longer than this is not cached (a hostile header stays correct, just uncached). */
const MAX_PAYLOAD = 256 * 1024;
/** Read window for sequential reads and scans. */
const WINDOW = 256 * 1024;
/** Bytes of whole records per write() (one atomic O_APPEND each). */
const BATCH_MAX = 1024 * 1024;
/** Without an append of our own, a miss looks for other processes' records at most this often. */
const SCAN_EVERY_MS = 1000;

const statP = promisify(stat);
const openP = promisify(open);
const fstatP = promisify(fstat);
const closeP = promisify(close);
const readP = (fd: number, buf: Buffer, pos: number): Promise<number> =>
  new Promise((res, rej) => read(fd, buf, 0, buf.length, pos, (e, n) => (e ? rej(e) : res(n))));
const writeP = (fd: number, buf: Buffer, off: number): Promise<number> =>
  new Promise((res, rej) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? rej(e) : res(n))));

/** What the record logic asks its driver for: the window loaded at `off` with at least `len` bytes, or the file size. */
type Need = { off: number; len: number } | 'size';
type Steps<T> = Generator<Need, T, number>;

export class EnvelopeCache {
  /** uid → offset of its record. */
  private readonly offsets = new Map<number, number>();
  private scannedTo = 0;
  private scannedAt = 0;
  /** This process appended since the last scan: the next miss scans at once. */
  private appended = false;
  private rfd = -1;
  /** Inode of the file `offsets` and `scannedTo` describe (0: none yet). */
  private ino = 0;
  private afd = -1;
  private win: Buffer | null = null;
  private winAt = 0;
  /** The buffer sync loads read into (dropped with the window). */
  private winBuf: Buffer | null = null;
  /** The last sync load filled winBuf (the file goes on: the next load may read more at once). */
  private winFilled = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  /** An async flush in progress (slow-storage mode): later flushes wait for it, records stay in order. */
  private writing: Promise<void> | null = null;

  constructor(readonly path: string, public uidValidity: number) {}

  /** A new UIDVALIDITY (or the first one known): records of another one are never served. */
  reset(uidValidity: number): void {
    const old = this.uidValidity;
    this.uidValidity = uidValidity;
    this.offsets.clear();
    this.scannedTo = 0;
    this.scannedAt = 0;
    this.win = null;
    this.pending = [];
    this.pendingBytes = 0;
    // The old records can never be served again: drop the file rather than carry them forever.
    if (old !== 0 && old !== uidValidity) this.removeFile();
  }

  /** Whether a record of `uid` is indexed. */
  has(uid: number): boolean { return this.offsets.has(uid); }

  /** Cached text of `uid`, or null (not cached, or not indexed yet: see refresh()). Sync I/O. */
  get(uid: number): string | null {
    const off = this.offsets.get(uid);
    if (off === undefined) return null;
    // A FETCH 1:* finds nearly every record in the window already: no generator for those.
    const hit = this.held(off, HEAD);
    if (hit && hit.readUInt32BE(0) === MAGIC && hit.readUInt32BE(16) === uid) {
      const payload = this.held(off + HEAD, hit.readUInt32BE(4));
      if (payload) return payload.toString('utf8');
    }
    return this.runSync(this.lookup(uid, off));
  }

  /** get() with the promise API (slow-storage mode). */
  async getAsync(uid: number): Promise<string | null> {
    const off = this.offsets.get(uid);
    if (off === undefined) return null;
    return this.runAsync(this.lookup(uid, off));
  }

  private *lookup(uid: number, off: number): Steps<string | null> {
    const head = yield* this.need(off, HEAD);
    // A load that found the file replaced has cleared the index: this offset means nothing now.
    if (this.offsets.get(uid) !== off) return null;
    if (!head || head.readUInt32BE(0) !== MAGIC || head.readUInt32BE(16) !== uid) { this.offsets.delete(uid); return null; }
    const payload = yield* this.need(off + HEAD, head.readUInt32BE(4));
    if (!payload || this.offsets.get(uid) !== off) { this.offsets.delete(uid); return null; }
    return payload.toString('utf8');
  }

  /** The bytes from the window, asking the driver to load it first when it does not hold them. */
  private *need(off: number, len: number): Steps<Buffer | null> {
    const b = this.held(off, len);
    if (b) return b;
    yield { off, len };
    return this.held(off, len);
  }

  private held(off: number, len: number): Buffer | null {
    const w = this.win;
    if (w && off >= this.winAt && off + len <= this.winAt + w.length) return w.subarray(off - this.winAt, off - this.winAt + len);
    return null;
  }

  /**
   * Before treating a miss as uncached: indexes records appended since the last scan, when this
   * process appended some or the last look is older than SCAN_EVERY_MS. Cheap when nothing is new.
   */
  refresh(): void {
    this.flush();
    if (this.dueScan()) this.runSync(this.scanSteps());
  }

  async refreshAsync(): Promise<void> {
    await this.flushAsync();
    if (this.dueScan()) await this.runAsync(this.scanSteps());
  }

  /** Indexes every record from scannedTo to the end of the file (sync I/O). */
  scan(): void { this.runSync(this.scanSteps()); }

  private dueScan(): boolean {
    return this.appended || Date.now() - this.scannedAt >= SCAN_EVERY_MS;
  }

  private *scanSteps(): Steps<void> {
    this.appended = false;
    this.scannedAt = Date.now();
    const size = yield 'size';
    if (size < 0) return;
    if (size < this.scannedTo) { this.offsets.clear(); this.scannedTo = 0; this.win = null; }
    let pos = this.scannedTo;
    while (pos + HEAD <= size) {
      const head = yield* this.need(pos, HEAD);
      if (!head) break;
      // Fields first: the next load may reuse the window's buffer.
      const len = head.readUInt32BE(4);
      const crc = head.readUInt32BE(8);
      const good = head.readUInt32BE(0) === MAGIC && len <= MAX_PAYLOAD;
      if (good && pos + HEAD + len > size) break; // the tail is still being written (or torn: see below)
      const body = good ? yield* this.need(pos + 12, 8 + len) : null;
      if (body && (crc32(body) >>> 0) === crc) {
        if (body.readUInt32BE(0) === this.uidValidity) this.offsets.set(body.readUInt32BE(4), pos);
        pos += HEAD + len;
        continue;
      }
      // Not a valid record of ours: a torn write, or a record of another text version. Go on at the
      // next magic of our version (a stale version's records are then made again and appended).
      const next = yield* this.findMagic(pos + 1, size);
      if (next < 0) { pos = size - 3; break; }
      pos = next;
    }
    this.scannedTo = pos;
  }

  /** Offset of the next MAGIC at or after `from`, or -1. */
  private *findMagic(from: number, size: number): Steps<number> {
    const m = Buffer.allocUnsafe(4);
    m.writeUInt32BE(MAGIC, 0);
    let at = from;
    while (at + 4 <= size) {
      const w = yield* this.need(at, Math.min(WINDOW, size - at));
      if (!w) return -1;
      const i = w.indexOf(m);
      if (i >= 0) return at + i;
      at += Math.max(1, w.length - 3);
    }
    return -1;
  }

  private runSync<T>(g: Steps<T>): T {
    let r = g.next(0);
    while (!r.done) {
      const need = r.value;
      let v = 0;
      if (need === 'size') {
        v = -1;
        if (this.openReaderSync()) { try { v = fstatSync(this.rfd).size; } catch { this.closeReader(); } }
      } else if (this.openReaderSync()) {
        // Sync loads reuse one buffer (nothing holds a view of the window across a load; see scanSteps);
        // async loads may overlap, so each gets its own.
        // Starts at a page and doubles (up to WINDOW) only while loads fill it: a small folder's cache
        // file does not cost a 256 KB buffer per open folder (thousands of idle sessions each keep
        // their folder open), a 100,000-record file still gets the full read-ahead after a few loads.
        let buf: Buffer;
        if (need.len > WINDOW) buf = Buffer.allocUnsafe(need.len);
        else {
          const cur = this.winBuf?.length ?? 0;
          const want = Math.min(WINDOW, Math.max(need.len, 4096, this.winFilled ? cur * 2 : cur));
          if (cur < want) this.winBuf = Buffer.allocUnsafe(want);
          buf = this.winBuf!;
        }
        this.win = null;
        try {
          const n = readAtSync(this.rfd, buf, need.off);
          this.winFilled = n === buf.length;
          this.setWindow(buf, n, need.off);
        } catch { this.closeReader(); }
      }
      r = g.next(v);
    }
    return r.value;
  }

  private async runAsync<T>(g: Steps<T>): Promise<T> {
    let r = g.next(0);
    while (!r.done) {
      const need = r.value;
      let v = 0;
      if (need === 'size') {
        v = -1;
        if (await this.openReaderAsync()) { try { v = (await fstatP(this.rfd)).size; } catch { this.closeReader(); } }
      } else if (await this.openReaderAsync()) {
        const buf = Buffer.allocUnsafe(Math.max(WINDOW, need.len));
        try { this.setWindow(buf, await readP(this.rfd, buf, need.off), need.off); } catch { this.closeReader(); }
      }
      r = g.next(v);
    }
    return r.value;
  }

  private setWindow(buf: Buffer, n: number, off: number): void {
    this.win = buf.subarray(0, n);
    this.winAt = off;
  }

  /**
   * The read descriptor, on the file now at `path`. Another inode than the one the index was built
   * from (the file was removed and made again) resets the index.
   */
  private openReaderSync(): boolean {
    let ino: number;
    try { ino = statSync(this.path).ino; } catch { this.closeReader(); return false; }
    if (this.rfd >= 0 && ino === this.ino) return true;
    this.closeReader();
    let fd: number;
    try { fd = openSync(this.path, 'r'); ino = fstatSync(fd).ino; } catch { return false; }
    this.adopt(fd, ino);
    return true;
  }

  private async openReaderAsync(): Promise<boolean> {
    let ino: number;
    try { ino = (await statP(this.path)).ino; } catch { this.closeReader(); return false; }
    if (this.rfd >= 0 && ino === this.ino) return true;
    let fd: number;
    try { fd = await openP(this.path, 'r'); ino = (await fstatP(fd)).ino; } catch { return false; }
    // Another call may have opened it meanwhile: keep one descriptor.
    if (this.rfd >= 0 && ino === this.ino) { void closeP(fd).catch(() => undefined); return true; }
    this.closeReader();
    this.adopt(fd, ino);
    return true;
  }

  private adopt(fd: number, ino: number): void {
    if (this.ino !== 0 && ino !== this.ino) {
      // Another file than the one indexed: nothing indexed holds, and appends must go to the new one.
      this.offsets.clear();
      this.scannedTo = 0;
      this.closeAppend();
    }
    this.rfd = fd;
    this.ino = ino;
  }

  /** Queues a record; it is written by flush() (callers flush at the end of a batch) or on the next turn. */
  put(uid: number, text: string): void {
    const len = Buffer.byteLength(text, 'utf8');
    if (len > MAX_PAYLOAD || this.uidValidity === 0) return;
    const rec = Buffer.allocUnsafe(HEAD + len);
    rec.writeUInt32BE(MAGIC, 0);
    rec.writeUInt32BE(len, 4);
    rec.writeUInt32BE(this.uidValidity >>> 0, 12);
    rec.writeUInt32BE(uid >>> 0, 16);
    rec.write(text, HEAD, len, 'utf8');
    rec.writeUInt32BE(crc32(rec.subarray(12)) >>> 0, 8);
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => { this.flushQueued = false; if (syncIo()) this.flush(); else void this.flushAsync(); });
    }
  }

  /** Whole records, up to BATCH_MAX bytes per buffer; empties the queue. */
  private takeBatches(): Buffer[] {
    const recs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const out: Buffer[] = [];
    let k = 0;
    while (k < recs.length) {
      let n = 0;
      const from = k;
      while (k < recs.length && (k === from || n + recs[k]!.length <= BATCH_MAX)) n += recs[k++]!.length;
      out.push(k - from === 1 ? recs[from]! : Buffer.concat(recs.slice(from, k), n));
    }
    return out;
  }

  /**
   * Writes queued records (sync I/O), one write() per batch. Errors only lose cache records.
   * When nobody else appended meanwhile (the file is exactly what was scanned plus our records)
   * the records are indexed here; else the next refresh() scans for them.
   */
  flush(): void {
    if (this.pending.length === 0 || this.writing) return;
    const recs = this.pending;
    try {
      if (this.afd < 0) this.afd = openSync(this.path, 'a', 0o600);
      let total = 0;
      for (const b of this.takeBatches()) { writeAllSync(this.afd, b); total += b.length; }
      const st = fstatSync(this.afd);
      if (this.ino !== 0 && st.ino !== this.ino) {
        this.closeAppend(); // the file was replaced under us: later appends go to the new one
        this.appended = true;
      } else if (st.size - total === this.scannedTo) {
        if (this.ino === 0) this.ino = st.ino;
        let pos = this.scannedTo;
        for (const r of recs) { this.offsets.set(r.readUInt32BE(16), pos); pos += r.length; }
        this.scannedTo = pos;
      } else {
        this.appended = true;
      }
    } catch {
      this.closeAppend();
      this.appended = true;
    }
  }

  /** flush() with the promise API. */
  async flushAsync(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.length === 0) return;
    this.writing = (async () => {
      try {
        if (this.afd < 0) this.afd = await openP(this.path, 'a', 0o600);
        const fd = this.afd;
        for (const b of this.takeBatches()) {
          let n = 0;
          while (n < b.length) n += await writeP(fd, b, n);
        }
        this.appended = true;
      } catch {
        this.closeAppend();
      }
    })().finally(() => { this.writing = null; });
    await this.writing;
  }

  private closeReader(): void {
    if (this.rfd >= 0) { try { closeSync(this.rfd); } catch { /* already gone */ } }
    this.rfd = -1;
    this.win = null;
    this.winBuf = null;
  }

  private closeAppend(): void {
    const fd = this.afd;
    this.afd = -1;
    if (fd < 0) return;
    const done = (): void => { try { closeSync(fd); } catch { /* already gone */ } };
    // An async flush still writing to it closes it when done.
    if (this.writing) void this.writing.then(done); else done();
  }

  private removeFile(): void {
    this.closeReader();
    this.closeAppend();
    try { unlinkSync(this.path); } catch { /* none */ }
    this.ino = 0;
    this.offsets.clear();
    this.scannedTo = 0;
  }

  /** Drops the read window (memory); descriptors stay. */
  dropWindow(): void { this.win = null; this.winBuf = null; }

  /** Writes what is queued and releases descriptors and the window (the folder state is dropped). */
  async close(): Promise<void> {
    await this.flushAsync();
    this.closeReader();
    this.closeAppend();
  }

  /** Deletes the file (the folder's caches are being removed). */
  remove(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.removeFile();
    this.offsets.clear();
    this.scannedTo = 0;
  }
}
