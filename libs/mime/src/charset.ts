/**
 * Charset conversion to JS strings. Never throws: an unknown or broken charset falls back to
 * UTF-8 (with U+FFFD for invalid sequences) when the bytes are valid UTF-8, else windows-1252,
 * which is what mail clients do with mislabelled mail.
 */
import { isAscii } from 'node:buffer'; // native (SIMD) check: a JS byte loop was a hot spot of SEARCH
import iconv from 'iconv-lite';

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

export interface StringDecoderLike {
  write(buf: Buffer): string;
  end(): string;
}

/** Canonical lower-case charset name; null for absent/empty. */
export function normalizeCharset(charset: string | null | undefined): string | null {
  if (!charset) return null;
  let c = charset.trim().toLowerCase().replace(/^["']|["']$/g, '');
  // RFC 2231 §5: a language suffix "charset*lang" may appear in encoded words.
  const star = c.indexOf('*');
  if (star >= 0) c = c.slice(0, star);
  if (c.length === 0) return null;
  if (c === 'utf8' || c === 'unicode-1-1-utf-8') return 'utf-8';
  if (c === 'ascii' || c === 'us-ascii' || c === 'ansi_x3.4-1968') return 'us-ascii';
  return c;
}


/** True when iconv-lite knows the charset (besides the UTF-8/ASCII fast paths). */
export function charsetKnown(charset: string | null | undefined): boolean {
  const c = normalizeCharset(charset);
  if (c === null) return false;
  if (c === 'utf-8' || c === 'us-ascii') return true;
  let known = knownCharsets.get(c);
  if (known === undefined) {
    try { known = iconv.encodingExists(c); } catch { known = false; }
    // Bounded: charset names come from messages, so a hostile mailbox could hold many.
    if (knownCharsets.size >= 256) knownCharsets.clear();
    knownCharsets.set(c, known);
  }
  return known;
}

/** iconv-lite's encodingExists() canonicalises the name on every call: remembered per name. */
const knownCharsets = new Map<string, boolean>();

/** Decodes a complete byte string in `charset`. */
export function decodeCharset(buf: Buffer, charset: string | null | undefined): string {
  if (isAscii(buf)) return buf.toString('latin1');
  const c = normalizeCharset(charset);
  if (c !== null && c !== 'utf-8' && c !== 'us-ascii' && charsetKnown(c)) {
    try { return iconv.decode(buf, c); } catch { /* fall through */ }
  }
  try {
    return utf8Fatal.decode(buf);
  } catch {
    if (c === 'utf-8') return buf.toString('utf8'); // declared UTF-8: keep U+FFFD for bad bytes
    return iconv.decode(buf, 'windows-1252');
  }
}

/** Streaming charset decoder: multi-byte sequences split across writes are joined. */
export function createCharsetDecoder(charset: string | null | undefined): StringDecoderLike {
  const c = normalizeCharset(charset);
  if (c !== null && c !== 'utf-8' && c !== 'us-ascii' && charsetKnown(c)) {
    try {
      const d = iconv.getDecoder(c);
      return {
        write: (b) => { try { return d.write(b); } catch { return b.toString('latin1'); } },
        end: () => { try { return d.end() ?? ''; } catch { return ''; } },
      };
    } catch { /* fall through */ }
  }
  // UTF-8, ASCII (8-bit bytes in "us-ascii" mail are nearly always UTF-8) and unknown charsets.
  const td = new TextDecoder('utf-8');
  return {
    write: (b) => td.decode(b, { stream: true }),
    end: () => td.decode(),
  };
}
