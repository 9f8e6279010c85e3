/**
 * Per-folder structure cache `mailstore.cache`: append-only records, so concurrent writers (several
 * processes, O_APPEND, one write() per record) never corrupt each other and a crash can only leave
 * a torn tail, which the checksum finds and readers skip.
 *
 * Record: [u32 BE payload length][u32 BE crc32(payload)][payload]
 * payload: "<uidvalidity> <uid> <JSON MessageStructure>"
 *
 * The in-memory map is uid → file offset (~40 bytes per message); structures are read by offset on
 * demand. Offsets are persisted in the folder index so opening a folder does not scan this file.
 *
 * ENVELOPE text lives apart, in mailstore.envelopes (envelope-cache.ts), owned by this object so it
 * is reset, closed and removed with it; every structure put here also caches its ENVELOPE text.
 */
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { MessageStructure } from '../../mime/src/types.js';
import { formatEnvelope } from '../../mime/src/envelope-imap.js';
import { EnvelopeCache } from './envelope-cache.js';
import { fstatSync } from 'node:fs';
import { readAtSync, statQuick, syncIo, writeAllSync } from './fastio.js';

export const ENVELOPES = 'mailstore.envelopes';

const HEADER = 8;
/** Larger records than this are not cached (a hostile message with 10,000 parts stays correct, just uncached). */
const MAX_RECORD = 4 * 1024 * 1024;
/** Read-ahead window (bytes) for sequential reads of many records. */
const WINDOW = 256 * 1024;
const SCAN_EVERY_MS = 1000;
const BATCH_MAX = 1024 * 1024;

export class StructureCache {
  readonly offsets = new Map<number, number>();
  /** File offset up to which records have been indexed into `offsets`. */
  scannedTo = 0;
  private scannedAt = 0;
  /**
   * Read side: one descriptor kept open and a read-ahead window of the file, so a FETCH 1:*
   * (ENVELOPE) reads the cache in a few large reads instead of open/read/close per message.
   * Records are never rewritten in place (append-only), so window bytes stay valid until the file
   * is replaced, which reopen() notices by inode.
   */
  private rfh: FileHandle | null = null;
  private rino = 0;
  private win: Buffer | null = null;
  private winAt = 0;
  private winLoad: Promise<void> | null = null;
  /** Append side: one O_APPEND descriptor; each batch of whole records is one write() (atomic append). */
  private afh: Promise<FileHandle> | null = null;
  private opening: Promise<FileHandle | null> | null = null;
  /** UIDs we appended whose offsets are not indexed yet: a miss on one of them scans at once. */
  private readonly written = new Set<number>();
  private pending: Buffer[] = [];
  private pendingUids: number[] = [];
  /** UIDs whose records are queued or being written. */
  private readonly queued = new Set<number>();
  private pendingBytes = 0;
  private batch: Promise<void> | null = null;

  /** The folder's ENVELOPE text cache (envelope-cache.ts): its file sits beside this one and shares its life. */
  readonly envelopes: EnvelopeCache;

  constructor(readonly path: string, public uidValidity: number) {
    this.envelopes = new EnvelopeCache(join(dirname(path), ENVELOPES), uidValidity);
  }

  reset(uidValidity: number): void {
    this.envelopes.reset(uidValidity);
    this.offsets.clear();
    this.written.clear();
    this.scannedTo = 0;
    this.uidValidity = uidValidity;
    this.win = null;
  }

  async get(uid: number): Promise<MessageStructure | null> {
    let off = this.offsets.get(uid);
    if (off === undefined) {
      // A miss parses the message (correct, only slower): at most one scan for others' appends
      // per SCAN_EVERY_MS, not one per message of a FETCH 1:* over uncached mail.
      if (this.queued.has(uid) && this.batch) await this.batch.catch(() => undefined);
      if (Date.now() - this.scannedAt < SCAN_EVERY_MS && !this.written.has(uid)) return null;
      await this.scan();
      off = this.offsets.get(uid);
      if (off === undefined) return null;
    }
    const rec = await this.readAt(off);
    if (!rec || rec.uid !== uid || rec.uidValidity !== this.uidValidity) {
      this.offsets.delete(uid);
      return null;
    }
    try {
      return JSON.parse(rec.json) as MessageStructure;
    } catch {
      return null;
    }
  }

  /**
   * Appends a record. Records queued while a write is in flight go out together in the next
   * write (one write() per batch: still an atomic O_APPEND of whole records), so parsing 100,000
   * messages does not wait for 100,000 thread-pool round trips. Resolves when the record is written.
   */
  put(uid: number, s: MessageStructure): Promise<void> {
    // A parsed structure has the envelope too: cache its text for FETCH ENVELOPE (delivery and
    // APPEND parse every message, so their envelopes never need a header read later).
    if (!this.envelopes.has(uid)) this.envelopes.put(uid, formatEnvelope(s.envelope));
    const payload = Buffer.from(`${this.uidValidity} ${uid} ${JSON.stringify(s)}`, 'utf8');
    if (payload.length > MAX_RECORD) return Promise.resolve();
    const head = Buffer.alloc(HEADER);
    head.writeUInt32BE(payload.length, 0);
    head.writeUInt32BE(crc32(payload) >>> 0, 4);
    this.pending.push(head, payload);
    this.pendingUids.push(uid);
    this.queued.add(uid);
    this.pendingBytes += HEADER + payload.length;
    if (!this.batch) this.batch = this.writeBatches();
    return this.batch;
  }

  private async writeBatches(): Promise<void> {
    try {
      if (!this.afh) {
        this.afh = open(this.path, 'a', 0o600);
        this.afh.catch(() => { this.afh = null; });
      }
      const fh = await this.afh;
      while (this.pending.length) {
        // Whole records (head + payload pairs), up to about BATCH_MAX bytes per write.
        let k = 0, n = 0;
        while (k < this.pending.length && (k === 0 || n < BATCH_MAX)) { n += this.pending[k]!.length + this.pending[k + 1]!.length; k += 2; }
        const bufs = this.pending.splice(0, k);
        const uids = this.pendingUids.splice(0, k / 2);
        this.pendingBytes -= n;
        const data = Buffer.concat(bufs, n);
        try {
          if (syncIo()) writeAllSync(fh.fd, data); else await fh.write(data);
        } finally {
          for (const u of uids) this.queued.delete(u);
        }
        for (const u of uids) this.written.add(u);
      }
    } finally {
      this.pending.length = 0;
      for (const u of this.pendingUids) this.queued.delete(u);
      this.pendingUids.length = 0;
      this.pendingBytes = 0;
      this.batch = null;
    }
  }

  /** The read descriptor, reopened when the file was replaced (another inode) or appeared. */
  private reader(check: boolean): Promise<FileHandle | null> {
    if (this.rfh && !check) return Promise.resolve(this.rfh);
    // One (re)open at a time: concurrent callers share it (no descriptor left to the GC).
    if (!this.opening) this.opening = this.openReader().finally(() => { this.opening = null; });
    return this.opening;
  }

  private async openReader(): Promise<FileHandle | null> {
    let ino = 0;
    try {
      // Every scan (each index flush, about once a second per busy folder) checks the inode.
      const st = syncIo() ? statQuick(this.path) : await stat(this.path);
      if (!st) throw new Error('ENOENT');
      ino = st.ino;
    } catch { await this.closeReader(); return null; }
    if (this.rfh && ino === this.rino) return this.rfh;
    await this.closeReader();
    try { this.rfh = await open(this.path, 'r'); } catch { return null; }
    this.rino = (await this.rfh.stat()).ino;
    return this.rfh;
  }

  private async closeReader(): Promise<void> {
    const fh = this.rfh;
    this.rfh = null;
    this.win = null;
    if (fh) await fh.close().catch(() => undefined);
  }

  /** Bytes [off, off+len) from the window, loading a new window at `off` when needed. */
  private async bytesAt(off: number, len: number): Promise<Buffer | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const w = this.win;
      if (w && off >= this.winAt && off + len <= this.winAt + w.length) return w.subarray(off - this.winAt, off - this.winAt + len);
      if (attempt === 1) return null;
      if (this.winLoad) { await this.winLoad; continue; }
      this.winLoad = (async () => {
        const fh = await this.reader(false);
        if (!fh) { this.win = null; return; }
        const buf = Buffer.allocUnsafe(Math.max(WINDOW, len));
        const bytesRead = syncIo() ? readAtSync(fh.fd, buf, off) : (await fh.read(buf, 0, buf.length, off)).bytesRead;
        this.win = buf.subarray(0, bytesRead);
        this.winAt = off;
      })().finally(() => { this.winLoad = null; });
      await this.winLoad;
      // Another caller may have replaced the window meanwhile: loop and check again.
      const w2 = this.win as Buffer | null;
      if (w2 && off >= this.winAt && off + len <= this.winAt + w2.length) return w2.subarray(off - this.winAt, off - this.winAt + len);
    }
    return null;
  }

  /** Indexes records appended since the last scan (by us or by other processes). */
  async scan(): Promise<void> {
    this.scannedAt = Date.now();
    const fh = await this.reader(true);
    if (!fh) return;
    const size = syncIo() ? fstatSync(fh.fd).size : (await fh.stat()).size;
    if (size < this.scannedTo) { this.offsets.clear(); this.scannedTo = 0; this.win = null; } // file was replaced
    let pos = this.scannedTo;
    while (pos + HEADER <= size) {
      const head = await this.bytesAt(pos, HEADER);
      if (!head) break;
      const len = head.readUInt32BE(0);
      if (len > MAX_RECORD || pos + HEADER + len > size) break; // torn tail: a writer is mid-append or crashed
      // Only the "<uidvalidity> <uid> " prefix is needed to index; the checksum is verified on read.
      const pre = await this.bytesAt(pos + HEADER, Math.min(len, 24));
      if (!pre) break;
      const m = /^([0-9]+) ([0-9]+) /.exec(pre.toString('latin1'));
      if (m && Number(m[1]) === this.uidValidity) { this.offsets.set(Number(m[2]), pos); this.written.delete(Number(m[2])); }
      pos += HEADER + len;
    }
    this.scannedTo = pos;
  }

  private async readAt(off: number): Promise<{ uidValidity: number; uid: number; json: string } | null> {
    let head = await this.bytesAt(off, HEADER);
    if (!head) return null;
    const len = head.readUInt32BE(0);
    if (len > MAX_RECORD) return null;
    let payload = await this.bytesAt(off + HEADER, len);
    if (!payload || (crc32(payload) >>> 0) !== head.readUInt32BE(4)) {
      // The window may predate this record (appended since): read it fresh once.
      this.win = null;
      head = await this.bytesAt(off, HEADER);
      if (!head || head.readUInt32BE(0) !== len) return null;
      payload = await this.bytesAt(off + HEADER, len);
      if (!payload || (crc32(payload) >>> 0) !== head.readUInt32BE(4)) return null;
    }
    const s = payload.toString('utf8');
    const m = /^([0-9]+) ([0-9]+) /.exec(s);
    if (!m) return null;
    return { uidValidity: Number(m[1]), uid: Number(m[2]), json: s.slice(m[0].length) };
  }

  /** Releases descriptors and the read window (the folder state is being dropped or went idle). */
  async close(): Promise<void> {
    await this.envelopes.close();
    await this.closeReader();
    const a = this.afh;
    this.afh = null;
    if (a) await a.then((fh) => fh.close()).catch(() => undefined);
  }

  /** Drops the read window (memory) but keeps the descriptors. */
  dropWindow(): void { this.win = null; this.envelopes.dropWindow(); }

  async size(): Promise<number> {
    try { return (await stat(this.path)).size; } catch { return 0; }
  }

  async remove(): Promise<void> {
    await this.close();
    this.envelopes.remove();
    await unlink(this.path).catch(() => undefined);
    this.offsets.clear();
    this.scannedTo = 0;
  }
}
