/**
 * Special-use attributes (RFC 6154) given at CREATE, kept per folder in our own small file
 * `mailstore.specialuse` (one attribute per line) inside the folder directory.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { readSmallFile, syncIo } from './fastio.js';
import { join } from 'node:path';
import type { SpecialUse } from '../../mailstore/src/types.js';

const FILE = 'mailstore.specialuse';
export const SPECIAL_USES: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

/** Canonical spelling of a special-use attribute, or null if it is not one (RFC 6154 §2). */
export function canonicalSpecialUse(s: string): SpecialUse | null {
  return SPECIAL_USES.find((u) => u.toLowerCase() === s.toLowerCase()) ?? null;
}

export async function readSpecialUse(folderDir: string): Promise<SpecialUse[]> {
  try {
    // LIST reads this for every folder: a tiny, page-cache-hot file is read synchronously (fastio.ts)
    // instead of three thread-pool trips.
    const text = syncIo() ? readSmallFile(join(folderDir, FILE), 4096)?.toString('utf8') ?? '' : await readFile(join(folderDir, FILE), 'utf8');
    return text.split('\n').map((l) => canonicalSpecialUse(l.trim())).filter((u): u is SpecialUse => u !== null);
  } catch {
    return [];
  }
}

export async function writeSpecialUse(folderDir: string, uses: readonly SpecialUse[], fsync: boolean): Promise<void> {
  const p = join(folderDir, FILE);
  const tmp = `${p}.tmp.${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(uses.map((u) => u + '\n').join(''));
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, p);
}
