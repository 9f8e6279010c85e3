/**
 * Maildir++ quota file `Maildir/maildirsize` (www.inter7.com/courierimap/README.maildirquota.html,
 * as Dovecot's quota-maildir.c): first line the limits `<bytes>S,<count>C`, then `<bytes> <count>`
 * delta lines appended with O_APPEND by whoever adds or removes mail. Usage is the sum of the lines.
 * The file is recalculated (by scanning every folder) when missing, unparsable, negative, or when
 * the limits line no longer matches the account's limits; it is rewritten whole when it grows past
 * 5120 bytes, as the Maildir++ spec asks.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MailError } from '../../core/src/errors.js';
import { baseOf, parseFilename } from './maildir-filename.js';
import { statQuick, syncCall, syncIo } from './fastio.js';

const FILE = 'maildirsize';
const MAX_FILE_SIZE = 5120;

export interface QuotaLimits { bytes: number | null; messages: number | null }
export interface Usage { bytes: number; messages: number }

function limitsLine(l: QuotaLimits): string {
  return `${l.bytes ?? 0}S,${l.messages ?? 0}C`;
}

/** Parses a maildirsize file; null when it cannot be trusted. */
export function parseMaildirsize(text: string): { limits: string; usage: Usage; lines: number } | null {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 1) return null;
  let bytes = 0;
  let messages = 0;
  for (const l of lines.slice(1)) {
    const m = /^\s*(-?[0-9]+)\s+(-?[0-9]+)\s*$/.exec(l);
    if (!m) return null;
    bytes += Number(m[1]);
    messages += Number(m[2]);
  }
  if (bytes < 0 || messages < 0) return null;
  return { limits: lines[0]!.trim(), usage: { bytes, messages }, lines: lines.length };
}

export class MaildirQuota {
  constructor(private readonly maildir: string, readonly limits: QuotaLimits, private readonly fsync: boolean) {}

  get path(): string { return join(this.maildir, FILE); }
  get enabled(): boolean { return !!this.limits.bytes || !!this.limits.messages; }

  async usage(): Promise<Usage> {
    let text: string | null = null;
    try { text = await readFile(this.path, 'utf8'); } catch { text = null; }
    const parsed = text === null ? null : parseMaildirsize(text);
    if (parsed && parsed.limits === limitsLine(this.limits) && Buffer.byteLength(text!) <= MAX_FILE_SIZE) return parsed.usage;
    return this.recalc();
  }

  /** Scans every folder's cur/ and new/ (sizes from ,S= when present, else stat) and rewrites the file. */
  async recalc(): Promise<Usage> {
    let bytes = 0;
    let messages = 0;
    const dirs = [this.maildir];
    try {
      for (const e of await readdir(this.maildir, { withFileTypes: true })) {
        if (e.name.startsWith('.') && e.name !== '.' && e.name !== '..' && (e.isDirectory() || e.isSymbolicLink())) dirs.push(join(this.maildir, e.name));
      }
    } catch { /* no Maildir yet */ }
    for (const d of dirs) {
      for (const sub of ['cur', 'new']) {
        let names: string[];
        try { names = await readdir(join(d, sub)); } catch { continue; }
        for (const n of names) {
          if (n.startsWith('.')) continue;
          const p = parseFilename(baseOf(n));
          let size = p.size;
          if (size === null) {
            try { size = (await stat(join(d, sub, n))).size; } catch { continue; }
          }
          bytes += size;
          messages++;
        }
      }
    }
    const tmp = `${this.path}.tmp.${process.pid}`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${limitsLine(this.limits)}\n${bytes} ${messages}\n`);
        if (this.fsync) await fh.sync();
      } finally { await fh.close(); }
      await rename(tmp, this.path);
    } catch { /* the Maildir may not exist yet; usage is still right */ }
    return { bytes, messages };
  }

  /** Appends a delta line (O_APPEND, one write: concurrent writers do not interleave). */
  async add(bytes: number, messages: number): Promise<void> {
    if (bytes === 0 && messages === 0) return;
    if (syncIo()) {
      // Every APPEND and EXPUNGE comes here: a stat (no exception object when there is no file),
      // open, write, close as plain syscalls instead of four thread-pool round trips.
      let size: number;
      try {
        const st = statQuick(this.path);
        if (!st) return; // no file yet: see below
        size = st.size;
        const fd = syncCall(() => openSync(this.path, 'a'));
        try { syncCall(() => writeSync(fd, `${bytes} ${messages}\n`)); } finally { closeSync(fd); }
      } catch {
        return;
      }
      if (size > MAX_FILE_SIZE) await this.recalc().catch(() => undefined);
      return;
    }
    try {
      const st = await stat(this.path);
      const fh = await open(this.path, 'a');
      try { await fh.write(`${bytes} ${messages}\n`); } finally { await fh.close(); }
      if (st.size > MAX_FILE_SIZE) await this.recalc();
    } catch {
      // No file yet: the next usage() recalculates from the Maildir, which already holds this change.
    }
  }

  /** Throws OVERQUOTA when adding `bytes` / `messages` would exceed a limit. */
  async check(bytes: number, messages: number): Promise<void> {
    if (!this.enabled) return;
    const u = await this.usage();
    if (this.limits.bytes && u.bytes + bytes > this.limits.bytes) throw new MailError('OVERQUOTA', 'Quota exceeded (mailbox for user is full)');
    if (this.limits.messages && u.messages + messages > this.limits.messages) throw new MailError('OVERQUOTA', 'Quota exceeded (mailbox for user is full)');
  }
}
