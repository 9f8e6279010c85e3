/**
 * A SieveMessage over a message held in a Buffer (tests, small messages, the `deliver` command).
 * The LMTP server may build its own accessor that streams parts through libs/mime instead; this
 * one shows the expected semantics of body() (RFC 5173 §5).
 */
import { parseStructure, parseHeaderBlock, createBodyDecoder, decodeBinaryBuffer, type BodyPart } from '../../mime/src/index.js';
import type { BodyRequest, SieveMessage } from './types.js';

function toCrlf(buf: Buffer): Buffer {
  // libs/mime offsets assume CRLF; normalise bare LF (as stored by some tools) first.
  if (!buf.includes(0x0a)) return buf;
  const s = buf.toString('latin1');
  if (!/(^|[^\r])\n/.test(s)) return buf;
  return Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
}

function leaves(p: BodyPart, out: BodyPart[] = []): BodyPart[] {
  out.push(p);
  if (p.children) for (const c of p.children) leaves(c, out);
  if (p.message) leaves(p.message.body, out);
  return out;
}

/** Very small HTML → text for `body :text` (RFC 5173 §5.3 lets the server pick the conversion). */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function typeMatches(ct: { type: string; subtype: string }, wanted: string[]): boolean {
  return wanted.some((w) => {
    const x = w.toLowerCase();
    if (x === '') return true;
    const slash = x.indexOf('/');
    if (slash < 0) return ct.type === x;
    return `${ct.type}/${ct.subtype}` === x;
  });
}

function prologueAndEpilogue(body: string, ct: { params: Array<[string, string]> }): string {
  const boundary = ct.params.find(([k]) => k === 'boundary')?.[1];
  if (!boundary) return body;
  const delim = `--${boundary}`;
  const first = body.startsWith(delim) ? 0 : body.indexOf(`\n${delim}`);
  const prologue = first < 0 ? body : body.slice(0, first > 0 ? first - 1 : 0);
  const close = body.lastIndexOf(`${delim}--`);
  const epilogue = close < 0 ? '' : body.slice(close + delim.length + 2).replace(/^[^\n]*\n?/, '');
  return prologue + epilogue;
}

/**
 * The texts the `body` test matches for one request (RFC 5173 §5), from a whole message (header
 * and body) in a Buffer. Callers that keep their own header accessor can use this for body()
 * on a size-bounded copy of the message.
 */
export function* bodyTexts(message: Buffer, req: BodyRequest): Iterable<string> {
  const buf = toCrlf(message);
  const structure = parseStructure(buf);
  if (req.transform === 'raw') {
    yield buf.subarray(structure.headerSize).toString('utf8');
    return;
  }
  for (const p of leaves(structure.body)) {
    const ct = p.contentType;
    if (req.transform === 'text' && (ct.type !== 'text' || p.children)) continue;
    if (req.transform === 'content' && !typeMatches(ct, req.contentTypes)) continue;
    if (p.children) {
      // RFC 5173 §5.2: a multipart part asked for by :content is matched on its prologue and epilogue.
      if (req.transform === 'content') yield prologueAndEpilogue(buf.subarray(p.bodyStart, p.bodyEnd).toString('utf8'), ct);
      continue;
    }
    const bytes = buf.subarray(p.bodyStart, p.bodyEnd);
    const charset = ct.params.find(([k]) => k === 'charset')?.[1] ?? null;
    let text: string;
    if (ct.type === 'text' || ct.type === 'message') {
      const d = createBodyDecoder(p.encoding, charset);
      text = d.write(bytes) + d.end();
    } else {
      text = decodeBinaryBuffer(bytes, p.encoding).toString('latin1');
    }
    if (req.transform === 'text' && ct.subtype === 'html') text = htmlToText(text);
    yield text;
  }
}

/** A SieveMessage over a whole message in memory. */
export function bufferMessage(raw: Buffer): SieveMessage {
  const buf = toCrlf(raw);
  const index = new Map<string, string[]>();
  for (const [k, v] of parseHeaderBlock(buf)) {
    const key = k.toLowerCase();
    const list = index.get(key);
    if (list) list.push(v); else index.set(key, [v]);
  }
  return {
    size: raw.length,
    header: (name) => index.get(name.toLowerCase()) ?? [],
    body: (req: BodyRequest) => bodyTexts(buf, req),
  };
}
