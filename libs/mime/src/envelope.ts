/**
 * IMAP ENVELOPE (RFC 3501 §7.4.2) from a header block, and a lenient RFC 5322 §3.4 address-list parser.
 * Values stay raw (RFC 2047 words are not decoded). Broken addresses degrade the way Dovecot does:
 * a missing local part becomes "MISSING_MAILBOX", a missing domain "MISSING_DOMAIN".
 */
import type { Address, Envelope } from './types.js';
import { parseHeaderBlock } from './headers.js';

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

type Tok =
  | { t: 'atom'; v: string; sp: boolean }
  | { t: 'quoted'; v: string; sp: boolean }
  | { t: 'comment'; v: string; sp: boolean }
  | { t: 'special'; v: string; sp: boolean };

const SPECIALS = '<>@,;:.';

/** RFC 5322 §3.2 lexical tokens; never fails (unterminated quotes/comments end at end of input). */
function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let sp = false;
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { sp = true; i++; continue; }
    if (c === '(') {
      let depth = 1;
      let v = '';
      i++;
      while (i < n && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) { v += s[i + 1]; i += 2; continue; }
        if (d === '(') depth++;
        else if (d === ')') { depth--; if (depth === 0) { i++; break; } }
        v += d;
        i++;
      }
      out.push({ t: 'comment', v, sp });
      sp = true;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      while (i < n) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) { v += s[i + 1]; i += 2; continue; }
        if (d === '"') { i++; break; }
        if (d !== '\r' && d !== '\n') v += d;
        i++;
      }
      out.push({ t: 'quoted', v, sp });
      sp = false;
      continue;
    }
    if (c === '[') {
      const end = s.indexOf(']', i);
      const stop = end < 0 ? n : end + 1;
      out.push({ t: 'atom', v: s.slice(i, stop), sp });
      i = stop;
      sp = false;
      continue;
    }
    if (SPECIALS.includes(c)) {
      out.push({ t: 'special', v: c, sp });
      i++;
      sp = false;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = s[j]!;
      if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '(' || d === '"' || d === '[' || SPECIALS.includes(d)) break;
      j++;
    }
    out.push({ t: 'atom', v: s.slice(i, j), sp });
    i = j;
    sp = false;
  }
  return out;
}

function isSpecial(t: Tok | undefined, v: string): boolean {
  return t !== undefined && t.t === 'special' && t.v === v;
}

/** Display-name phrase: words joined by single spaces, quotes removed, comments dropped (RFC 5322 §3.2.5). */
function phraseText(toks: Tok[]): string | null {
  let s = '';
  for (const t of toks) {
    if (t.t === 'comment') continue;
    if (s.length > 0 && t.sp) s += ' ';
    s += t.v;
  }
  return s.length > 0 ? s : null;
}

/** addr-spec tokens → mailbox/host; CFWS between tokens is dropped (obs-local-part, obs-domain). */
function addrSpec(toks: Tok[]): { mailbox: string; host: string } {
  const words = toks.filter((t) => t.t !== 'comment');
  let at = -1;
  for (let i = words.length - 1; i >= 0; i--) if (isSpecial(words[i], '@')) { at = i; break; }
  const local = (at < 0 ? words : words.slice(0, at)).map((t) => t.v).join('');
  const domain = at < 0 ? '' : words.slice(at + 1).map((t) => t.v).join('');
  return { mailbox: local.length > 0 ? local : MISSING_MAILBOX, host: domain.length > 0 ? domain : MISSING_DOMAIN };
}

function lastComment(toks: Tok[]): string | null {
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = toks[i]!;
    if (t.t === 'comment') { const v = t.v.trim(); if (v.length > 0) return v; }
  }
  return null;
}

/** One mailbox (name-addr or addr-spec) from its tokens; null when there is nothing in it. */
function mailbox(toks: Tok[]): Address | null {
  if (toks.length === 0) return null;
  const lt = toks.findIndex((t) => isSpecial(t, '<'));
  if (lt >= 0) {
    let gt = toks.findIndex((t, i) => i > lt && isSpecial(t, '>'));
    if (gt < 0) gt = toks.length;
    let inner = toks.slice(lt + 1, gt);
    // obs-route "@a,@b:" before the addr-spec becomes the at-domain-list (RFC 3501 §7.4.2, RFC 5322
    // §4.4), as Dovecot reports it.
    let adl: string | null = null;
    const colon = inner.findIndex((t) => isSpecial(t, ':'));
    if (colon >= 0) {
      adl = inner.slice(0, colon).filter((t) => t.t !== 'comment').map((t) => t.v).join('') || null;
      inner = inner.slice(colon + 1);
    }
    const { mailbox: mb, host } = addrSpec(inner);
    // RFC 5322 §3.4: only the phrase before '<' is the display name; comments around a name-addr
    // are not (Dovecot 2.3 agrees). A comment names the mailbox only for a bare addr-spec (RFC 822).
    const name = phraseText(toks.slice(0, lt));
    return { name, adl, mailbox: mb, host };
  }
  // A comment alone still counts as a (broken) address, as Dovecot reports it.
  if (toks.every((t) => t.t === 'comment')) return { name: null, adl: null, mailbox: MISSING_MAILBOX, host: MISSING_DOMAIN };
  const { mailbox: mb, host } = addrSpec(toks);
  return { name: lastComment(toks), adl: null, mailbox: mb, host };
}

/**
 * Parses an address-list header value (RFC 5322 §3.4, with obsolete forms) into IMAP address
 * structures. Groups become a start marker (mailbox = group name, host = null) and an end marker
 * (all null), RFC 3501 §7.4.2. Returns null for an empty list. Never throws.
 */
export function parseAddressList(value: string | null | undefined): Address[] | null {
  if (value == null) return null;
  const toks = tokenize(value);
  const out: Address[] = [];
  let cur: Tok[] = [];
  let inGroup = false;
  let inAngle = false;
  const flush = () => {
    const a = mailbox(cur);
    if (a) out.push(a);
    cur = [];
  };
  for (const t of toks) {
    if (t.t === 'special') {
      if (t.v === '<') inAngle = true;
      else if (t.v === '>') inAngle = false;
      else if (!inAngle && t.v === ',') { flush(); continue; }
      else if (!inAngle && t.v === ':' && !inGroup) {
        out.push({ name: null, adl: null, mailbox: phraseText(cur) ?? '', host: null });
        cur = [];
        inGroup = true;
        continue;
      } else if (!inAngle && t.v === ';' && inGroup) {
        flush();
        out.push({ name: null, adl: null, mailbox: null, host: null });
        inGroup = false;
        continue;
      } else if (!inAngle && t.v === ';') {
        continue; // stray ';' outside a group
      }
    }
    cur.push(t);
  }
  flush();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length > 0 ? out : null;
}

/** Envelope from parsed header fields (name, raw unfolded value). First occurrence of each field wins. */
export function envelopeFromFields(fields: ReadonlyArray<readonly [string, string]>): Envelope {
  const first = new Map<string, string>();
  for (const [k, v] of fields) {
    const key = k.toLowerCase();
    if (!first.has(key)) first.set(key, v);
  }
  const get = (n: string): string | null => first.get(n) ?? null;
  const from = parseAddressList(get('from'));
  const sender = parseAddressList(get('sender'));
  const replyTo = parseAddressList(get('reply-to'));
  return {
    date: (get('date')),
    subject: (get('subject')),
    from,
    // RFC 3501 §7.4.2: the server fills sender and reply-to from From when absent.
    sender: sender ?? from,
    replyTo: replyTo ?? from,
    to: parseAddressList(get('to')),
    cc: parseAddressList(get('cc')),
    bcc: parseAddressList(get('bcc')),
    inReplyTo: (get('in-reply-to')),
    messageId: (get('message-id')),
  };
}

/** Envelope from a raw header block (or a whole message; parsing stops at the empty line). */
export function parseEnvelope(header: Buffer): Envelope {
  return envelopeFromFields(parseHeaderBlock(header));
}
