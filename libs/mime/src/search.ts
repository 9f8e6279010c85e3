/**
 * Helpers for IMAP SEARCH (RFC 3501 §6.4.4): substring matching over decoded header values and
 * decoded text bodies, streaming with bounded memory, and RFC 5322 §3.3 date parsing.
 * Matching is case-insensitive after Unicode normalisation (NFKC + toLowerCase), so "STRASSE"
 * finds "straße" only where NFKC says so, but "ÄRGER" finds "ärger" and full-width "ＡＢＣ" finds "abc".
 */
import { LIMITS } from '../../core/src/limits.js';
import type { BodyPart, MessageStructure } from './types.js';
import { parseHeaderBlock } from './headers.js';
import { createBodyDecoder, decodeMimeValue } from './decode.js';
import { decodeParam } from './params.js';
import type { StringDecoderLike } from './charset.js';

/** The comparison form of a text: NFKC, lower case (Unicode simple case mapping). */
export function foldText(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** RFC 3501 §6.4.4 header search: the decoded (RFC 2047) value contains the needle, case-insensitively. */
export function headerMatches(headerValueRaw: string, needle: string): boolean {
  if (needle.length === 0) return true;
  return foldText(decodeMimeValue(headerValueRaw)).includes(foldText(needle));
}

export type SearchScope = 'body' | 'text';

interface Region {
  start: number;
  end: number;
  kind: 'header' | 'body';
  part: BodyPart;
}

/** Regions to search in message order: headers (TEXT: all; BODY: encapsulated messages' only) and text bodies. */
function collectRegions(body: BodyPart, scope: SearchScope): Region[] {
  const out: Region[] = [];
  const walk = (p: BodyPart, isTop: boolean, isMessageTop: boolean) => {
    const wantHeader = scope === 'text' || (isMessageTop && !isTop);
    if (wantHeader && p.bodyStart > p.headerStart) out.push({ start: p.headerStart, end: p.bodyStart, kind: 'header', part: p });
    if (p.children && p.children.length > 0) {
      for (const c of p.children) walk(c, false, false);
    } else if (p.message) {
      walk(p.message.body, false, true);
    } else if (p.contentType.type === 'text' && p.bodyEnd > p.bodyStart) {
      out.push({ start: p.bodyStart, end: p.bodyEnd, kind: 'body', part: p });
    }
  };
  walk(body, true, true);
  return out;
}

/**
 * Streaming TEXT/BODY search of one message. Feed the raw message (bare LF or CRLF) with write();
 * result() gives, per needle, whether it was found. `done` turns true once every needle matched,
 * so the caller may stop reading early.
 */
export class TextSearcher {
  private readonly needles: string[];
  private readonly found: boolean[];
  private readonly overlap: number;
  private readonly regions: Region[];
  private ri = 0;
  private pos = 0;
  private lastCR = false;
  private remaining: number;
  // State of the region being fed.
  private active: Region | null = null;
  private decoder: StringDecoderLike | null = null;
  private hdr: Buffer[] = [];
  private hdrLen = 0;
  private tail = '';

  constructor(structure: MessageStructure, needles: readonly string[], scope: SearchScope) {
    this.needles = needles.map(foldText);
    this.found = this.needles.map((n) => n.length === 0);
    this.remaining = this.found.filter((f) => !f).length;
    this.overlap = Math.max(0, ...this.needles.map((n) => n.length)) - 1;
    this.regions = collectRegions(structure.body, scope);
  }

  get done(): boolean {
    return this.remaining === 0;
  }

  write(raw: Buffer): void {
    if (this.done) return;
    const chunk = this.normalize(raw);
    const from = this.pos;
    const to = from + chunk.length;
    this.pos = to;
    while (this.ri < this.regions.length && !this.done) {
      const r = this.regions[this.ri]!;
      if (r.start >= to) break;
      if (this.active !== r) this.open(r);
      const a = Math.max(r.start, from);
      const b = Math.min(r.end, to);
      if (b > a) this.feed(chunk.subarray(a - from, b - from));
      if (r.end <= to) { this.close(); this.ri++; } else break;
    }
  }

  /** Per needle: found or not. Ends the region in progress (a truncated stream is searched as far as it went). */
  result(): boolean[] {
    if (this.active) this.close();
    return [...this.found];
  }

  private normalize(chunk: Buffer): Buffer {
    let extra = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      if (!(i === 0 ? this.lastCR : chunk[i - 1] === 0x0d)) extra++;
    }
    let out = chunk;
    if (extra > 0) {
      out = Buffer.allocUnsafe(chunk.length + extra);
      let j = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === 0x0a && !(i === 0 ? this.lastCR : chunk[i - 1] === 0x0d)) out[j++] = 0x0d;
        out[j++] = c;
      }
    }
    if (chunk.length > 0) this.lastCR = chunk[chunk.length - 1] === 0x0d;
    return out;
  }

  private open(r: Region): void {
    this.active = r;
    this.tail = '';
    this.hdr = [];
    this.hdrLen = 0;
    this.decoder = r.kind === 'body'
      ? createBodyDecoder(r.part.encoding, decodeParam(r.part.contentType.params, 'charset'))
      : null;
  }

  private feed(data: Buffer): void {
    if (this.decoder) {
      this.match(this.decoder.write(data));
    } else {
      const room = LIMITS.mimeMaxHeaderBytes - this.hdrLen;
      if (room > 0) {
        const keep = data.length > room ? data.subarray(0, room) : data;
        this.hdr.push(Buffer.from(keep));
        this.hdrLen += keep.length;
      }
    }
  }

  private close(): void {
    if (this.decoder) {
      this.match(this.decoder.end());
    } else if (this.active) {
      const fields = parseHeaderBlock(Buffer.concat(this.hdr, this.hdrLen));
      // Each field on its own line, so a needle never spans two fields.
      this.match(fields.map(([k, v]) => `${k}: ${decodeMimeValue(v)}`).join('\n'));
    }
    this.active = null;
    this.decoder = null;
    this.hdr = [];
    this.hdrLen = 0;
    this.tail = '';
  }

  private match(text: string): void {
    if (text.length === 0) return;
    const hay = this.tail + foldText(text);
    for (let i = 0; i < this.needles.length; i++) {
      if (!this.found[i] && hay.includes(this.needles[i]!)) {
        this.found[i] = true;
        this.remaining--;
      }
    }
    this.tail = this.overlap > 0 ? hay.slice(-this.overlap) : '';
  }
}

// ---------------------------------------------------------------- dates (RFC 5322 §3.3, §4.3)

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** RFC 5322 §4.3 obsolete zones; military letters and unknown names count as -0000 (UTC). */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
};

export interface ParsedDate {
  /** The instant, epoch milliseconds. */
  ms: number;
  /** The zone offset written in the header, minutes east of UTC (SENTON compares the date in this zone). */
  offsetMinutes: number;
}

function zoneOffset(z: string | undefined): number {
  if (!z) return 0;
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z);
  if (m) {
    const v = Number(m[2]) * 60 + Number(m[3]);
    return m[1] === '-' ? -v : v;
  }
  return ZONES[z] ?? 0;
}

function fullYear(y: string): number {
  const n = Number(y);
  if (y.length === 2) return n < 50 ? 2000 + n : 1900 + n; // RFC 5322 §4.3
  if (y.length === 3) return 1900 + n;
  return n;
}

function build(y: number, mon: number, d: number, h: number, mi: number, s: number, off: number): ParsedDate | null {
  if (mon < 0 || mon > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const ms = Date.UTC(y, mon, d, h, mi, Math.min(s, 59)) - off * 60_000;
  return Number.isFinite(ms) ? { ms, offsetMinutes: off } : null;
}

/** Parses an RFC 5322 Date header (with obsolete forms, asctime and ISO fallbacks); null if unparseable. */
export function parseDateHeaderDetailed(value: string | null | undefined): ParsedDate | null {
  if (!value) return null;
  const s = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  // [day-of-week ","] day month year hour ":" minute [":" second] [zone]
  let m = /^(?:[a-z]+\.?,? ?)?(\d{1,2})[ -]?([a-z]{3})[a-z]*\.?[ -]?(\d{2,4}),? (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)? ?([+-]\d{4}|[a-z]+)?/.exec(s);
  if (m) return build(fullYear(m[3]!), MONTHS[m[2]!] ?? -1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), zoneOffset(m[7]));
  // asctime: "Tue Jan  1 10:00:00 2020" (seen from old MUAs / From_ lines)
  m = /^(?:[a-z]+,? )?([a-z]{3})[a-z]* (\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))? (?:([+-]\d{4}|[a-z]+) )?(\d{4})/.exec(s);
  if (m) return build(Number(m[7]), MONTHS[m[1]!] ?? -1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), zoneOffset(m[6]));
  // ISO 8601 "2020-01-01T10:00:00+01:00", written by some scripts.
  m = /^(\d{4})-(\d{2})-(\d{2})[t ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(z|[+-]\d{2}:?\d{2})?/.exec(s);
  if (m) {
    const z = m[7] === undefined || m[7] === 'z' ? undefined : m[7].replace(':', '');
    return build(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), zoneOffset(z));
  }
  return null;
}

/** Date header → epoch ms, or null (SENTBEFORE/SENTON/SENTSINCE, RFC 3501 §6.4.4). */
export function parseDateHeader(value: string | null | undefined): number | null {
  return parseDateHeaderDetailed(value)?.ms ?? null;
}
