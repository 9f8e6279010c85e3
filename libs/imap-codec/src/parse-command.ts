/**
 * Parses one complete (framed) command into the AST of types.ts. APPEND is not handled here:
 * the receiver streams it (see receiver.ts / parse-append.ts).
 */
import type { Command, ListCommand, SeqSet, StatusItem } from './types.js';
import { Parser, type ParserOptions } from './parser.js';
import { parseSeqSet } from './seqset.js';
import { parseFetchItems } from './parse-fetch.js';
import { parseSearchProgram } from './parse-search.js';

/** tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 §9). */
export const TAG_RE = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/;

const NO_ARGS = new Set(['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'NAMESPACE']);

const STATUS_ITEMS = new Set<StatusItem>(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'SIZE', 'HIGHESTMODSEQ', 'DELETED']);

/** ESEARCH return options (RFC 4731 §3.1, SAVE from RFC 5182). */
const SEARCH_RETURN = new Set(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Body = DistOmit<Command, 'tag' | 'uid'>;

/** Reads "tag SP" and the command name ("UID" + SP + name when present). */
export function parseHead(p: Parser): { tag: string; uid: boolean; name: string } {
  const sp = p.text.indexOf(' ');
  const tag = sp < 0 ? p.text : p.text.slice(0, sp);
  if (!TAG_RE.test(tag)) p.fail('Invalid tag');
  p.pos = tag.length;
  p.sp();
  let name = p.word();
  let uid = false;
  if (name === 'UID') {
    uid = true;
    p.sp();
    name = p.word();
  }
  return { tag, uid, name };
}

function seqSet(p: Parser): SeqSet {
  const s = parseSeqSet(p.seqSetText());
  if (!s) p.fail('Invalid sequence set');
  return s;
}

function statusItems(p: Parser): StatusItem[] {
  p.open();
  const items: StatusItem[] = [];
  if (p.peek() !== 0x29) {
    do {
      const w = p.word() as StatusItem;
      if (!STATUS_ITEMS.has(w)) p.fail(`Unknown STATUS item ${w}`);
      items.push(w);
    } while (p.trySp());
  }
  p.close();
  return items;
}

export function parseCommand(text: string, litPos: readonly number[], literals: readonly Buffer[], opts: ParserOptions): Command {
  const p = new Parser(text, litPos, literals, opts);
  const head = parseHead(p);
  const body = parseBody(p, head.name, head.uid);
  p.expectEnd();
  return { tag: head.tag, uid: head.uid, ...body } as Command;
}

function parseBody(p: Parser, name: string, uid: boolean): Body {
  if (uid && !['COPY', 'MOVE', 'FETCH', 'SEARCH', 'STORE', 'EXPUNGE'].includes(name)) p.fail(`UID ${name} is not a UID command`);
  if (NO_ARGS.has(name)) return { name } as Body;
  switch (name) {
    case 'AUTHENTICATE': {
      p.sp();
      const mechanism = p.atom().toUpperCase();
      let initialResponse: string | null = null;
      // SASL-IR (RFC 4959 §3): base64 or "=" for an empty response.
      if (p.trySp()) {
        const start = p.pos;
        while (!p.atEnd() && /[A-Za-z0-9+/=]/.test(p.text[p.pos]!)) p.pos++;
        if (p.pos === start) p.fail('Invalid initial response');
        initialResponse = p.text.slice(start, p.pos);
      }
      return { name, mechanism, initialResponse };
    }
    case 'LOGIN': {
      p.sp();
      const username = p.astring();
      p.sp();
      return { name, username, password: p.astring() };
    }
    case 'ENABLE': {
      const capabilities: string[] = [];
      p.sp();
      do capabilities.push(p.word()); while (p.trySp());
      return { name, capabilities };
    }
    case 'ID': return parseId(p);
    case 'SELECT':
    case 'EXAMINE': return parseSelect(p, name);
    case 'CREATE': {
      p.sp();
      const mailbox = p.mailbox();
      const specialUse: string[] = [];
      // create-param "USE" SP "(" [use-attr *(SP use-attr)] ")" (RFC 6154 §3)
      if (p.trySp()) {
        p.open();
        do {
          const w = p.word();
          if (w !== 'USE') p.fail(`Unknown CREATE parameter ${w}`);
          p.sp();
          p.open();
          if (p.peek() !== 0x29) {
            do {
              if (p.peek() !== 0x5c) p.fail('Invalid special-use attribute');
              p.pos++;
              const a = p.atom();
              specialUse.push('\\' + a[0]!.toUpperCase() + a.slice(1).toLowerCase());
            } while (p.trySp());
          }
          p.close();
        } while (p.trySp());
        p.close();
      }
      return { name, mailbox, specialUse };
    }
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      p.sp();
      return { name, mailbox: p.mailbox() };
    case 'RENAME': {
      p.sp();
      const from = p.mailbox();
      p.sp();
      return { name, from, to: p.mailbox() };
    }
    case 'LIST': return { name, ...parseList(p) };
    case 'LSUB': {
      p.sp();
      const reference = p.decodeMailbox(p.astring(), false);
      p.sp();
      return { name, reference, pattern: p.decodeMailbox(p.listMailbox(), false) };
    }
    case 'STATUS': {
      p.sp();
      const mailbox = p.mailbox();
      p.sp();
      return { name, mailbox, items: statusItems(p) };
    }
    case 'EXPUNGE': {
      if (!uid) return { name, uidSet: null };
      p.sp();
      return { name, uidSet: seqSet(p) };
    }
    case 'SEARCH': return parseSearch(p);
    case 'FETCH': return parseFetch(p, uid);
    case 'STORE': return parseStore(p);
    case 'COPY':
    case 'MOVE': {
      p.sp();
      const set = seqSet(p);
      p.sp();
      return { name, set, mailbox: p.mailbox() };
    }
    case 'GETQUOTA':
      p.sp();
      return { name, root: p.astring() };
    case 'GETQUOTAROOT':
      p.sp();
      return { name, mailbox: p.mailbox() };
    case 'SETQUOTA': {
      p.sp();
      const root = p.astring();
      p.sp();
      p.open();
      const limits: Array<[string, number]> = [];
      if (p.peek() !== 0x29) {
        do {
          const res = p.word();
          p.sp();
          limits.push([res, p.number(true)]);
        } while (p.trySp());
      }
      p.close();
      return { name, root, limits };
    }
    case 'APPEND':
      return p.fail('APPEND is handled by the stream parser');
    default:
      return p.fail(name.length > 32 ? 'Unknown command' : `Unknown command ${name}`);
  }
}

/** ID (RFC 2971 §3.1): "ID" SP ("(" #(string SP nstring) ")" / nil). */
function parseId(p: Parser): Body {
  p.sp();
  if (p.peek() !== 0x28) {
    if (p.word() !== 'NIL') p.fail('Expected ID parameter list or NIL');
    return { name: 'ID', params: null };
  }
  p.open();
  const params: Array<[string, string | null]> = [];
  if (p.peek() !== 0x29) {
    do {
      const k = p.string();
      p.sp();
      params.push([k, p.nstring()]);
    } while (p.trySp());
  }
  p.close();
  return { name: 'ID', params };
}

/** SELECT/EXAMINE mailbox [SP "(" select-param *(SP select-param) ")"] (RFC 7162 §3.1.8, §3.2.5). */
function parseSelect(p: Parser, name: 'SELECT' | 'EXAMINE'): Body {
  p.sp();
  const mailbox = p.mailbox();
  let condstore = false;
  let qresync: { uidValidity: number; modseq: number; knownUids: SeqSet | null } | null = null;
  if (p.trySp()) {
    p.open();
    if (p.peek() !== 0x29) {
      do {
        const w = p.word();
        if (w === 'CONDSTORE') condstore = true;
        else if (w === 'QRESYNC') {
          p.sp();
          p.open();
          const uidValidity = p.nzNumber();
          p.sp();
          const modseq = p.number(true);
          let knownUids: SeqSet | null = null;
          if (p.trySp()) {
            if (p.peek() !== 0x28) {
              knownUids = seqSet(p);
              if (knownUids.kind === 'saved') p.fail('Invalid known-uids');
              p.trySp();
            }
            if (p.peek() === 0x28) {
              // seq-match-data: accepted and ignored (an optimisation hint only).
              p.open();
              seqSet(p);
              p.sp();
              seqSet(p);
              p.close();
            }
          }
          p.close();
          qresync = { uidValidity, modseq, knownUids };
        } else p.fail(`Unknown select parameter ${w}`);
      } while (p.trySp());
    }
    p.close();
  }
  return { name, mailbox, condstore, qresync };
}

/** LIST, basic (RFC 3501 §6.3.8) or extended (RFC 5258 §3, RFC 5819, RFC 6154). */
function parseList(p: Parser): ListCommand {
  const out: ListCommand = { selection: [], reference: '', patterns: [], returnOpts: [], returnStatus: null, extended: false };
  p.sp();
  if (p.peek() === 0x28) {
    out.extended = true;
    p.open();
    if (p.peek() !== 0x29) {
      do out.selection.push(p.word()); while (p.trySp());
    }
    p.close();
    p.sp();
  }
  out.reference = p.decodeMailbox(p.astring(), false);
  p.sp();
  if (p.peek() === 0x28) {
    out.extended = true;
    p.open();
    do out.patterns.push(p.decodeMailbox(p.listMailbox(), false)); while (p.trySp());
    p.close();
  } else {
    out.patterns.push(p.decodeMailbox(p.listMailbox(), false));
  }
  if (p.trySp()) {
    if (p.word() !== 'RETURN') p.fail('Expected RETURN');
    out.extended = true;
    p.sp();
    p.open();
    if (p.peek() !== 0x29) {
      do {
        const w = p.word();
        if (w === 'STATUS') {
          p.sp();
          out.returnStatus = statusItems(p);
        }
        out.returnOpts.push(w);
      } while (p.trySp());
    }
    p.close();
  }
  return out;
}

/** SEARCH [SP "RETURN" SP "(" [opts] ")"] [SP "CHARSET" SP astring] 1*(SP search-key). */
function parseSearch(p: Parser): Body {
  p.sp();
  let returnOpts: string[] | null = null;
  let charset: string | null = null;
  if (p.text.slice(p.pos, p.pos + 7).toUpperCase() === 'RETURN ') {
    p.pos += 7;
    p.open();
    returnOpts = [];
    if (p.peek() !== 0x29) {
      do {
        const w = p.word();
        if (!SEARCH_RETURN.has(w)) p.fail(`Unknown SEARCH return option ${w}`);
        returnOpts.push(w);
      } while (p.trySp());
    }
    p.close();
    p.sp();
  }
  if (p.text.slice(p.pos, p.pos + 8).toUpperCase() === 'CHARSET ') {
    p.pos += 8;
    charset = p.astring().toUpperCase();
    p.sp();
  }
  return { name: 'SEARCH', charset, criteria: parseSearchProgram(p), returnOpts };
}

/** FETCH set SP items [SP "(" fetch-modifier *(SP fetch-modifier) ")"] (RFC 7162 §3.1.4, §3.2.6). */
function parseFetch(p: Parser, uid: boolean): Body {
  p.sp();
  const set = seqSet(p);
  p.sp();
  const items = parseFetchItems(p);
  let changedSince: number | null = null;
  let vanished = false;
  if (p.trySp()) {
    p.open();
    do {
      const w = p.word();
      if (w === 'CHANGEDSINCE') { p.sp(); changedSince = p.number(true); }
      else if (w === 'VANISHED') vanished = true;
      else p.fail(`Unknown FETCH modifier ${w}`);
    } while (p.trySp());
    p.close();
  }
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH and only together with CHANGEDSINCE.
  if (vanished && (!uid || changedSince === null)) p.fail('VANISHED requires UID FETCH with CHANGEDSINCE');
  return { name: 'FETCH', set, items, changedSince, vanished };
}

/** STORE set [SP "(" UNCHANGEDSINCE n ")"] SP ["+"/"-"] "FLAGS" [".SILENT"] SP (flag-list / flag *(SP flag)). */
function parseStore(p: Parser): Body {
  p.sp();
  const set = seqSet(p);
  p.sp();
  let unchangedSince: number | null = null;
  if (p.peek() === 0x28) {
    p.open();
    do {
      const w = p.word();
      if (w !== 'UNCHANGEDSINCE') p.fail(`Unknown STORE modifier ${w}`);
      p.sp();
      unchangedSince = p.number(true);
    } while (p.trySp());
    p.close();
    p.sp();
  }
  let op: 'add' | 'remove' | 'replace' = 'replace';
  if (p.peek() === 0x2b) { op = 'add'; p.pos++; } else if (p.peek() === 0x2d) { op = 'remove'; p.pos++; }
  const w = p.name();
  if (w !== 'FLAGS' && w !== 'FLAGS.SILENT') p.fail('Expected FLAGS, +FLAGS or -FLAGS');
  p.sp();
  let flags: string[];
  if (p.peek() === 0x28) flags = p.flagList();
  else {
    flags = [p.flag()];
    while (p.trySp()) flags.push(p.flag());
  }
  return { name: 'STORE', set, op, silent: w === 'FLAGS.SILENT', flags, unchangedSince };
}
