/**
 * FETCH / UID FETCH (RFC 3501 §6.4.5, §7.4.2; CONDSTORE MODSEQ/CHANGEDSINCE RFC 7162 §3.1.4-5).
 * Metadata comes from the view (FLAGS, UID, sizes, dates), ENVELOPE/BODYSTRUCTURE from the
 * structure cache; message bytes are streamed from Mailbox.open() as literals with backpressure.
 */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import type { FetchAtt } from '../../../imap-codec/src/types.js';
import type { MessageStructure } from '../../../mime/src/types.js';
import { Readable } from 'node:stream';
import { isMailError, MailError } from '../../../core/src/errors.js';
import { LIMITS } from '../../../core/src/limits.js';
import { indexRanges, resolveSet, type Target } from '../seqset.js';
import { formatBodyStructure, formatEnvelope, formatFlags, formatInternalDate } from '../encode.js';
import { filterHeaderFields, locateSection, locateTopSection, sectionName, type SectionTarget } from '../section.js';

/** Output of one message: text, a literal in memory, or a literal streamed from the store. */
type Piece = string | Buffer | { stream: Readable; length: number };

function setsSeen(a: FetchAtt): boolean {
  return a.kind === 'rfc822' || a.kind === 'rfc822.text' || (a.kind === 'body-section' && !a.peek) || (a.kind === 'binary' && !a.peek);
}

function needsStructure(a: FetchAtt): boolean {
  switch (a.kind) {
    case 'envelope': case 'body': case 'bodystructure': case 'rfc822.header': case 'rfc822.text': return true;
    case 'body-section': return !(a.section.part.length === 0 && a.section.spec.kind === 'full');
    default: return false;
  }
}

/**
 * Served from the top-level header alone (Mailbox.header) when the store has it: the header's
 * length is where the body starts, so no MIME structure is needed (BODY[1], BODYSTRUCTURE do need it).
 */
function headerOnly(a: FetchAtt): boolean {
  switch (a.kind) {
    case 'envelope': case 'rfc822.header': case 'rfc822.text': return true;
    case 'body-section': return a.section.part.length === 0;
    default: return !needsStructure(a);
  }
}

const MAX_HEADER_READ = 4 * 1024 * 1024;

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const bufs: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      const b = c as Buffer;
      n += b.length;
      if (n > max) throw new MailError('LIMIT', 'Header too large');
      bufs.push(b);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(bufs);
}

/**
 * UID FETCH n:* (FLAGS), the resync every client does after SELECT: each line made by hand straight
 * from the view's records (no Target, and for a view fresh from its snapshot no entry, per message:
 * 100,000 of each would outlive a young-generation GC), written in batches of
 * 4 × imapOutputBatchChars, one socket write each.
 */
async function fetchUidFlags(s: Session, ranges: readonly number[]): Promise<Reply | void> {
  const view = s.view!;
  const recs = view.pristineRecs();
  const entries = recs ? null : view.entries;
  let batch = '';
  for (let r = 0; r < ranges.length; r += 2) {
    for (let i = ranges[r]!, end = ranges[r + 1]!; i < end; i++) {
      const rec = recs ? recs[i]! : entries![i]!.rec;
      batch += '* ' + (i + 1) + ' FETCH (UID ' + rec.uid + ' FLAGS ' + formatFlags(rec.flags, view.recent.has(rec.uid)) + ')\r\n';
      if (batch.length >= 4 * LIMITS.imapOutputBatchChars) {
        s.write(batch);
        batch = '';
        await s.drain();
        await s.breathe();
        if (s.isClosed) return { status: 'NO', text: 'Connection closed' };
      }
    }
  }
  if (batch) s.write(batch);
}

export async function fetch(s: Session, cmd: CmdOf<'FETCH'>): Promise<Reply | void> {
  const view = s.view!;
  const mb = s.mailbox!;
  if (cmd.items.some((a) => a.kind === 'binary' || a.kind === 'binary.size')) {
    return { status: 'BAD', text: 'BINARY is not supported' };
  }
  const items: FetchAtt[] = [...cmd.items];
  // RFC 3501 §6.4.8: UID FETCH always returns UID.
  if (cmd.uid && !items.some((a) => a.kind === 'uid')) items.unshift({ kind: 'uid' });
  if (cmd.changedSince === null && !s.enabled.has('CONDSTORE') && items.length === 2 && items[0]!.kind === 'uid' && items[1]!.kind === 'flags') {
    return fetchUidFlags(s, indexRanges(view, cmd.set, cmd.uid));
  }
  let targets: Target[] = resolveSet(view, cmd.set, cmd.uid);
  if (cmd.changedSince !== null) {
    // RFC 7162 §3.1.4.1: CHANGEDSINCE enables CONDSTORE and implies MODSEQ.
    s.enabled.add('CONDSTORE');
    view.condstore = true;
    const since = cmd.changedSince;
    targets = targets.filter((t) => t.entry.rec.modseq > since);
  }
  const condstore = s.enabled.has('CONDSTORE');
  if ((cmd.changedSince !== null || (condstore && items.some((a) => a.kind === 'flags'))) && !items.some((a) => a.kind === 'modseq')) {
    items.push({ kind: 'modseq' });
  }

  // Implicit \Seen (RFC 3501 §6.4.5 BODY[]) on read-write mailboxes; the FETCH then reports FLAGS.
  const seenChanged = new Set<number>();
  if (!mb.readOnly && items.some(setsSeen)) {
    const uids = targets.filter((t) => !t.entry.expunged && !t.entry.rec.flags.includes('\\Seen')).map((t) => t.entry.uid);
    if (uids.length > 0) {
      const res = await mb.store(uids, 'add', ['\\Seen']);
      for (const r of res.updated) {
        view.updateRecord(r);
        if (uids.includes(r.uid)) seenChanged.add(r.uid);
      }
    }
  }
  const structureNeeded = items.some(needsStructure);
  // ENVELOPE as the only item that needs more than the index: the store's header-only, cached
  // ENVELOPE text serves it, in batches (no promise per message, no body parsed).
  if (mb.envelopes && items.every((a) => a.kind === 'envelope' || META_ITEMS.has(a.kind)) && items.some((a) => a.kind === 'envelope')) {
    return fetchEnvelopes(s, targets, items, seenChanged);
  }
  // Items that touch the disk (structure cache, message files) are prepared a few messages ahead,
  // so file I/O overlaps instead of costing one thread-pool round trip after another; output
  // stays in order. Metadata-only FETCHes (FLAGS, UID, sizes) need no look-ahead.
  const ahead = structureNeeded || items.some((a) => a.kind.startsWith('rfc822') || a.kind === 'body-section') ? LIMITS.imapFetchLookahead : 1;
  if (ahead === 1 && items.every((a) => META_ITEMS.has(a.kind))) {
    // Metadata only (FLAGS, UID, sizes, dates): one synchronous pass, no promise per message;
    // lines go out in batches of 4 × imapOutputBatchChars, one socket write each (a drain check
    // flushes the session's output, so checking every few lines would mean a write per few lines).
    // (UID FLAGS alone without CONDSTORE took fetchUidFlags above; with CONDSTORE MODSEQ joins it.)
    let batch = '';
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k]!;
      const e = t.entry;
      batch += metaLine(t, items, s.view!.recent.has(e.uid), seenChanged.has(e.uid), null);
      if (batch.length >= 4 * LIMITS.imapOutputBatchChars) {
        s.write(batch);
        batch = '';
        await s.drain();
        await s.breathe();
        if (s.isClosed) return { status: 'NO', text: 'Connection closed' };
      }
    }
    if (batch) s.write(batch);
    return;
  }
  type Rendered = { pieces: Piece[] } | { err: unknown };
  const start = (t: Target): Promise<Rendered> =>
    render(s, t, items, structureNeeded, seenChanged.has(t.entry.uid)).then((pieces) => ({ pieces }), (err: unknown) => ({ err }));
  const queue: Promise<Rendered>[] = [];
  let next = 0;
  const discard = async () => {
    for (const q of queue.splice(0)) {
      const r = await q;
      if ('pieces' in r) for (const p of r.pieces) if (typeof p !== 'string' && !Buffer.isBuffer(p)) p.stream.destroy();
    }
  };
  let expungedSeen = false;
  let i = 0;
  try {
    while (next < targets.length || queue.length > 0) {
      while (queue.length < ahead && next < targets.length) queue.push(start(targets[next++]!));
      if (++i % LIMITS.imapOutputCheckEvery === 0) await s.drain();
      await s.breathe();
      if (s.isClosed) return { status: 'NO', text: 'Connection closed' };
      const r = await queue.shift()!;
      if ('err' in r) {
        const e = r.err;
        if (isMailError(e) && (e.code === 'EXPUNGED' || e.code === 'NOTFOUND')) { expungedSeen = true; continue; }
        throw e;
      }
      for (const p of r.pieces) {
        if (typeof p === 'string') s.write(p);
        else if (Buffer.isBuffer(p)) { if (!s.writeBuffer(p)) await s.drain(0); }
        else await writeExact(s, p.stream, p.length);
      }
    }
  } finally {
    await discard();
  }
  if (expungedSeen) return { status: 'NO', code: 'EXPUNGEISSUED', text: 'Some of the requested messages no longer exist' };
}

const META_ITEMS = new Set<FetchAtt['kind']>(['uid', 'flags', 'internaldate', 'rfc822.size', 'modseq']);

/**
 * FETCH of metadata items plus ENVELOPE: a batch of ENVELOPE texts per call to the store, then the
 * lines written synchronously; output is checked (drain, event-loop turn) once per batch.
 */
async function fetchEnvelopes(s: Session, targets: Target[], items: FetchAtt[], seenChanged: Set<number>): Promise<Reply | void> {
  const mb = s.mailbox!;
  const batch = LIMITS.imapOutputCheckEvery;
  let expungedSeen = false;
  for (let k = 0; k < targets.length; k += batch) {
    const part = targets.slice(k, k + batch);
    const texts = await mb.envelopes!(part.map((t) => t.entry.uid));
    if (s.isClosed) return { status: 'NO', text: 'Connection closed' };
    const view = s.view!;
    for (let j = 0; j < part.length; j++) {
      const t = part[j]!;
      const text = texts[j];
      // Gone from the store (expunged by another session or process): skipped, as render() does.
      if (text === null || text === undefined) { expungedSeen = true; continue; }
      s.write(metaLine(t, items, view.recent.has(t.entry.uid), seenChanged.has(t.entry.uid), text));
    }
    await s.drain();
    await s.breathe();
  }
  if (expungedSeen) return { status: 'NO', code: 'EXPUNGEISSUED', text: 'Some of the requested messages no longer exist' };
}

/** One FETCH response for metadata items and ENVELOPE text (same order and format as render()). */
function metaLine(t: Target, items: FetchAtt[], recent: boolean, seenChanged: boolean, envelope: string | null): string {
  const rec = t.entry.rec;
  let acc = `* ${t.seq} FETCH (`;
  let flagsSent = false;
  for (let k = 0; k < items.length; k++) {
    if (k > 0) acc += ' ';
    switch (items[k]!.kind) {
      case 'uid': acc += `UID ${t.entry.uid}`; break;
      case 'flags': acc += `FLAGS ${formatFlags(rec.flags, recent)}`; flagsSent = true; break;
      case 'internaldate': acc += `INTERNALDATE ${formatInternalDate(rec.internalDate)}`; break;
      case 'rfc822.size': acc += `RFC822.SIZE ${rec.size}`; break;
      case 'modseq': acc += `MODSEQ (${rec.modseq})`; break;
      case 'envelope': acc += `ENVELOPE ${envelope}`; break;
      default: break;
    }
  }
  if (seenChanged && !flagsSent) acc += `${items.length ? ' ' : ''}FLAGS ${formatFlags(rec.flags, recent)}`;
  return acc + ')\r\n';
}

/** Writes exactly `length` bytes: a file that shrank or grew must not desynchronise the protocol. */
async function writeExact(s: Session, stream: Readable, length: number): Promise<void> {
  let sent = 0;
  try {
    for await (const c of stream) {
      let b = c as Buffer;
      if (sent + b.length > length) b = b.subarray(0, length - sent);
      if (b.length > 0) {
        sent += b.length;
        if (!s.writeBuffer(b)) await s.drain(0);
      }
      if (sent >= length) break;
    }
  } finally {
    stream.destroy();
  }
  if (sent < length) {
    s.log.warn({ sent, length }, 'message shorter than announced; padding');
    s.write(Buffer.alloc(length - sent, 0x20));
  }
}

async function render(s: Session, t: Target, items: FetchAtt[], structureNeeded: boolean, seenChanged: boolean): Promise<Piece[]> {
  const mb = s.mailbox!;
  const view = s.view!;
  const e = t.entry;
  const rec = e.rec;
  let st: MessageStructure | null = null;
  let envText: string | null = null;
  /** The top-level header when it is all the items need (headerOnly). */
  let hdr: Buffer | null = null;
  if (structureNeeded && mb.envelopes && items.every((a) => a.kind === 'envelope' || !needsStructure(a))) {
    // Only ENVELOPE needs the structure: the header-only text will do (fetchEnvelopes explains).
    envText = (await mb.envelopes([e.uid]))[0] ?? null;
    if (envText === null) throw new MailError('EXPUNGED', 'Message was expunged');
  } else if (structureNeeded && mb.header && mb.envelopes && items.every(headerOnly)) {
    if (!items.some((a) => a.kind === 'envelope')) hdr = await mb.header(e.uid);
    else if (mb.headerAndEnvelope) ({ header: hdr, envelope: envText } = await mb.headerAndEnvelope(e.uid));
    else {
      hdr = await mb.header(e.uid);
      envText = (await mb.envelopes([e.uid]))[0] ?? null;
      if (envText === null) throw new MailError('EXPUNGED', 'Message was expunged');
    }
  } else if (structureNeeded) st = await mb.structure(e.uid);
  const bodyStart = hdr ? hdr.length : st ? st.body.bodyStart : 0;
  const out: Piece[] = [];
  // Text accumulated since the last literal.
  let acc = `* ${t.seq} FETCH (`;
  let first = true;
  const add = (s1: string) => { acc += (first ? '' : ' ') + s1; first = false; };
  const addLiteral = async (label: string, target: SectionTarget, partial: { offset: number; length: number } | null) => {
    const lbl = partial ? `${label}<${partial.offset}>` : label;
    if (target.kind === 'nil') { add(`${lbl} NIL`); return; }
    if (target.kind === 'fields') {
      let buf = hdr && target.start === 0 && target.end === hdr.length ? hdr : await readAll(await mb.open(e.uid, target.start, target.end), MAX_HEADER_READ);
      buf = filterHeaderFields(buf, target.fields, target.not);
      if (partial) buf = buf.subarray(Math.min(partial.offset, buf.length), Math.min(buf.length, partial.offset + partial.length));
      add(`${lbl} {${buf.length}}\r\n`);
      out.push(acc);
      out.push(buf);
      acc = '';
      return;
    }
    let start = target.start;
    let end = target.end;
    if (partial) {
      start = Math.min(end, start + partial.offset);
      end = Math.min(end, start + partial.length);
    }
    const len = Math.max(0, end - start);
    if (len === 0) { add(`${lbl} ""`); return; }
    if (hdr && end <= hdr.length) {
      // Inside the header already read (BODY[HEADER], RFC822.HEADER): no second read.
      add(`${lbl} {${len}}\r\n`);
      out.push(acc);
      out.push(hdr.subarray(start, end));
      acc = '';
      return;
    }
    const stream = await mb.open(e.uid, start, end);
    add(`${lbl} {${len}}\r\n`);
    out.push(acc);
    out.push({ stream, length: len });
    acc = '';
  };
  let flagsSent = false;
  try {
    for (const a of items) {
      switch (a.kind) {
        case 'uid': add(`UID ${e.uid}`); break;
        case 'flags': add(`FLAGS ${formatFlags(rec.flags, view.recent.has(e.uid))}`); flagsSent = true; break;
        case 'internaldate': add(`INTERNALDATE ${formatInternalDate(rec.internalDate)}`); break;
        case 'rfc822.size': add(`RFC822.SIZE ${rec.size}`); break;
        case 'modseq': add(`MODSEQ (${rec.modseq})`); break;
        case 'envelope': add(`ENVELOPE ${envText ?? formatEnvelope(st!.envelope)}`); break;
        case 'body': add(`BODY ${formatBodyStructure(st!.body, false)}`); break;
        case 'bodystructure': add(`BODYSTRUCTURE ${formatBodyStructure(st!.body, true)}`); break;
        case 'rfc822': await addLiteral('RFC822', { kind: 'range', start: 0, end: rec.size }, null); break;
        case 'rfc822.header': await addLiteral('RFC822.HEADER', { kind: 'range', start: 0, end: bodyStart }, null); break;
        case 'rfc822.text': await addLiteral('RFC822.TEXT', { kind: 'range', start: bodyStart, end: rec.size }, null); break;
        case 'body-section': {
          const target: SectionTarget = st ? locateSection(st, a.section)
            : hdr ? locateTopSection(a.section.spec, bodyStart, rec.size) : { kind: 'range', start: 0, end: rec.size };
          await addLiteral(`BODY[${sectionName(a.section)}]`, target, a.partial);
          break;
        }
        default: break;
      }
    }
    if (seenChanged && !flagsSent) add(`FLAGS ${formatFlags(rec.flags, view.recent.has(e.uid))}`);
  } catch (err) {
    for (const p of out) if (typeof p !== 'string' && !Buffer.isBuffer(p)) p.stream.destroy();
    throw err;
  }
  out.push(acc + ')\r\n');
  return out;
}
