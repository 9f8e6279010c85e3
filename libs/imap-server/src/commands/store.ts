/**
 * STORE / UID STORE (RFC 3501 §6.4.6, UNCHANGEDSINCE RFC 7162 §3.1.3), COPY / UID COPY (§6.4.7,
 * COPYUID RFC 4315), MOVE / UID MOVE (RFC 6851).
 */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { SYSTEM_FLAGS } from '../../../mailstore/src/types.js';
import { isMailError } from '../../../core/src/errors.js';
import { mapError } from '../errors.js';
import { resolveSet, formatUidList, formatSortedSet } from '../seqset.js';
import { formatFlags } from '../encode.js';

const SYSTEM = new Map(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f as string]));

export async function store(s: Session, cmd: CmdOf<'STORE'>): Promise<Reply | void> {
  const view = s.view!;
  const mb = s.mailbox!;
  if (mb.readOnly) return { status: 'NO', code: 'READ-ONLY', text: 'Mailbox is read-only' };
  const flags: string[] = [];
  for (const f of cmd.flags) {
    if (f.startsWith('\\')) {
      if (f.toLowerCase() === '\\recent') continue; // RFC 3501 §2.3.2: \Recent cannot be altered by the client
      const sys = SYSTEM.get(f.toLowerCase());
      if (!sys) return { status: 'BAD', text: `Invalid system flag ${f.slice(0, 40)}` };
      flags.push(sys);
    } else {
      flags.push(f);
    }
  }
  if (cmd.unchangedSince !== null) { s.enabled.add('CONDSTORE'); view.condstore = true; }
  const targets = resolveSet(view, cmd.set, cmd.uid).filter((t) => !t.entry.expunged);
  if (targets.length === 0) return;
  const uids = targets.map((t) => t.entry.uid);
  const res = await mb.store(uids, cmd.op, flags, cmd.unchangedSince ?? undefined);
  const modified = new Set(res.modified);
  const condstore = s.enabled.has('CONDSTORE');
  for (const r of res.updated) {
    const before = view.entry(r.uid)?.rec;
    view.updateRecord(r);
    if (modified.has(r.uid)) continue;
    // RFC 7162 §3.1.3: with UNCHANGEDSINCE the server reports changed messages even with .SILENT.
    const changed = !before || before.modseq !== r.modseq;
    if (cmd.silent && !(cmd.unchangedSince !== null && changed)) continue;
    const seq = view.seqOfFast(r.uid);
    if (seq === 0) continue;
    s.write(`* ${seq} FETCH (UID ${r.uid} FLAGS ${formatFlags(r.flags, view.recent.has(r.uid))}${condstore ? ` MODSEQ (${r.modseq})` : ''})\r\n`);
  }
  if (res.modified.length > 0) {
    const nums = cmd.uid ? res.modified : res.modified.map((u) => view.seqOfFast(u)).filter((n) => n > 0);
    return { status: 'OK', code: `MODIFIED ${formatSortedSet(nums)}`, text: 'Conditional STORE failed' };
  }
}

export async function copyMove(s: Session, cmd: CmdOf<'COPY' | 'MOVE'>): Promise<Reply | void> {
  const view = s.view!;
  const mb = s.mailbox!;
  const targets = resolveSet(view, cmd.set, cmd.uid).filter((t) => !t.entry.expunged);
  if (targets.length === 0) return { status: 'OK', text: `No messages to ${cmd.name.toLowerCase()}` };
  const uids = targets.map((t) => t.entry.uid);
  let res;
  try {
    res = cmd.name === 'COPY' ? await mb.copy(uids, cmd.mailbox) : await mb.move(uids, cmd.mailbox);
  } catch (e) {
    if (!isMailError(e)) throw e;
    const m = mapError(e, s.log, { tryCreate: true });
    return { status: m.status, code: m.code ?? undefined, text: m.text };
  }
  const copyuid = res.sourceUids.length > 0 ? `COPYUID ${res.uidValidity} ${formatUidList(res.sourceUids)} ${formatUidList(res.destUids)}` : undefined;
  if (cmd.name === 'COPY') return { status: 'OK', code: copyuid, text: 'COPY completed' };
  // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
  if (copyuid) s.write(`* OK [${copyuid}] Moved UIDs.\r\n`);
  view.markExpunged(res.sourceUids);
  for (const l of view.flushExpunges()) s.write(l);
}
