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

/** Lazily loaded message content for one SEARCH evaluation. */
export class MessageContent {
  private headers: Array<[string, string]> | null = null;
  private text: string | null = null;
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

  /** All header text decoded (for TEXT). */
  async headerText(): Promise<string> {
    return (await this.headerFields()).map(([k, v]) => `${k}: ${decodeWords(v)}`).join('\n').toLowerCase();
  }

  /**
   * MIME headers of the body parts, decoded (for TEXT only): they are part of the message's body
   * (RFC 3501 §6.4.4 TEXT = "header or body"), e.g. an attachment's file name. Dovecot matches them too.
   */
  async mimeHeaderText(): Promise<string> {
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
    return chunks.join('\n').toLowerCase();
  }

  /** Decoded text of every text/* leaf (and headers of encapsulated messages), lower-cased. */
  async bodyText(): Promise<string> {
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
    this.text = chunks.join('\n').toLowerCase();
    return this.text;
  }
}
