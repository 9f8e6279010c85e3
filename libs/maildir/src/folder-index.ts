/**
 * Per-folder index `mailstore.index`: a snapshot of what the last sync learnt, so opening a folder
 * does not readdir or stat 100,000 files. Written whole to a temp file, fsynced and renamed (readers
 * see the old or the new file); a trailing CRC line rejects truncated or damaged files, which are
 * then simply rebuilt from the Maildir. The Maildir itself (file names + dovecot-uidlist) stays the
 * truth; this file only caches it plus what Maildir has no place for (modseq, cache offsets).
 *
 * Format (text, one line each):
 *   MSIDX1 V<uidvalidity> N<nextuid> H<highestmodseq> R<firstrecentuid> C<cachescannedto> G<guid>
 *   <uid> <modseq> <internaldate ms, -1 = not read yet> <vsize> <fsize> <cacheoffset|-> <n|c> <filename>
 *   END <crc32 hex of all preceding bytes>
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import type { MessageRecord } from '../../mailstore/src/types.js';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writevSync } from 'node:fs';
import { statQuick, syncCall, syncIo } from './fastio.js';
import { CREATE_EXCL } from './dotlock.js';
import { TextChunks } from './text-chunks.js';
import { baseOf } from './maildir-filename.js';

/** One message as the engine keeps it (MessageRecord + where the file is). ~150 bytes in memory. */
export interface Rec extends MessageRecord {
  /** Current file name (base + ":2," info) inside new/ or cur/. */
  readonly name: string;
  readonly base: string;
  readonly inNew: boolean;
  /** Size of the file on disk (== size when stored with CRLF). */
  readonly fsize: number;
}

/** The fields of a record; `date` is the internal date in ms, or -1 when not read yet. */
export interface RecFields {
  uid: number; flags: readonly string[]; date: number; size: number; modseq: number;
  /** Omitted: the part of `name` before its ':' (see MaildirRec.base). */
  name: string; base?: string; inNew: boolean; fsize: number;
}

/**
 * A record whose internal date (the file's mtime) is read on first use, as Dovecot does: sizes come
 * from the name's ,S= / ,W=, so a first SELECT of 100,000 such files stats none of them. Records
 * are replaced with `with()` (an object spread would drop the getter).
 */
export class MaildirRec implements Rec {
  uid: number;
  flags: readonly string[];
  size: number;
  modseq: number;
  name: string;
  /** The base when given or asked for; null until then (see base). */
  private baseText: string | null;
  inNew: boolean;
  fsize: number;
  /** mtime in ms; -1 until asked (see internalDate). */
  date: number;

  constructor(f: RecFields, readonly dir: string) {
    this.uid = f.uid; this.flags = f.flags; this.size = f.size; this.modseq = f.modseq; this.name = f.name;
    this.baseText = f.base ?? null; this.inNew = f.inNew; this.fsize = f.fsize; this.date = f.date;
  }

  /**
   * Cut from the name on first use when not given: a first SELECT of 100,000 messages then keeps
   * no second string per message through its young-generation collections (nothing on the way to
   * its FETCH FLAGS asks for a base).
   */
  get base(): string {
    return this.baseText ??= baseOf(this.name);
  }

  get internalDate(): number {
    if (this.date < 0) {
      const d = mtimeOf(this.dir, this.inNew, this.name);
      if (d === null) return nameTime(this.base); // renamed or expunged meanwhile: not cached
      this.date = d;
    }
    return this.date;
  }

  /** A copy with some fields changed (the date, known or not, is kept). */
  with(ch: Partial<Omit<RecFields, 'date' | 'uid' | 'base'>>): MaildirRec {
    return new MaildirRec({ uid: this.uid, flags: ch.flags ?? this.flags, date: this.date, size: ch.size ?? this.size, modseq: ch.modseq ?? this.modseq, name: ch.name ?? this.name, base: this.base, inNew: ch.inNew ?? this.inNew, fsize: ch.fsize ?? this.fsize }, this.dir);
  }
}

/** The file's mtime in ms, looking in both new/ and cur/ (another process may have moved it); null when gone. */
function mtimeOf(dir: string, inNew: boolean, name: string): number | null {
  try {
    const st = statQuick(join(dir, inNew ? 'new' : 'cur', name)) ?? statQuick(join(dir, inNew ? 'cur' : 'new', name));
    return st ? Math.floor(st.mtimeMs) : null;
  } catch {
    return null;
  }
}

/** Delivery time from a unique name `<secs>.…` (Maildir spec), for a file that vanished under us. */
function nameTime(base: string): number {
  let secs = 0;
  for (let i = 0; i < base.length && i < 12; i++) {
    const c = base.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    secs = secs * 10 + c;
  }
  return secs * 1000;
}

export interface IndexSnapshot {
  uidValidity: number;
  nextUid: number;
  highestModseq: number;
  firstRecentUid: number;
  cacheScannedTo: number;
  guid: string;
  /** Partial records (flags are derived by the caller from the name and keyword list); internalDate -1: not read yet. */
  recs: Array<{ uid: number; modseq: number; internalDate: number; size: number; fsize: number; cacheOff: number | null; inNew: boolean; name: string }>;
}

export type IndexHead = Omit<IndexSnapshot, 'recs'>;

function headLine(h: IndexHead): string {
  return `MSIDX1 V${h.uidValidity} N${h.nextUid} H${h.highestModseq} R${h.firstRecentUid} C${h.cacheScannedTo} G${h.guid || '-'}\n`;
}

/** The END line for a body (crc32 of every preceding byte). */
function endLine(body: Buffer): Buffer {
  return Buffer.from(`END ${(crc32(body) >>> 0).toString(16)}\n`);
}

export function formatIndex(s: IndexSnapshot): Buffer {
  let text = headLine(s);
  for (const r of s.recs) {
    text += `${r.uid} ${r.modseq} ${r.internalDate} ${r.size} ${r.fsize} ${r.cacheOff ?? '-'} ${r.inNew ? 'n' : 'c'} ${r.name}\n`;
  }
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([body, endLine(body)]);
}

/**
 * The index file for the records as they are, as chunks for one writev (text-chunks.ts): no
 * snapshot object per record and no joined copy (100,000 records are ~8 MB). Dates not read yet
 * go as -1.
 */
export function indexParts(head: IndexHead, recs: readonly Rec[], cacheOff: { get(uid: number): number | undefined }): Buffer[] {
  const out = new TextChunks(true);
  out.add(headLine(head));
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    const date = r instanceof MaildirRec ? r.date : r.internalDate;
    out.add(`${r.uid} ${r.modseq} ${date} ${r.size} ${r.fsize} ${cacheOff.get(r.uid) ?? '-'} ${r.inNew ? 'n' : 'c'} ${r.name}\n`);
  }
  const parts = out.finish();
  parts.push(Buffer.from(`END ${(out.crc >>> 0).toString(16)}\n`));
  return parts;
}

/** Parses an index file; null when absent, truncated, or damaged in any way. */
export function parseIndex(buf: Buffer): IndexSnapshot | null {
  const endAt = buf.lastIndexOf('\nEND ', buf.length - 2);
  if (endAt < 0) return null;
  const body = buf.subarray(0, endAt + 1);
  const m = /^END ([0-9a-f]+)\n$/.exec(buf.subarray(endAt + 1).toString('latin1'));
  if (!m || parseInt(m[1]!, 16) !== (crc32(body) >>> 0)) return null;
  const lines = body.toString('utf8').split('\n');
  lines.pop();
  const h = /^MSIDX1 V([0-9]+) N([0-9]+) H([0-9]+) R([0-9]+) C([0-9]+) G(\S+)$/.exec(lines[0] ?? '');
  if (!h) return null;
  const recs: IndexSnapshot['recs'] = [];
  let last = 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    const f = l.split(' ', 7);
    if (f.length < 7) return null;
    let skip = 0;
    for (let k = 0; k < 7; k++) skip += f[k]!.length + 1;
    const name = l.slice(skip);
    const uid = Number(f[0]);
    if (!(uid > last) || !name || name.includes('/')) return null;
    last = uid;
    recs.push({
      uid,
      modseq: Number(f[1]),
      internalDate: Number(f[2]),
      size: Number(f[3]),
      fsize: Number(f[4]),
      cacheOff: f[5] === '-' ? null : Number(f[5]),
      inNew: f[6] === 'n',
      name,
    });
  }
  return {
    uidValidity: Number(h[1]),
    nextUid: Number(h[2]),
    highestModseq: Number(h[3]),
    firstRecentUid: Number(h[4]),
    cacheScannedTo: Number(h[5]),
    guid: h[6] === '-' ? '' : h[6]!,
    recs,
  };
}

export async function readIndex(path: string): Promise<IndexSnapshot | null> {
  try {
    return parseIndex(await readFile(path));
  } catch {
    return null;
  }
}

let tmpCounter = 0;

/** `parts` without their first `done` bytes (after a short write). */
function remaining(parts: readonly Buffer[], done: number): Buffer[] {
  if (done === 0) return parts as Buffer[];
  let skip = done;
  const rest: Buffer[] = [];
  for (const b of parts) { if (skip >= b.length) { skip -= b.length; continue; } rest.push(skip ? b.subarray(skip) : b); skip = 0; }
  return rest;
}

/** tmp + fsync + rename: a crash leaves the old or the new index, never a torn one. */
export async function writeIndex(path: string, parts: readonly Buffer[], fsync: boolean): Promise<void> {
  const tmp = `${path}.tmp.${process.pid}.${++tmpCounter}`;
  if (syncIo()) {
    // Fast storage (fastio.ts): five syscalls instead of five thread-pool round trips; a busy folder
    // writes its index about once a second. O_EXCL without O_TRUNC (dotlock.ts says why).
    syncCall(() => {
      const fd = openSync(tmp, CREATE_EXCL, 0o600);
      try {
        const total = parts.reduce((n, b) => n + b.length, 0);
        let done = 0;
        while (done < total) done += writevSync(fd, remaining(parts, done));
        if (fsync) fsyncSync(fd);
      } catch (e) {
        closeSync(fd);
        try { unlinkSync(tmp); } catch { /* already gone */ }
        throw e;
      }
      closeSync(fd);
      renameSync(tmp, path);
    });
    return;
  }
  const fh = await open(tmp, 'w', 0o600);
  try {
    const total = parts.reduce((n, b) => n + b.length, 0);
    let done = 0;
    while (done < total) done += (await fh.writev(remaining(parts, done))).bytesWritten;
    if (fsync) await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}
