/**
 * POP3 UIDLs the storage remembers per message: the "P" extension field of dovecot-uidlist
 * (Dovecot writes it when mail is migrated from another POP3 server, so clients keep their
 * "already downloaded" lists). Dovecot's pop3 sends such a UIDL instead of pop3_uidl_format
 * (pop3-commands.c: MAIL_FETCH_UIDL_BACKEND first). Reads only the uidlist, never a message file.
 */
import { readFile } from 'node:fs/promises';
import { parseUidlist } from './uidlist.js';

const EMPTY: ReadonlyMap<number, string> = new Map();

/** UID → stored POP3 UIDL for the messages that have one; empty when none (or no uidlist yet). */
export async function readPop3Uidls(uidlistPath: string): Promise<ReadonlyMap<number, string>> {
  let text: string;
  try { text = await readFile(uidlistPath, 'utf8'); } catch { return EMPTY; }
  // Fast path: most mailboxes have no P field at all; then the 50,000-line parse is skipped.
  if (!/^\d+ (?:[^:\n]* )?P/m.test(text)) return EMPTY;
  let entries;
  try { entries = parseUidlist(text).entries; } catch { return EMPTY; }
  const out = new Map<number, string>();
  for (const e of entries) {
    for (const f of e.ext) if (f.length > 1 && f[0] === 'P') { out.set(e.uid, f.slice(1)); break; }
  }
  return out;
}
