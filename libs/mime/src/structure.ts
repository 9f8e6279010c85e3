/**
 * Streaming MIME structure parser (RFC 5322, RFC 2045/2046). Fed the raw message chunk by chunk;
 * keeps only header blocks (bounded by LIMITS.mimeMaxHeaderBytes), boundary state and counters —
 * never bodies — so memory does not grow with message size.
 *
 * Offsets count the message as IMAP serves it: a bare LF counts as CRLF (2 octets); a bare CR stays
 * one octet. Body line counts are the number of line breaks inside the body range.
 * Malformed input never throws: missing boundaries, unterminated multiparts, garbage headers, NULs,
 * 8-bit headers and huge lines all produce a usable structure.
 */
import { LIMITS } from '../../core/src/limits.js';
import type { BodyPart, ContentType, Envelope, MessageStructure } from './types.js';
import { fieldValue, splitHeaderFields } from './headers.js';
import { envelopeFromFields } from './envelope.js';
import { parseContentType, parseDisposition, parseLanguage, paramValue } from './params.js';

/** Header fields kept in MessageStructure.cachedHeaders (lower-case names). */
export const CACHED_HEADER_FIELDS: readonly string[] = [
  'from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'in-reply-to', 'references',
  'reply-to', 'sender', 'content-type', 'x-priority', 'importance', 'list-id',
];
const CACHED_SET = new Set(CACHED_HEADER_FIELDS);

/** Bytes of a line start we look at for a boundary (RFC 2046 §5.1.1 allows 70 + "--" + "--" + spaces). */
const BOUNDARY_HEAD = 1024;
const MAX_BOUNDARY_LEN = BOUNDARY_HEAD - 8;
const CRLF = Buffer.from('\r\n');

export function emptyEnvelope(): Envelope {
  return {
    date: null, subject: null, from: null, sender: null, replyTo: null,
    to: null, cc: null, bcc: null, inReplyTo: null, messageId: null,
  };
}

function defaultContentType(digest: boolean): ContentType {
  // RFC 2046 §5.1.5: in multipart/digest the default is message/rfc822; elsewhere RFC 2045 §5.2.
  return digest
    ? { type: 'message', subtype: 'rfc822', params: [] }
    : { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] };
}

function newPart(headerStart: number, digest: boolean): BodyPart {
  return {
    headerStart,
    bodyStart: headerStart,
    bodyEnd: headerStart,
    bodyLines: 0,
    contentType: defaultContentType(digest),
    contentTypeGiven: false,
    encoding: '7BIT',
    id: null,
    description: null,
    md5: null,
    disposition: null,
    language: null,
    location: null,
  };
}

interface Frame {
  part: BodyPart;
  depth: number;
  inHeader: boolean;
  hdr: Buffer[];
  hdrLen: number;
  /** LF count at bodyStart (lines are counted globally and subtracted). */
  lfAtBody: number;
  /** "--" + boundary while this multipart is open (not yet closed by "--boundary--"). */
  boundary: Buffer | null;
  kind: 'leaf' | 'multipart' | 'message';
  digestChild: boolean;
  attached: boolean;
  /** For message/rfc822 frames: the encapsulated message's top part and envelope. */
  child: BodyPart | null;
  envelope: Envelope | null;
  /** For the top part of an encapsulated message: the message/rfc822 frame that holds it. */
  encapsulatedIn: Frame | null;
}

/** Applies the MIME header fields of a part (RFC 2045 §5, §6, §7, §8; RFC 2183; RFC 3282; RFC 2557; RFC 1864). */
function applyHeaders(part: BodyPart, fields: Array<[string, string]>, digest: boolean): void {
  const seen = new Set<string>();
  for (const [rawName, value] of fields) {
    const name = rawName.toLowerCase();
    if (!name.startsWith('content-') || seen.has(name)) continue;
    seen.add(name);
    switch (name) {
      case 'content-type': {
        const ct = parseContentType(value);
        if (ct) {
          part.contentType = ct;
          part.contentTypeGiven = true;
        } else {
          part.contentType = defaultContentType(digest);
        }
        break;
      }
      case 'content-transfer-encoding': {
        const enc = value.replace(/\([^)]*\)/g, '').trim();
        if (enc.length > 0 && !/[\s;"]/.test(enc)) part.encoding = enc.toUpperCase();
        break;
      }
      case 'content-id': part.id = value; break;
      case 'content-description': part.description = value; break;
      case 'content-md5': part.md5 = value; break;
      case 'content-disposition': part.disposition = parseDisposition(value); break;
      case 'content-language': part.language = parseLanguage(value); break;
      case 'content-location': part.location = value; break;
    }
  }
  // RFC 2045 §5.2: a text part without charset parameter is us-ascii; reported explicitly, as Dovecot does.
  const ct = part.contentType;
  if (ct.type === 'text' && !ct.params.some(([k]) => k === 'charset')) ct.params.push(['charset', 'us-ascii']);
}

export class StructureParser {
  private readonly frames: Frame[] = [];
  private readonly root: BodyPart;
  private pos = 0;          // normalised offset of the current line start
  private lf = 0;           // line breaks seen before the current line
  private openBoundaries = 0;
  private partCount = 1;
  private topFields: Array<[string, string]> | null = null;
  private ended: MessageStructure | null = null;

  // Current line.
  private lineRaw = 0;       // raw bytes of the line so far (terminator excluded)
  private lastByte = -1;     // last raw byte of the line so far
  private head: Buffer[] = [];
  private headLen = 0;
  private headCap = 0;

  constructor() {
    this.root = newPart(0, false);
    this.frames.push(this.newFrame(this.root, 0, false, true, null));
    this.startLine();
  }

  private newFrame(part: BodyPart, depth: number, digestChild: boolean, attached: boolean, encapsulatedIn: Frame | null): Frame {
    return {
      part, depth, inHeader: true, hdr: [], hdrLen: 0, lfAtBody: 0, boundary: null, kind: 'leaf',
      digestChild, attached, child: null, envelope: null, encapsulatedIn,
    };
  }

  private get top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private startLine(): void {
    this.lineRaw = 0;
    this.lastByte = -1;
    this.head = [];
    this.headLen = 0;
    const f = this.top;
    if (f.inHeader) this.headCap = Math.max(BOUNDARY_HEAD, LIMITS.mimeMaxHeaderBytes - f.hdrLen);
    else this.headCap = this.openBoundaries > 0 ? BOUNDARY_HEAD : 0;
  }

  write(chunk: Buffer): void {
    if (this.ended) return;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.lineRaw === 0 && !this.top.inHeader) {
        // Body fast path: whole lines that cannot be boundaries only move the offset and line
        // count (no copy, no per-line state); a '-' line with a boundary open takes the slow path.
        const cand = this.openBoundaries > 0;
        let pos = this.pos;
        let lines = this.lf;
        while (i < n) {
          if (cand && chunk[i] === 0x2d) break;
          const lf = chunk.indexOf(0x0a, i);
          if (lf < 0) break;
          pos += lf - i + (lf > i && chunk[lf - 1] === 0x0d ? 1 : 2);
          lines++;
          i = lf + 1;
        }
        this.pos = pos;
        this.lf = lines;
        if (i >= n) break;
      } else if (this.lineRaw === 0) {
        i = this.headerLines(chunk, i);
        if (i >= n) break;
      }
      const lf = chunk.indexOf(0x0a, i);
      const segEnd = lf < 0 ? n : lf;
      if (segEnd > i) this.append(chunk, i, segEnd);
      if (lf < 0) break;
      this.finishLine(true);
      i = lf + 1;
    }
  }

  /**
   * Header fast path from a line start at i: whole, non-empty header lines that cannot be boundaries
   * are copied to the frame's header block in runs (one copy per run, bare LF written as CRLF).
   * Stops before the empty line, a possible boundary, an incomplete line or the header size limit,
   * which the line-by-line path handles. Returns the new position (after the lines taken).
   */
  private headerLines(chunk: Buffer, i: number): number {
    const f = this.top;
    const n = chunk.length;
    const cand = this.openBoundaries > 0;
    let runStart = i;
    let runLen = 0; // normalised bytes of the run so far
    let pos = this.pos;
    let lines = this.lf;
    const flush = (end: number) => {
      if (end > runStart) f.hdr.push(Buffer.from(chunk.subarray(runStart, end)));
    };
    while (i < n) {
      if (cand && chunk[i] === 0x2d && chunk[i + 1] === 0x2d) break;
      const lf = chunk.indexOf(0x0a, i);
      if (lf < 0) break;
      const cr = lf > i && chunk[lf - 1] === 0x0d;
      const contentLen = lf - i - (cr ? 1 : 0);
      if (contentLen === 0 || f.hdrLen + runLen + contentLen + 2 > LIMITS.mimeMaxHeaderBytes) break;
      if (!cr) {
        flush(lf);
        f.hdr.push(CRLF);
        runStart = lf + 1;
      }
      runLen += contentLen + 2;
      pos += contentLen + 2;
      lines++;
      i = lf + 1;
    }
    flush(i);
    f.hdrLen += runLen;
    this.pos = pos;
    this.lf = lines;
    this.startLine();
    return i;
  }

  private append(chunk: Buffer, a: number, b: number): void {
    // In a body, only lines starting with '-' can be boundaries: skip copying everything else.
    if (this.lineRaw === 0 && this.headCap > 0 && !this.top.inHeader && chunk[a] !== 0x2d) this.headCap = 0;
    if (this.headLen < this.headCap) {
      const take = Math.min(b - a, this.headCap - this.headLen);
      this.head.push(Buffer.from(chunk.subarray(a, a + take)));
      this.headLen += take;
    }
    this.lineRaw += b - a;
    this.lastByte = chunk[b - 1]!;
  }

  private finishLine(hasLF: boolean): void {
    const contentLen = hasLF && this.lastByte === 0x0d ? this.lineRaw - 1 : this.lineRaw;
    let head = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headLen);
    if (head.length > contentLen) head = head.subarray(0, contentLen);
    const lineStart = this.pos;
    const end = lineStart + contentLen + (hasLF ? 2 : 0);
    const lfAfter = this.lf + (hasLF ? 1 : 0);
    this.handleLine(head, contentLen, hasLF, lineStart, end, lfAfter);
    this.pos = end;
    this.lf = lfAfter;
    this.startLine();
  }

  private handleLine(head: Buffer, contentLen: number, hasLF: boolean, lineStart: number, end: number, lfAfter: number): void {
    if (this.openBoundaries > 0 && head.length >= 2 && head[0] === 0x2d && head[1] === 0x2d && head.length === contentLen) {
      // RFC 2046 §5.1.1: innermost boundary first; an outer one also closes every inner part.
      for (let k = this.frames.length - 1; k >= 0; k--) {
        const b = this.frames[k]!.boundary;
        if (!b) continue;
        const m = matchBoundary(head, b);
        if (m !== 0) {
          this.boundaryHit(k, m === 2, lineStart, end, this.lf);
          return;
        }
      }
    }
    const f = this.top;
    if (!f.inHeader) return;
    if (contentLen === 0) {
      if (hasLF) this.endHeader(f, end, lfAfter, false);
      return;
    }
    const room = LIMITS.mimeMaxHeaderBytes - f.hdrLen;
    if (room > 0) {
      const keep = head.length > room ? head.subarray(0, room) : head;
      f.hdr.push(keep, CRLF);
      f.hdrLen += keep.length + 2;
    }
    if (!hasLF) return;
  }

  /** A boundary line of frames[k] starting at lineStart; the CRLF before it belongs to it (RFC 2046 §5.1.1). */
  private boundaryHit(k: number, closing: boolean, lineStart: number, lineEnd: number, lfBefore: number): void {
    const bodyEnd = lineStart - 2;
    const lfAtEnd = lfBefore - 1;
    while (this.frames.length - 1 > k) this.closeTop(bodyEnd, lfAtEnd);
    const m = this.frames[k]!;
    if (closing) {
      m.boundary = null;
      this.openBoundaries--;
      return;
    }
    const digest = m.part.contentType.subtype === 'digest';
    const child = newPart(lineEnd, digest);
    this.partCount++;
    const attached = m.attached && this.partCount <= LIMITS.mimeMaxParts;
    if (attached) m.part.children!.push(child);
    this.frames.push(this.newFrame(child, m.depth + 1, digest, attached, null));
  }

  /** Ends the header of frame f: the body starts at bodyStart. */
  private endHeader(f: Frame, bodyStart: number, lfAt: number, final: boolean): void {
    const part = f.part;
    f.inHeader = false;
    part.bodyStart = Math.max(bodyStart, part.headerStart);
    part.bodyEnd = part.bodyStart;
    f.lfAtBody = lfAt;
    const hdr = Buffer.concat(f.hdr, f.hdrLen);
    f.hdr = [];
    f.hdrLen = 0;
    const fields = usedFields(hdr);
    applyHeaders(part, fields, f.digestChild);
    if (part === this.root) this.topFields = fields;
    if (f.encapsulatedIn) f.encapsulatedIn.envelope = envelopeFromFields(fields);
    if (final) return;
    const ct = part.contentType;
    const canNest = f.attached && f.depth + 1 < LIMITS.mimeMaxDepth;
    if (ct.type === 'multipart') {
      part.children = [];
      const b = paramValue(ct.params, 'boundary');
      if (canNest && b !== null && b.length > 0 && b.length <= MAX_BOUNDARY_LEN) {
        f.kind = 'multipart';
        f.boundary = Buffer.from('--' + b, 'utf8');
        this.openBoundaries++;
      }
    } else if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global')) {
      f.kind = 'message';
      // Encoded (base64/QP) or too deep encapsulated messages are opaque: report an empty envelope
      // and one text part spanning the body, so BODYSTRUCTURE stays well-formed (RFC 3501 §7.4.2).
      const enc = part.encoding;
      const parseable = enc === '7BIT' || enc === '8BIT' || enc === 'BINARY';
      if (canNest && parseable && this.partCount < LIMITS.mimeMaxParts) {
        const child = newPart(part.bodyStart, false);
        this.partCount++;
        f.child = child;
        this.frames.push(this.newFrame(child, f.depth + 1, false, true, f));
      }
    }
  }

  /** Closes the innermost open part at bodyEnd (lfAtEnd = line breaks before bodyEnd). */
  private closeTop(bodyEnd: number, lfAtEnd: number): void {
    const f = this.frames.pop()!;
    const part = f.part;
    // The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1): a part that had just begun
    // (or whose header's final CRLF was that CRLF) when an enclosing boundary came ends where the
    // boundary begins, inside its parent.
    if (part.headerStart > bodyEnd) part.headerStart = bodyEnd;
    if (f.inHeader) this.endHeader(f, Math.max(bodyEnd, part.headerStart), lfAtEnd, true);
    if (part.bodyStart > bodyEnd) part.bodyStart = Math.max(bodyEnd, part.headerStart);
    part.bodyEnd = Math.max(bodyEnd, part.bodyStart);
    part.bodyLines = part.bodyEnd > part.bodyStart ? Math.max(0, lfAtEnd - f.lfAtBody) : 0;
    if (f.boundary) { f.boundary = null; this.openBoundaries--; }
    if (f.kind === 'message') {
      const body = f.child ?? opaqueBody(part);
      part.message = { envelope: f.envelope ?? emptyEnvelope(), body };
    }
  }

  end(): MessageStructure {
    if (this.ended) return this.ended;
    if (this.lineRaw > 0) this.finishLine(false);
    while (this.frames.length > 0) this.closeTop(this.pos, this.lf);
    const fields = this.topFields ?? [];
    const cached: Record<string, string[]> = {};
    for (const [k, v] of fields) {
      const name = k.toLowerCase();
      if (!CACHED_SET.has(name)) continue;
      (cached[name] ??= []).push(v);
    }
    this.ended = {
      size: this.pos,
      headerSize: this.root.bodyStart,
      envelope: envelopeFromFields(fields),
      body: this.root,
      cachedHeaders: cached,
    };
    return this.ended;
  }
}

/**
 * The fields a structure uses (content-*, envelope and cached fields), in order, as parseHeaderBlock
 * would give them: unfolding and decoding the other fields (Received, DKIM, ...) is most of the work.
 */
function usedFields(hdr: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of splitHeaderFields(hdr)) {
    const name = f.name.toLowerCase();
    if (CACHED_SET.has(name) || name.startsWith('content-')) out.push([f.name, fieldValue(hdr, f)]);
  }
  return out;
}

/** Stand-in body of an encapsulated message we do not parse: an empty text part, as Dovecot reports. */
function opaqueBody(part: BodyPart): BodyPart {
  return newPart(part.bodyStart, false);
}

/** 0: no match, 1: "--boundary", 2: "--boundary--"; trailing whitespace allowed (RFC 2046 §5.1.1). */
function matchBoundary(line: Buffer, b: Buffer): 0 | 1 | 2 {
  if (line.length < b.length || line.compare(b, 0, b.length, 0, b.length) !== 0) return 0;
  let i = b.length;
  let kind: 1 | 2 = 1;
  if (line[i] === 0x2d && line[i + 1] === 0x2d) { kind = 2; i += 2; }
  for (; i < line.length; i++) if (line[i] !== 0x20 && line[i] !== 0x09) return 0;
  return kind;
}

/** Parses a whole message held in memory. */
export function parseStructure(buf: Buffer): MessageStructure {
  const p = new StructureParser();
  p.write(buf);
  return p.end();
}

/** Size of `buf` with every bare LF counted as CRLF (RFC822.SIZE of a bare-LF file). */
export function normalizedSize(buf: Buffer, prevByte = -1): number {
  let extra = 0;
  let i = buf.indexOf(0x0a);
  while (i >= 0) {
    if ((i === 0 ? prevByte : buf[i - 1]) !== 0x0d) extra++;
    i = buf.indexOf(0x0a, i + 1);
  }
  return buf.length + extra;
}
