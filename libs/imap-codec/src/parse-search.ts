/** SEARCH criteria (RFC 3501 §6.4.4), MODSEQ (RFC 7162 §3.1.5), OLDER/YOUNGER (RFC 5032), $ (RFC 5182). */
import type { SearchKey } from './types.js';
import type { Parser } from './parser.js';
import { parseSeqSet } from './seqset.js';

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true], UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false],
};

const HEADER_KEYS = new Set(['BCC', 'CC', 'FROM', 'SUBJECT', 'TO']);

const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'], ON: ['internal', 'on'], SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'], SENTON: ['sent', 'on'], SENTSINCE: ['sent', 'since'],
};

/** 1*(SP search-key) after the command's own arguments: an implicit AND (one key stays unwrapped). */
export function parseSearchProgram(p: Parser): SearchKey {
  const keys: SearchKey[] = [];
  do keys.push(parseSearchKey(p)); while (p.trySp());
  p.expectEnd();
  return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
}

function seqSetKey(p: Parser): SearchKey {
  const set = parseSeqSet(p.seqSetText());
  if (!set) p.fail('Invalid sequence set');
  return { kind: 'seqset', set };
}

export function parseSearchKey(p: Parser): SearchKey {
  const c = p.peek();
  if (c === 0x28) {
    p.open();
    const keys: SearchKey[] = [parseSearchKey(p)];
    while (p.trySp()) keys.push(parseSearchKey(p));
    p.close();
    return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x24) return seqSetKey(p);
  const k = p.word();
  const flag = FLAG_KEYS[k];
  if (flag) return { kind: 'flag', flag: flag[0], set: flag[1] };
  if (HEADER_KEYS.has(k)) { p.sp(); return { kind: 'header', field: k, value: p.astring() }; }
  const dk = DATE_KEYS[k];
  if (dk) { p.sp(); return { kind: 'date', which: dk[0], op: dk[1], date: p.date() }; }
  switch (k) {
    case 'ALL': return { kind: 'all' };
    case 'NEW': return { kind: 'new' };
    case 'OLD': return { kind: 'old' };
    case 'RECENT': return { kind: 'recent' };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      p.sp();
      return { kind: 'flag', flag: p.atom(), set: k === 'KEYWORD' };
    }
    case 'HEADER': {
      p.sp();
      const field = p.astring().toUpperCase();
      p.sp();
      return { kind: 'header', field, value: p.astring() };
    }
    case 'BODY': p.sp(); return { kind: 'body', value: p.astring() };
    case 'TEXT': p.sp(); return { kind: 'text', value: p.astring() };
    case 'LARGER':
    case 'SMALLER':
      p.sp();
      return { kind: 'size', op: k === 'LARGER' ? 'larger' : 'smaller', value: p.number(true) };
    case 'UID': {
      p.sp();
      const set = parseSeqSet(p.seqSetText());
      if (!set) p.fail('Invalid UID set');
      return { kind: 'uid', set };
    }
    case 'NOT': {
      p.sp();
      p.enter();
      const key = parseSearchKey(p);
      p.leave();
      return { kind: 'not', key };
    }
    case 'OR': {
      p.sp();
      p.enter();
      const a = parseSearchKey(p);
      p.sp();
      const b = parseSearchKey(p);
      p.leave();
      return { kind: 'or', a, b };
    }
    case 'MODSEQ': {
      // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer (RFC 7162 §3.1.5)
      p.sp();
      if (p.peek() === 0x22 || p.peek() === 0x7b) {
        p.string();
        p.sp();
        const t = p.word();
        if (t !== 'PRIV' && t !== 'SHARED' && t !== 'ALL') p.fail('Invalid MODSEQ entry type');
        p.sp();
      }
      return { kind: 'modseq', value: p.number(true) };
    }
    case 'OLDER':
    case 'YOUNGER':
      p.sp();
      return { kind: k === 'OLDER' ? 'older' : 'younger', seconds: p.nzNumber() };
    default:
      return p.fail(`Unknown search key ${k}`);
  }
}
