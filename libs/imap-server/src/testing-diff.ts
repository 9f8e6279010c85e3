/**
 * Differential test harness (not a test): our ImapServer and a private Dovecot 2.3 on loopback, the
 * same user on both, raw socket clients, and a normaliser that turns a command's replies into
 * canonical lines so that only what RFC 3501 fixes is compared.
 *
 * What is normalised away, and why (RFC 3501 unless stated):
 * - human-readable text after OK/NO/BAD (§7.1) and response codes that are only hints;
 * - UIDVALIDITY values (§2.3.1.1: any strictly ascending value), also inside COPYUID/APPENDUID;
 * - string representation: quoted vs literal are the same string (§4.3);
 * - order of FETCH data items inside one FETCH response (§7.4.2 gives no order), order of
 *   flags in a flag list (§2.3.2 a set), order of STATUS items (§7.2.4), order of SEARCH numbers
 *   (§7.2.5), order of LIST/LSUB responses (§7.2.2-3) and of FETCH responses for different messages;
 * - EXPUNGE responses are replayed to the set of original sequence numbers they remove (§7.4.1:
 *   any order is valid as long as each number is relative to the previous responses), and FETCH
 *   responses after them are renumbered to the same original numbering;
 * - ESEARCH sequence sets are expanded and its items sorted (RFC 4731 §3.1: "1:3" = "1,2,3");
 * - untagged status/data responses are sorted (§7: any order; e.g. SELECT's §6.3.1 list);
 * - BODY/BODYSTRUCTURE: case of media type, subtype, encoding, parameter names, disposition type
 *   (RFC 2045 §5.1, §6.1; RFC 2183), and body-fld-lang "de" = ("de") (§9);
 * - INTERNALDATE " 2-Nov" = "02-Nov" (§9 date-day-fixed); blanks around an ENVELOPE msg-id (RFC 5322 §3.6.4);
 * - CAPABILITY/ID/NAMESPACE/ENABLED/QUOTA data and the charset list of BADCHARSET (server's own).
 * Dovecot's deviations from the RFCs and the freedoms both servers have are in differential.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, chownTree, dovecotVersion, type DovecotInstance } from '../../../loadtest/lib/dovecot.js';
import { startHarness, RawClient, USERS, type Harness } from './testing.js';

export const DIFF_USER = 'alice@example.org';

export interface DiffPair {
  ours: Harness;
  dovecot: DovecotInstance;
  dir: string;
  close(): Promise<void>;
}

export async function startPair(): Promise<DiffPair> {
  if (!dovecotVersion()) throw new Error('dovecot is not installed: apt-get install dovecot-imapd (scripts/test-deps.sh)');
  const dir = await mkdtemp(join(tmpdir(), 'imap-diff-'));
  await chmod(dir, 0o755); // Dovecot's auth and mail processes (dovecot, nobody) must reach their files
  const root = join(dir, 'mail');
  mkdirSync(join(root, 'example.org'), { recursive: true });
  chownTree(root);
  const ours = await startHarness();
  let dovecot: DovecotInstance | null = null;
  for (let attempt = 0; !dovecot; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      dovecot = await startDovecot({
        dir: join(dir, `dovecot-${attempt}`), mailRoot: root, port,
        users: Object.entries(USERS).map(([user, password]) => ({ user, password })),
        // Our hierarchy separator is "/" (as UCS configures Dovecot); Dovecot's maildir default is ".".
        extraConfig: 'namespace inbox {\n  inbox = yes\n  separator = /\n  prefix =\n}\n',
      });
    } catch (e) {
      if (attempt >= 3) { await ours.close(); throw e; }
    }
  }
  const dv = dovecot;
  return {
    ours, dovecot: dv, dir,
    async close() {
      await ours.close();
      await dv.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A raw client that sends bytes (8-bit safe) and logs in. */
export async function login(port: number, user = DIFF_USER): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.line();
  const r = await c.cmd('L', `LOGIN ${user} ${USERS[user]}`);
  if (!r[r.length - 1]!.startsWith('L OK')) throw new Error(`login failed on port ${port}: ${r.join('|')}`);
  return c;
}

export interface Seed { bytes: Buffer; flags?: string; date?: string }

/** APPENDs the exact bytes with LITERAL+ (both servers support it), with flags and internal date. */
export async function append(c: RawClient, mailbox: string, m: Seed): Promise<string[]> {
  const head = `A APPEND ${mailbox} ${m.flags !== undefined ? `(${m.flags}) ` : ''}${m.date ? `"${m.date}" ` : ''}{${m.bytes.length}+}\r\n`;
  c.send(Buffer.concat([Buffer.from(head, 'latin1'), m.bytes, Buffer.from('\r\n')]));
  return c.until('A', 10_000);
}

// ---------------------------------------------------------------- response values

export type Val = { a: string } | { s: string } | { l: Val[] } | null;

/** Parses IMAP response data (after the "* " prefix) into values; literals were inlined by RawClient. */
export function parseVals(text: string): Val[] {
  let i = 0;
  const out: Val[] = [];
  const stack: Val[][] = [out];
  const top = (): Val[] => stack[stack.length - 1]!;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ') { i++; continue; }
    if (ch === '(') { const l: Val[] = []; top().push({ l }); stack.push(l); i++; continue; }
    if (ch === ')') { if (stack.length > 1) stack.pop(); i++; continue; }
    if (ch === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        s += text[i] ?? '';
        i++;
      }
      i++;
      top().push({ s });
      continue;
    }
    const lit = /^~?\{(\d+)\+?\}\r\n/.exec(text.slice(i));
    if (lit) {
      const start = i + lit[0].length;
      top().push({ s: text.slice(start, start + Number(lit[1])) });
      i = start + Number(lit[1]);
      continue;
    }
    // atom, possibly with a [section] and <partial> (BODY[HEADER.FIELDS (A B)]<0>) kept as one atom
    let j = i;
    let depth = 0;
    while (j < text.length) {
      const c = text[j]!;
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (depth === 0 && (c === ' ' || c === '(' || c === ')')) break;
      j++;
    }
    const atom = text.slice(i, j);
    top().push(atom.toUpperCase() === 'NIL' ? null : { a: atom });
    i = j;
  }
  return out;
}

export function show(v: Val): string {
  if (v === null) return 'NIL';
  if ('a' in v) return v.a;
  if ('s' in v) return JSON.stringify(v.s);
  return `(${v.l.map(show).join(' ')})`;
}

function atomsToStrings(v: Val): Val {
  if (v && 'a' in v) return { s: v.a };
  if (v && 'l' in v) return { l: v.l.map(atomsToStrings) };
  return v;
}

function sortedFlags(v: Val): Val {
  if (v && 'l' in v) return { l: [...v.l].sort((x, y) => show(x).localeCompare(show(y))) };
  return v;
}

/** Expands a sequence set atom ("1:3,7") into a sorted comma list. */
export function expandSet(s: string): string {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (b === undefined) out.push(a!);
    else for (let k = Math.min(a!, b); k <= Math.max(a!, b); k++) out.push(k);
  }
  return out.sort((x, y) => x - y).join(',');
}

const up = (v: Val): Val => (v && 's' in v ? { s: v.s.toUpperCase() } : v);

/** Parameter list: attribute names are case-insensitive (RFC 2045 §5.1), values are kept. */
function normParams(v: Val): Val {
  if (!v || !('l' in v)) return v;
  return { l: v.l.map((x, i) => (i % 2 === 0 ? up(x) : x)) };
}

/**
 * BODY/BODYSTRUCTURE: media type, subtype, transfer encoding, parameter names and disposition type
 * are case-insensitive (RFC 2045 §5.1, §6.1; RFC 2183 §2); Dovecot lowercases, we uppercase.
 */
export function normBody(v: Val): Val {
  if (!v || !('l' in v)) return v;
  const l = v.l;
  if (l.length > 0 && l[0] && 'l' in l[0]) {
    // multipart: parts, subtype, [params, disposition, language, location]
    let k = 0;
    const out: Val[] = [];
    while (k < l.length && l[k] && 'l' in l[k]!) out.push(normBody(l[k++]!));
    out.push(up(l[k++] ?? null));
    if (k < l.length) out.push(normParams(l[k++]!));
    if (k < l.length) out.push(normDisposition(l[k++]!));
    if (k < l.length) out.push(normLanguage(l[k++]!));
    out.push(...l.slice(k));
    return { l: out };
  }
  const out = [...l];
  out[0] = up(l[0] ?? null);
  out[1] = up(l[1] ?? null);
  out[2] = normParams(l[2] ?? null);
  out[5] = up(l[5] ?? null);
  const isMsg = show(out[0]) === '"MESSAGE"' && (show(out[1]) === '"RFC822"' || show(out[1]) === '"GLOBAL"');
  const isText = show(out[0]) === '"TEXT"';
  // extension data starts after size (+lines for text, +envelope/body/lines for message/rfc822): md5, disposition
  const ext = isMsg ? 10 : isText ? 8 : 7;
  if (isMsg && out[8]) out[8] = normBody(out[8]);
  if (out.length > ext + 1) out[ext + 1] = normDisposition(out[ext + 1]!);
  if (out.length > ext + 2) out[ext + 2] = normLanguage(out[ext + 2]!);
  return { l: out };
}

/** body-fld-lang = nstring / "(" string *(SP string) ")" (RFC 3501 §9): "de" and ("de") are equal. */
function normLanguage(v: Val): Val {
  return v && 's' in v ? { l: [v] } : v;
}

function normDisposition(v: Val): Val {
  if (!v || !('l' in v)) return v;
  return { l: [up(v.l[0] ?? null), normParams(v.l[1] ?? null), ...v.l.slice(2)] };
}

function normFetchValue(key: string, v: Val): Val {
  if (key === 'FLAGS') return sortedFlags(v);
  if (key === 'BODY' || key === 'BODYSTRUCTURE') return normBody(v);
  // date-day-fixed is (SP DIGIT) / 2DIGIT (RFC 3501 §9): " 2-Nov" and "02-Nov" are the same day.
  if (key === 'INTERNALDATE' && v && 's' in v) return { s: v.s.replace(/^ /, '0') };
  if (key === 'ENVELOPE' && v && 'l' in v) {
    // in-reply-to / message-id: the CFWS around a msg-id is not part of it (RFC 5322 §3.6.4);
    // Dovecot keeps trailing blanks of the raw header value.
    return { l: v.l.map((x, i) => (i >= 8 && x && 's' in x ? { s: x.s.trim() } : x)) };
  }
  return v;
}

/** Response codes whose presence the RFCs require (others are hints, compared by name only if listed here). */
const KEPT_CODES = new Set(['COPYUID', 'APPENDUID', 'READ-ONLY', 'READ-WRITE', 'TRYCREATE', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'PERMANENTFLAGS', 'BADCHARSET']);

function normCode(code: string): string | null {
  const name = code.split(' ')[0]!.toUpperCase();
  if (!KEPT_CODES.has(name)) return null;
  if (name === 'UIDVALIDITY') return 'UIDVALIDITY <v>';
  if (name === 'BADCHARSET') return name; // the list of supported charsets is the server's (RFC 3501 §7.1)
  if (name === 'COPYUID' || name === 'APPENDUID') {
    const p = code.split(' ');
    return [name, '<v>', ...p.slice(2).map(expandSet)].join(' ');
  }
  if (name === 'PERMANENTFLAGS') return `PERMANENTFLAGS ${show(sortedFlags(parseVals(code.slice(name.length + 1))[0] ?? null))}`;
  return code;
}

/** Canonical lines for one command's replies; EXPUNGE responses become one "EXPUNGED <original seqs>" line. */
export function normalise(lines: string[], tag: string): string[] {
  const fetches: string[] = [];
  const lists: string[] = [];
  const other: string[] = [];
  const expunged: number[] = [];
  let seqs: number[] | null = null;
  let tagged = '';
  for (const line of lines) {
    if (line.startsWith(tag + ' ')) {
      const m = /^(\S+) (OK|NO|BAD)(?: \[([^\]]*)\])?/.exec(line);
      const code = m?.[3] ? normCode(m[3]) : null;
      tagged = `${tag} ${m?.[2] ?? line}${code ? ` [${code}]` : ''}`;
      continue;
    }
    if (line.startsWith('+')) { other.push('+'); continue; }
    const rest = line.slice(2);
    const st = /^(OK|NO|BAD|BYE|PREAUTH)(?: \[([^\]]*)\])?/.exec(rest);
    if (st) {
      const code = st[2] ? normCode(st[2]) : null;
      if (code) other.push(`* ${st[1]} [${code}]`);
      continue;
    }
    const num = /^(\d+) (\S+)(?: (.*))?$/s.exec(rest);
    if (num) {
      const n = Number(num[1]);
      const kind = num[2]!.toUpperCase();
      if (kind === 'EXPUNGE') {
        // Replay to original sequence numbers (RFC 3501 §7.4.1).
        if (!seqs) seqs = Array.from({ length: 100_000 }, (_, k) => k + 1);
        expunged.push(seqs[n - 1]!);
        seqs.splice(n - 1, 1);
        continue;
      }
      if (kind === 'FETCH') {
        const items = (parseVals(num[3] ?? '')[0] as { l: Val[] } | null)?.l ?? [];
        const pairs: string[] = [];
        for (let k = 0; k + 1 < items.length; k += 2) {
          const key = show(items[k]!).toUpperCase();
          pairs.push(`${key} ${show(normFetchValue(key, items[k + 1]!))}`);
        }
        // Numbered as before this reply's EXPUNGEs, so FETCH-before/after-EXPUNGE orders compare equal.
        fetches.push(`* ${seqs ? seqs[n - 1]! : n} FETCH (${pairs.sort().join(' ')})`);
        continue;
      }
      other.push(`* ${n} ${kind}${num[3] ? ' ' + num[3] : ''}`);
      continue;
    }
    const word = /^(\S+)(?: (.*))?$/s.exec(rest);
    const kind = word?.[1]?.toUpperCase() ?? '';
    const args = word?.[2] ?? '';
    switch (kind) {
      case 'CAPABILITY': case 'ID': case 'NAMESPACE': case 'ENABLED': case 'QUOTA': case 'QUOTAROOT':
        break; // server-specific (compared by dedicated tests, if at all)
      case 'SEARCH':
        other.push(`* SEARCH ${args.split(' ').filter(Boolean).map(Number).sort((x, y) => x - y).join(' ')}`.trimEnd());
        break;
      case 'ESEARCH': {
        const v = parseVals(args);
        const parts: string[] = [];
        for (let k = 0; k < v.length; k++) {
          const x = v[k]!;
          if (x && 'l' in x) { parts.push(show(x)); continue; }
          const key = show(x).toUpperCase();
          if (key === 'UID') { parts.push('UID'); continue; }
          const val = show(v[++k] ?? null);
          parts.push(`${key} ${key === 'ALL' ? expandSet(val) : val}`);
        }
        // RFC 4731 §3.1: the order of search-return-data items is not fixed.
        const head = parts.filter((x) => x.startsWith('(') || x === 'UID');
        other.push(`* ESEARCH ${[...head, ...parts.filter((x) => !head.includes(x)).sort()].join(' ')}`);
        break;
      }
      case 'STATUS': {
        const v = parseVals(args);
        const items = (v[1] as { l: Val[] } | null)?.l ?? [];
        const pairs: string[] = [];
        for (let k = 0; k + 1 < items.length; k += 2) {
          const key = show(items[k]!).toUpperCase();
          pairs.push(`${key} ${key === 'UIDVALIDITY' ? '<v>' : show(items[k + 1]!)}`);
        }
        other.push(`* STATUS ${show(v[0] ?? null)} (${pairs.sort().join(' ')})`);
        break;
      }
      case 'LIST': case 'LSUB': {
        const v = parseVals(args);
        // Extended data (RFC 5258 §9 mbox-list-extended-item-tag = astring): atom and string are equal.
        const ext = v.slice(3).map(atomsToStrings);
        lists.push(`* ${kind} ${show(sortedFlags(v[0] ?? null))} ${[...v.slice(1, 3), ...ext].map(show).join(' ')}`);
        break;
      }
      case 'FLAGS':
        other.push(`* FLAGS ${show(sortedFlags(parseVals(args)[0] ?? null))}`);
        break;
      default:
        other.push(`* ${kind} ${args}`);
    }
  }
  // Untagged status/data responses may come in any order (RFC 3501 §7, §6.3.1 SELECT's list).
  const out = [...other].sort();
  if (expunged.length) out.push(`* EXPUNGED ${[...expunged].sort((x, y) => x - y).join(',')}`);
  const bySeq = (x: string, y: string): number => Number(/^\* (\d+)/.exec(x)![1]) - Number(/^\* (\d+)/.exec(y)![1]);
  out.push(...fetches.sort(bySeq), ...lists.sort(), tagged);
  return out;
}

/** Both sides of one command, normalised. */
export interface Step { cmd: string; ours: string[]; dovecot: string[]; rawOurs: string[]; rawDovecot: string[] }

export class DiffSession {
  private n = 0;
  constructor(public ours: RawClient, public dovecot: RawClient) {}

  static async open(pair: DiffPair, user = DIFF_USER): Promise<DiffSession> {
    return new DiffSession(await login(pair.ours.port, user), await login(pair.dovecot.port, user));
  }

  /**
   * Sends the same command to both (in parallel) and returns the normalised replies. A string is
   * sent as UTF-8; a Buffer as is (for literals in other charsets).
   */
  async run(cmd: string | Buffer): Promise<Step> {
    const tag = `D${++this.n}`;
    const line = Buffer.concat([Buffer.from(`${tag} `), Buffer.from(cmd), Buffer.from('\r\n')]);
    this.ours.send(line);
    this.dovecot.send(line);
    const [a, b] = await Promise.all([this.ours.until(tag, 15_000), this.dovecot.until(tag, 15_000)]);
    const text = typeof cmd === 'string' ? cmd : cmd.toString('latin1');
    return { cmd: text, ours: normalise(a, tag), dovecot: normalise(b, tag), rawOurs: a, rawDovecot: b };
  }

  async append(mailbox: string, m: Seed): Promise<void> {
    const [a, b] = await Promise.all([append(this.ours, mailbox, m), append(this.dovecot, mailbox, m)]);
    for (const [who, r] of [['ours', a], ['dovecot', b]] as const) {
      if (!/^A OK/.test(r[r.length - 1]!)) throw new Error(`APPEND failed on ${who}: ${r.join(' | ')}`);
    }
  }

  close(): void { this.ours.close(); this.dovecot.close(); }
}
