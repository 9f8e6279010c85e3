/**
 * Response encoding helpers used by the server (strings, flags, dates, ENVELOPE, BODYSTRUCTURE).
 * The server's wire format is decided here (strings and ENVELOPE by the pure formatter it re-exports).
 */
import type { BodyPart } from '../../mime/src/types.js';
import { formatEnvelope, imapString, nstring } from '../../mime/src/envelope-imap.js';

// Strings and ENVELOPE are formatted by libs/mime/src/envelope-imap.ts: the storage caches ENVELOPE
// text made by the same code, so a cached and a freshly formatted ENVELOPE are the same bytes.
export { formatEnvelope, imapString, nstring };

/** RFC 3501 §9 ATOM-CHAR: anything but atom-specials. */
const ATOM_RE = /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

export function astring(s: string): string {
  return s !== '' && ATOM_RE.test(s) ? s : imapString(s);
}

/** Modified UTF-7 (RFC 3501 §5.1.3) encoding of a UTF-8 mailbox name. */
export function mutf7Encode(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const buf = Buffer.alloc(pending.length * 2);
    pending.forEach((u, i) => buf.writeUInt16BE(u, i * 2));
    out += '&' + buf.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : name[i];
    } else {
      pending.push(c);
    }
  }
  flush();
  return out;
}

export function mailboxName(name: string): string {
  return astring(mutf7Encode(name));
}

/**
 * Stores share one flag list per flag combination (100,000 records, a handful of lists) and never
 * change a list in place: the text of each is made once (a FETCH 1:* FLAGS writes it per message).
 */
const flagsText = new WeakMap<readonly string[], string>();

export function formatFlags(flags: readonly string[], recent = false): string {
  if (recent) return '(' + [...flags, '\\Recent'].join(' ') + ')';
  let t = flagsText.get(flags);
  if (t === undefined) {
    t = '(' + flags.join(' ') + ')';
    flagsText.set(flags, t);
  }
  return t;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" with space-padded day (date-day-fixed). */
export function formatInternalDate(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `"${day}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000"`;
}

function params(p: Array<[string, string]>): string {
  if (p.length === 0) return 'NIL';
  return '(' + p.map(([k, v]) => `${imapString(k)} ${imapString(v)}`).join(' ') + ')';
}

function disposition(part: BodyPart): string {
  if (!part.disposition) return 'NIL';
  return `(${imapString(part.disposition.type)} ${params(part.disposition.params)})`;
}

function language(part: BodyPart): string {
  if (!part.language || part.language.length === 0) return 'NIL';
  if (part.language.length === 1) return imapString(part.language[0]!);
  return '(' + part.language.map(imapString).join(' ') + ')';
}

const EMPTY_PART = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)';

/** RFC 3501 §7.4.2 BODY (extensible=false) and BODYSTRUCTURE (extensible=true). */
export function formatBodyStructure(part: BodyPart, extensible: boolean, depth = 0): string {
  const ct = part.contentType;
  if (ct.type === 'multipart') {
    const kids = part.children && part.children.length > 0 && depth < 100
      ? part.children.map((c) => formatBodyStructure(c, extensible, depth + 1)).join('')
      : extensible ? EMPTY_PART.slice(0, -1) + ' NIL NIL NIL NIL)' : EMPTY_PART; // extension data as for any part
    let s = '(' + kids + ' ' + imapString(ct.subtype);
    if (extensible) s += ` ${params(ct.params)} ${disposition(part)} ${language(part)} ${nstring(part.location)}`;
    return s + ')';
  }
  const size = Math.max(0, part.bodyEnd - part.bodyStart);
  const fields = [
    imapString(ct.type), imapString(ct.subtype), params(ct.params),
    nstring(part.id), nstring(part.description), imapString(part.encoding), String(size),
  ];
  if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global') && part.message && depth < 100) {
    fields.push(formatEnvelope(part.message.envelope), formatBodyStructure(part.message.body, extensible, depth + 1), String(part.bodyLines));
  } else if (ct.type === 'text') {
    fields.push(String(part.bodyLines));
  }
  if (extensible) fields.push(nstring(part.md5), disposition(part), language(part), nstring(part.location));
  return '(' + fields.join(' ') + ')';
}
