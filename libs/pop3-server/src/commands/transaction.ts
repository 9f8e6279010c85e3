/** TRANSACTION state listings and marks (RFC 1939 §5): STAT, LIST, UIDL, DELE, RSET, NOOP. All from the index; no message file is opened. */
import { LIMITS } from '../../../core/src/limits.js';
import { err, ok } from '../../../pop3-codec/src/responses.js';
import { compileUidl } from '../../../pop3-codec/src/uidl.js';
import type { Pop3Command } from '../../../pop3-codec/src/types.js';
import type { Maildrop, Pop3Session } from '../session.js';

/** Parses a message-number argument (RFC 1939 §5: 1-based, deleted ones may not be referred to). */
export function messageIndex(s: Pop3Session, arg: string | undefined): number | string {
  const d = s.drop!;
  if (arg === undefined || !/^[0-9]{1,10}$/.test(arg)) return err(`Invalid message number: ${(arg ?? '').slice(0, 20)}`);
  const n = Number(arg);
  if (n < 1 || n > d.uids.length) return err(`There's no message ${n}.`);
  if (d.deleted[n - 1]) return err('Message is deleted.');
  return n - 1;
}

export async function stat(s: Pop3Session): Promise<boolean> {
  const d = s.drop!;
  s.write(ok(`${d.uids.length - d.deletedCount} ${d.totalBytes - d.deletedBytes}`));
  return true;
}

export async function list(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const d = s.drop!;
  return listing(s, cmd, (i) => String(d.sizes[i]), `${d.uids.length - d.deletedCount} messages:`);
}

export async function uidl(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const d = s.drop!;
  const fmt = compileUidl(s.config.uidlFormat);
  const stored = d.storedUidls;
  if (stored.size === 0) return listing(s, cmd, (i) => fmt({ uid: d.uids[i]!, uidValidity: d.uidValidity }), '');
  return listing(s, cmd, (i) => stored.get(d.uids[i]!) ?? fmt({ uid: d.uids[i]!, uidValidity: d.uidValidity }), '');
}

/** LIST/UIDL with one argument: one line; without: every undeleted message, in chunks with backpressure. */
async function listing(s: Pop3Session, cmd: Pop3Command, value: (i: number) => string, first: string): Promise<boolean> {
  const d: Maildrop = s.drop!;
  if (cmd.args.length > 1) { s.write(err('Too many arguments.')); return false; }
  if (cmd.args.length === 1) {
    const i = messageIndex(s, cmd.args[0]);
    if (typeof i === 'string') { s.write(i); return false; }
    s.write(ok(`${i + 1} ${value(i)}`));
    return true;
  }
  let out = ok(first);
  let lines = 0;
  for (let i = 0; i < d.uids.length; i++) {
    if (d.deleted[i]) continue;
    out += `${i + 1} ${value(i)}\r\n`;
    if (++lines >= LIMITS.pop3ListChunk) {
      s.write(out);
      out = '';
      lines = 0;
      await s.drain();
    }
  }
  s.write(out + '.\r\n');
  return true;
}

export async function dele(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const i = messageIndex(s, cmd.args[0]);
  if (typeof i === 'string') { s.write(i); return false; }
  const d = s.drop!;
  d.deleted[i] = 1;
  d.deletedCount++;
  d.deletedBytes += d.sizes[i]!;
  s.write(ok('Marked to be deleted.'));
  return true;
}

export async function rset(s: Pop3Session): Promise<boolean> {
  const d = s.drop!;
  d.deleted.fill(0);
  d.retrieved.fill(0);
  d.deletedCount = 0;
  d.deletedBytes = 0;
  s.write(ok());
  return true;
}

export async function noop(s: Pop3Session): Promise<boolean> {
  s.write(ok());
  return true;
}
