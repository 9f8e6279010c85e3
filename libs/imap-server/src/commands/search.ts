/**
 * SEARCH / UID SEARCH (RFC 3501 §6.4.4), ESEARCH RETURN (MIN MAX COUNT ALL) (RFC 4731),
 * MODSEQ criterion (RFC 7162 §3.1.5), OLDER/YOUNGER (RFC 5032).
 * Metadata keys run on the view; header/body keys load content lazily, cheapest keys first.
 */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import type { SearchKey } from '../../../imap-codec/src/types.js';
import { seqSetHas } from '../../../imap-codec/src/seqset.js';
import type { MailboxView, ViewEntry } from '../view.js';
import { MessageContent, decodeWords } from '../textsearch.js';
import { formatUidList } from '../seqset.js';
import { LIMITS } from '../../../core/src/limits.js';
import { isMailError } from '../../../core/src/errors.js';

const MONTHS: Record<string, string> = { jan: '01', feb: '02', mar: '03', apr: '04', may: '05', jun: '06', jul: '07', aug: '08', sep: '09', oct: '10', nov: '11', dec: '12' };

function cost(k: SearchKey): number {
  switch (k.kind) {
    case 'header': return 2;
    case 'date': return k.which === 'sent' ? 2 : 0;
    case 'body': case 'text': return 5;
    case 'not': return cost(k.key);
    case 'or': return Math.max(cost(k.a), cost(k.b));
    case 'and': return Math.max(0, ...k.keys.map(cost));
    default: return 0;
  }
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The date of a Date: header in its own zone (RFC 3501 §6.4.4: time and timezone disregarded). */
export function sentDay(value: string | null): string | null {
  if (!value) return null;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(value);
  if (m) {
    const mon = MONTHS[m[2]!.toLowerCase()];
    if (mon) {
      let y = Number(m[3]);
      if (m[3]!.length === 2) y += y < 50 ? 2000 : 1900;
      return `${String(y).padStart(4, '0')}-${mon}-${m[1]!.padStart(2, '0')}`;
    }
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : utcDay(t);
}

interface Ctx { view: MailboxView; seq: number; e: ViewEntry; content: MessageContent; now: number }

async function match(k: SearchKey, c: Ctx): Promise<boolean> {
  const rec = c.e.rec;
  switch (k.kind) {
    case 'all': return true;
    case 'flag': {
      const has = k.flag.startsWith('\\')
        ? rec.flags.some((f) => f.toLowerCase() === k.flag.toLowerCase())
        : rec.flags.some((f) => f.toLowerCase() === k.flag.toLowerCase());
      return has === k.set;
    }
    case 'new': return c.view.recent.has(c.e.uid) && !rec.flags.includes('\\Seen');
    case 'old': return !c.view.recent.has(c.e.uid);
    case 'recent': return c.view.recent.has(c.e.uid);
    case 'size': return k.op === 'larger' ? rec.size > k.value : rec.size < k.value;
    case 'seqset': return seqSetHas(k.set, c.seq, c.view.exists);
    case 'uid': return seqSetHas(k.set, c.e.uid, c.view.maxUid());
    case 'modseq': return rec.modseq >= k.value;
    case 'older': return rec.internalDate <= c.now - k.seconds * 1000;
    case 'younger': return rec.internalDate >= c.now - k.seconds * 1000;
    case 'date': {
      let day: string | null;
      if (k.which === 'internal') day = utcDay(rec.internalDate);
      else {
        const st = await c.content.structure();
        day = sentDay(st.envelope.date);
      }
      if (day === null) return false;
      return k.op === 'before' ? day < k.date : k.op === 'on' ? day === k.date : day >= k.date;
    }
    case 'header': {
      const fields = await c.content.headerFields();
      const want = k.field.toLowerCase();
      const needle = k.value.toLowerCase();
      for (const [name, v] of fields) {
        if (name.toLowerCase() !== want) continue;
        if (needle === '') return true;
        if (v.toLowerCase().includes(needle) || decodeWords(v).toLowerCase().includes(needle)) return true;
      }
      return false;
    }
    case 'body': return c.content.bodyIncludes(k.value.toLowerCase());
    case 'text': {
      const n = k.value.toLowerCase();
      return (await c.content.headerIncludes(n)) || (await c.content.bodyIncludes(n))
        || (await c.content.mimeHeaderIncludes(n));
    }
    case 'not': return !(await match(k.key, c));
    case 'or': return (await match(k.a, c)) || (await match(k.b, c));
    case 'and': {
      const keys = [...k.keys].sort((a, b) => cost(a) - cost(b));
      for (const sub of keys) if (!(await match(sub, c))) return false;
      return true;
    }
  }
}

/** Whether a key reads headers or bodies (cost > 0: worth reading ahead). */
function needsContent(k: SearchKey): boolean { return cost(k) > 0; }

function usesModseq(k: SearchKey): boolean {
  switch (k.kind) {
    case 'modseq': return true;
    case 'not': return usesModseq(k.key);
    case 'or': return usesModseq(k.a) || usesModseq(k.b);
    case 'and': return k.keys.some(usesModseq);
    default: return false;
  }
}

export async function search(s: Session, cmd: CmdOf<'SEARCH'>): Promise<Reply | void> {
  if (cmd.charset !== null && !['UTF-8', 'US-ASCII'].includes(cmd.charset.toUpperCase())) {
    return { status: 'NO', code: 'BADCHARSET (UTF-8 US-ASCII)', text: 'Unsupported charset' };
  }
  if (JSON.stringify(cmd.criteria).includes('"saved"')) return { status: 'BAD', text: 'Saved search results ($) are not supported' };
  const view = s.view!;
  const mb = s.mailbox!;
  const hits: Array<{ seq: number; uid: number; modseq: number }> = [];
  const now = Date.now();
  const modseqKey = usesModseq(cmd.criteria);
  if (modseqKey) { s.enabled.add('CONDSTORE'); view.condstore = true; }
  // Content keys read files: evaluate a few messages ahead so their I/O overlaps (results stay in order).
  const ahead = needsContent(cmd.criteria) ? LIMITS.imapSearchLookahead : 1;
  const entries = view.entries;
  const evaluate = (i: number): Promise<boolean | 'gone'> => {
    const e = entries[i]!;
    return match(cmd.criteria, { view, seq: i + 1, e, content: new MessageContent(mb, e.uid, e.rec.size), now }).then(
      (ok) => ok,
      (err: unknown) => { if (isMailError(err) && (err.code === 'EXPUNGED' || err.code === 'NOTFOUND')) return 'gone' as const; throw err; });
  };
  const queue: Array<{ i: number; p: Promise<boolean | 'gone'> }> = [];
  let next = 0;
  const fill = () => {
    while (queue.length < ahead && next < entries.length) {
      const i = next++;
      if (entries[i]!.expunged) continue;
      const p = evaluate(i);
      p.catch(() => undefined); // awaited below; avoid an unhandled rejection while queued
      queue.push({ i, p });
    }
  };
  let done = 0;
  fill();
  while (queue.length > 0) {
    const { i, p } = queue.shift()!;
    const ok = await p;
    fill();
    if (++done % LIMITS.imapOutputCheckEvery === 0) await s.drain();
    await s.breathe();
    const e = entries[i]!;
    if (ok === true) hits.push({ seq: i + 1, uid: e.uid, modseq: e.rec.modseq });
  }
  const nums = hits.map((h) => (cmd.uid ? h.uid : h.seq));
  const maxMod = hits.reduce((m, h) => Math.max(m, h.modseq), 0);
  if (cmd.returnOpts === null) {
    const mod = modseqKey && hits.length > 0 ? ` (MODSEQ ${maxMod})` : '';
    s.write(`* SEARCH${nums.map((n) => ' ' + n).join('')}${mod}\r\n`);
    return;
  }
  // RFC 4731 §3.1: RETURN () means ALL.
  const opts = new Set(cmd.returnOpts.length === 0 ? ['ALL'] : cmd.returnOpts.map((o) => o.toUpperCase()));
  let line = `* ESEARCH (TAG "${cmd.tag}")${cmd.uid ? ' UID' : ''}`;
  if (nums.length > 0) {
    if (opts.has('MIN')) line += ` MIN ${nums[0]}`;
    if (opts.has('MAX')) line += ` MAX ${nums[nums.length - 1]}`;
  }
  if (opts.has('COUNT')) line += ` COUNT ${nums.length}`;
  if (opts.has('ALL') && nums.length > 0) line += ` ALL ${formatUidList(nums)}`;
  if (modseqKey && hits.length > 0) line += ` MODSEQ ${maxMod}`;
  s.write(line + '\r\n');
}
