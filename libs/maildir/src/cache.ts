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
 */
import { open, stat, unlink } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { MessageStructure } from '../../mime/src/types.js';

const HEADER = 8;
/** Larger records than this are not cached (a hostile message with 10,000 parts stays correct, just uncached). */
const MAX_RECORD = 4 * 1024 * 1024;

export class StructureCache {
  readonly offsets = new Map<number, number>();
  /** File offset up to which records have been indexed into `offsets`. */
  scannedTo = 0;

  constructor(readonly path: string, public uidValidity: number) {}

  reset(uidValidity: number): void {
    this.offsets.clear();
    this.scannedTo = 0;
    this.uidValidity = uidValidity;
  }

  async get(uid: number): Promise<MessageStructure | null> {
    let off = this.offsets.get(uid);
    if (off === undefined) {
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

  async put(uid: number, s: MessageStructure): Promise<void> {
    const payload = Buffer.from(`${this.uidValidity} ${uid} ${JSON.stringify(s)}`, 'utf8');
    if (payload.length > MAX_RECORD) return;
    const head = Buffer.alloc(HEADER);
    head.writeUInt32BE(payload.length, 0);
    head.writeUInt32BE(crc32(payload) >>> 0, 4);
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.write(Buffer.concat([head, payload]));
    } finally {
      await fh.close();
    }
  }

  /** Indexes records appended since the last scan (by us or by other processes). */
  async scan(): Promise<void> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return;
    }
    try {
      const size = (await fh.stat()).size;
      if (size < this.scannedTo) { this.offsets.clear(); this.scannedTo = 0; } // file was replaced
      let pos = this.scannedTo;
      const head = Buffer.alloc(HEADER);
      while (pos + HEADER <= size) {
        const { bytesRead } = await fh.read(head, 0, HEADER, pos);
        if (bytesRead < HEADER) break;
        const len = head.readUInt32BE(0);
        if (len > MAX_RECORD || pos + HEADER + len > size) break; // torn tail: a writer is mid-append or crashed
        // Only the "<uidvalidity> <uid> " prefix is needed to index; the checksum is verified on read.
        const pre = Buffer.alloc(Math.min(len, 24));
        await fh.read(pre, 0, pre.length, pos + HEADER);
        const m = /^([0-9]+) ([0-9]+) /.exec(pre.toString('latin1'));
        if (m && Number(m[1]) === this.uidValidity) this.offsets.set(Number(m[2]), pos);
        pos += HEADER + len;
      }
      this.scannedTo = pos;
    } finally {
      await fh.close();
    }
  }

  private async readAt(off: number): Promise<{ uidValidity: number; uid: number; json: string } | null> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return null;
    }
    try {
      const head = Buffer.alloc(HEADER);
      const { bytesRead } = await fh.read(head, 0, HEADER, off);
      if (bytesRead < HEADER) return null;
      const len = head.readUInt32BE(0);
      if (len > MAX_RECORD) return null;
      const payload = Buffer.alloc(len);
      const r = await fh.read(payload, 0, len, off + HEADER);
      if (r.bytesRead < len || (crc32(payload) >>> 0) !== head.readUInt32BE(4)) return null;
      const s = payload.toString('utf8');
      const m = /^([0-9]+) ([0-9]+) /.exec(s);
      if (!m) return null;
      return { uidValidity: Number(m[1]), uid: Number(m[2]), json: s.slice(m[0].length) };
    } finally {
      await fh.close();
    }
  }

  async size(): Promise<number> {
    try { return (await stat(this.path)).size; } catch { return 0; }
  }

  async remove(): Promise<void> {
    await unlink(this.path).catch(() => undefined);
    this.offsets.clear();
    this.scannedTo = 0;
  }
}
