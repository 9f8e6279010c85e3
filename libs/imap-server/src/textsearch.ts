/**
 * Content access for SEARCH: header fields and decoded text of a message, read lazily from the
 * store. Text parts are decoded (Content-Transfer-Encoding, charset) so BODY/TEXT match what the
 * user sees (RFC 3501 §6.4.4: matching is on the decoded, case-insensitive text).
 */
import type { Mailbox } from '../../mailstore/src/types.js';
import type { BodyPart, MessageStructure } from '../../mime/src/types.js';
import { parseHeaderBlock } from '../../mime/src/headers.js';
import { decodeCharset } from '../../mime/src/charset.js';

/** Per text part we decode at most this much for searching (bounded memory per message). */
const MAX_PART_BYTES = 16 * 1024 * 1024;
/** Messages up to this size are read once per SEARCH evaluation instead of once per part. */
const WHOLE_READ_MAX = 256 * 1024;

export async function readRange(mb: Mailbox, uid: number, start: number, end: number, max = MAX_PART_BYTES): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const stream = await mb.open(uid, start, Math.min(end, start + max));
  const bufs: Buffer[] = [];
  try {
    for await (const c of stream) bufs.push(c as Buffer);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(bufs);
}

/** RFC 2047 encoded-words → text. */
export function decodeWords(s: string): string {
  return s.replace(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=(?:\s+(?==\?))?/g, (_m, cs: string, enc: string, text: string) => {
    const charset = cs.split('*')[0]!;
    let buf: Buffer;
    if (enc.toUpperCase() === 'B') buf = Buffer.from(text, 'base64');
    else buf = qpDecode(text.replace(/_/g, ' '));
    try { return decodeCharset(buf, charset); } catch { return buf.toString('latin1'); }
  });
}

export function qpDecode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      const h = s.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(h)) { out.push(parseInt(h, 16)); i += 2; continue; }
      // Soft line break "=\r\n".
      const m = /^\r?\n/.exec(s.slice(i + 1, i + 3));
      if (m) { i += m[0].length; continue; }
    }
    out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decodeBody(raw: Buffer, part: BodyPart): string {
  let bytes: Buffer = raw;
  if (part.encoding === 'BASE64') bytes = Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (part.encoding === 'QUOTED-PRINTABLE') bytes = qpDecode(raw.toString('latin1'));
  const charset = part.contentType.params.find(([k]) => k === 'charset')?.[1] ?? 'us-ascii';
  try { return decodeCharset(bytes, charset); } catch { return bytes.toString('latin1'); }
}

/**
 * The only characters whose toLowerCase() contains ASCII: U+0130 (-> "i\u0307") and U+212A KELVIN
 * SIGN (-> "k"). Without them, a case-insensitive regex for an ASCII needle matches exactly where
 * text.toLowerCase().includes(needle) does (the non-unicode /i never maps non-ASCII to ASCII).
 */
const LOWERS_TO_ASCII = /[\u0130\u212a]/;
const needleRes = new Map<string, RegExp | null>();

/**
 * For a printable ASCII needle: a case-insensitive literal regex; about 4x faster than
 * text.toLowerCase().includes(needle) on 10 KB (no lower-cased copy).
 */
function needleRegex(needle: string): RegExp | null {
  let re = needleRes.get(needle);
  if (re === undefined) {
    re = /^[\x20-\x7e]+$/.test(needle) ? new RegExp(needle.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), 'i') : null;
    if (needleRes.size > 64) needleRes.clear();
    needleRes.set(needle, re);
  }
  return re;
}

/** text.toLowerCase().includes(needle) for a lower-cased needle (RFC 3501 §6.4.4 case-insensitive match). */
export function includesFolded(text: string, needle: string): boolean {
  const re = needleRegex(needle);
  if (re !== null && !LOWERS_TO_ASCII.test(text)) return re.test(text);
  return text.toLowerCase().includes(needle);
}

/** Whether the pieces, joined with '\n' and lower-cased, contain the lower-cased needle. */
function piecesInclude(pieces: readonly string[], needle: string): boolean {
  if (needle === '') return true;
  if (needle.includes('\n')) return pieces.join('\n').toLowerCase().includes(needle);
  for (const p of pieces) if (includesFolded(p, needle)) return true;
  return false;
}

/** Lazily loaded message content for one SEARCH evaluation. */
export class MessageContent {
  private headers: Array<[string, string]> | null = null;
  private text: string[] | null = null;
  private headerPieces: string[] | null = null;
  private mimePieces: string[] | null = null;
  private st: MessageStructure | null = null;
  private whole: Promise<Buffer> | null = null;
  /** `size`: the message's size when known; a small message is then read once for all its parts. */
  constructor(private readonly mb: Mailbox, readonly uid: number, private readonly size = -1) {}

  /** Bytes [start, end) (at most `max`), from one read of the whole message when it is small. */
  private range(start: number, end: number, max = MAX_PART_BYTES): Promise<Buffer> {
    if (this.size < 0 || this.size > WHOLE_READ_MAX) return readRange(this.mb, this.uid, start, end, max);
    if (!this.whole) this.whole = readRange(this.mb, this.uid, 0, this.size);
    return this.whole.then((b) => b.subarray(Math.min(start, b.length), Math.min(end, start + max, b.length)));
  }

  async structure(): Promise<MessageStructure> {
    if (!this.st) this.st = await this.mb.structure(this.uid);
    return this.st;
  }

  async headerFields(): Promise<Array<[string, string]>> {
    if (!this.headers) {
      const st = await this.structure();
      const buf = await this.range(0, st.body.bodyStart, 1024 * 1024);
      this.headers = parseHeaderBlock(buf);
    }
    return this.headers;
  }

  private async headerTextPieces(): Promise<string[]> {
    if (!this.headerPieces) this.headerPieces = (await this.headerFields()).map(([k, v]) => `${k}: ${decodeWords(v)}`);
    return this.headerPieces;
  }

  /** All header text decoded (for TEXT). */
  async headerText(): Promise<string> {
    return (await this.headerTextPieces()).join('\n').toLowerCase();
  }

  /** Whether the decoded header text contains the lower-cased needle (same as headerText().includes). */
  async headerIncludes(needle: string): Promise<boolean> {
    return piecesInclude(await this.headerTextPieces(), needle);
  }

  /**
   * MIME headers of the body parts, decoded (for TEXT only): they are part of the message's body
   * (RFC 3501 §6.4.4 TEXT = "header or body"), e.g. an attachment's file name. Dovecot matches them too.
   */
  private async mimeHeaderPieces(): Promise<string[]> {
    if (this.mimePieces) return this.mimePieces;
    const st = await this.structure();
    const chunks: string[] = [];
    const walk = async (p: BodyPart, depth: number): Promise<void> => {
      if (depth > 20) return;
      if (depth > 0 && p.bodyStart > p.headerStart) {
        const hb = await this.range(p.headerStart, p.bodyStart, 1024 * 1024);
        chunks.push(parseHeaderBlock(hb).map(([k, v]) => `${k}: ${decodeWords(v)}`).join('\n'));
      }
      if (p.children) for (const c of p.children) await walk(c, depth + 1);
      else if (p.message) await walk(p.message.body, depth + 1);
    };
    await walk(st.body, 0);
    this.mimePieces = chunks;
    return chunks;
  }

  async mimeHeaderText(): Promise<string> {
    return (await this.mimeHeaderPieces()).join('\n').toLowerCase();
  }

  async mimeHeaderIncludes(needle: string): Promise<boolean> {
    return piecesInclude(await this.mimeHeaderPieces(), needle);
  }

  /** Decoded text of every text/* leaf (and headers of encapsulated messages), in order, not lower-cased. */
  private async bodyPieces(): Promise<string[]> {
    if (this.text !== null) return this.text;
    const st = await this.structure();
    const chunks: string[] = [];
    const walk = async (p: BodyPart, depth: number): Promise<void> => {
      if (depth > 20) return;
      if (p.children) { for (const c of p.children) await walk(c, depth + 1); return; }
      if (p.message) {
        const hb = await this.range(p.message.body.headerStart, p.message.body.bodyStart, 1024 * 1024);
        chunks.push(parseHeaderBlock(hb).map(([k, v]) => `${k}: ${decodeWords(v)}`).join('\n'));
        await walk(p.message.body, depth + 1);
        return;
      }
      if (p.contentType.type !== 'text') return;
      const raw = await this.range(p.bodyStart, p.bodyEnd);
      chunks.push(decodeBody(raw, p));
    };
    await walk(st.body, 0);
    this.text = chunks;
    return chunks;
  }

  /** Decoded text of every text/* leaf (and headers of encapsulated messages), lower-cased. */
  async bodyText(): Promise<string> {
    return (await this.bodyPieces()).join('\n').toLowerCase();
  }

  /** Whether the body text contains the lower-cased needle (same as bodyText().includes(needle)). */
  async bodyIncludes(needle: string): Promise<boolean> {
    return piecesInclude(await this.bodyPieces(), needle);
  }
}
