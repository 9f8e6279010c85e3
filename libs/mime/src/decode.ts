/**
 * Decoding: RFC 2047 encoded words in header values, and streaming Content-Transfer-Encoding
 * decoders (RFC 2045 §6.7 quoted-printable, §6.8 base64) with charset conversion. All lenient:
 * broken input decodes as far as it can and never throws.
 */
import { createCharsetDecoder, decodeCharset, type StringDecoderLike } from './charset.js';
import { unfold } from './headers.js';

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) { t[0x41 + i] = 10 + i; t[0x61 + i] = 10 + i; }
  return t;
})();

const B64: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < a.length; i++) t[a.charCodeAt(i)] = i;
  t[0x2d] = 62; t[0x5f] = 63; // base64url letters, seen in broken mail
  return t;
})();

// ---------------------------------------------------------------- RFC 2047

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function isHexChar(c: number): boolean {
  return c < 256 && HEX[c]! >= 0;
}

/** Q encoding (RFC 2047 §4.2) to bytes; a bad "=XX" escape is kept literally. */
function qBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && i + 2 < s.length && isHexChar(s.charCodeAt(i + 1)) && isHexChar(s.charCodeAt(i + 2))) {
      out.push(HEX[s.charCodeAt(i + 1)]! * 16 + HEX[s.charCodeAt(i + 2)]!);
      i += 2;
    } else if (c < 0x100) out.push(c);
    else for (const b of Buffer.from(s[i]!, 'utf8')) out.push(b);
  }
  return Buffer.from(out);
}

/** B encoding (RFC 2047 §4.1) to bytes; null if it is not base64 at all. */
function bBytes(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/**
 * Decodes RFC 2047 encoded words in a header value (already unfolded). Whitespace between
 * adjacent encoded words is dropped (RFC 2047 §6.2); adjacent words in the same charset are joined
 * as bytes first, so a multi-byte character split across words survives. Invalid words stay raw.
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pendingBytes: Buffer[] = [];
  let pendingCharset: string | null = null;
  const flush = () => {
    if (pendingBytes.length > 0) out += decodeCharset(Buffer.concat(pendingBytes), pendingCharset);
    pendingBytes = [];
    pendingCharset = null;
  };
  ENCODED_WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ENCODED_WORD.exec(value)) !== null) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.split('*')[0]!.toLowerCase(); // RFC 2231 §5 language suffix
    const bytes = m[2]!.toLowerCase() === 'b' ? bBytes(m[3]!) : qBytes(m[3]!);
    if (bytes === null) continue; // not a valid word: stays part of the raw text
    const adjacent = pendingBytes.length > 0 && /^[ \t\r\n]*$/.test(between);
    if (!adjacent) {
      flush();
      out += between;
    } else if (charset !== pendingCharset) {
      flush();
    }
    pendingCharset = charset;
    pendingBytes.push(bytes);
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** Header value → display text: unfolded and RFC 2047 decoded. */
export function decodeMimeValue(raw: string): string {
  return decodeWords(unfold(raw));
}

// ---------------------------------------------------------------- transfer decoding

export interface ByteDecoder {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
}

/** Transfer encodings we can undo; others are unknown (RFC 3516 §4.4 [UNKNOWN-CTE]). */
export function isKnownEncoding(encoding: string | null | undefined): boolean {
  const e = (encoding ?? '7bit').trim().toLowerCase();
  return e === '7bit' || e === '8bit' || e === 'binary' || e === 'base64' || e === 'quoted-printable' || e === '';
}

class Base64Decoder implements ByteDecoder {
  private carry = 0;  // bits collected
  private bits = 0;   // number of 6-bit groups in carry (0..3)

  write(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(Math.ceil((chunk.length * 3) / 4) + 3);
    let o = 0;
    let carry = this.carry;
    let bits = this.bits;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = B64[c]!;
      if (v < 0) {
        // '=' ends a quantum (RFC 2045 §6.8); a following encoded blob starts fresh.
        if (c === 0x3d && bits > 0) {
          if (bits === 2) out[o++] = (carry >> 4) & 0xff;
          else if (bits === 3) { out[o++] = (carry >> 10) & 0xff; out[o++] = (carry >> 2) & 0xff; }
          carry = 0;
          bits = 0;
        }
        continue; // line breaks and garbage are ignored
      }
      carry = (carry << 6) | v;
      bits++;
      if (bits === 4) {
        out[o++] = (carry >> 16) & 0xff;
        out[o++] = (carry >> 8) & 0xff;
        out[o++] = carry & 0xff;
        carry = 0;
        bits = 0;
      }
    }
    this.carry = carry;
    this.bits = bits;
    return out.subarray(0, o);
  }

  end(): Buffer {
    const { carry, bits } = this;
    this.carry = 0;
    this.bits = 0;
    if (bits === 2) return Buffer.from([(carry >> 4) & 0xff]);
    if (bits === 3) return Buffer.from([(carry >> 10) & 0xff, (carry >> 2) & 0xff]);
    return Buffer.alloc(0);
  }
}

class QpDecoder implements ByteDecoder {
  private carry: Buffer = Buffer.alloc(0);

  write(chunk: Buffer): Buffer {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    return this.run(data, false);
  }

  end(): Buffer {
    const data = this.carry;
    return this.run(data, true);
  }

  private run(d: Buffer, final: boolean): Buffer {
    const n = d.length;
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    let i = 0;
    this.carry = Buffer.alloc(0);
    while (i < n) {
      const c = d[i]!;
      if (c === 0x3d) {
        // Need up to 2 more bytes to decide.
        if (i + 2 >= n && !final) {
          const rest = d.subarray(i);
          // "=\r\n" or "=\n" may still complete; so may "=X".
          if (!(rest.length === 2 && rest[1] === 0x0a)) { this.carry = Buffer.from(rest); break; }
        }
        const a = d[i + 1];
        const b = d[i + 2];
        if (a === 0x0a) { i += 2; continue; } // soft line break, bare LF
        if (a === 0x0d && b === 0x0a) { i += 3; continue; } // soft line break
        if (a !== undefined && b !== undefined && HEX[a]! >= 0 && HEX[b]! >= 0) {
          out[o++] = HEX[a]! * 16 + HEX[b]!;
          i += 3;
          continue;
        }
        // Soft break with trailing whitespace ("=  \r\n"), RFC 2045 §6.7 rule 3 leniency.
        let j = i + 1;
        while (j < n && (d[j] === 0x20 || d[j] === 0x09)) j++;
        if (j < n && (d[j] === 0x0a || (d[j] === 0x0d && d[j + 1] === 0x0a))) { i = d[j] === 0x0a ? j + 1 : j + 2; continue; }
        if (j >= n && !final) { this.carry = Buffer.from(d.subarray(i)); break; }
        out[o++] = c; // invalid escape: keep literally (RFC 2045 §6.7 note 1)
        i++;
        continue;
      }
      if (c === 0x20 || c === 0x09) {
        // Trailing whitespace before a line break was added in transport: drop it (rule 3).
        let j = i;
        while (j < n && (d[j] === 0x20 || d[j] === 0x09)) j++;
        if (j >= n && !final) {
          // Keep at most 1 KiB of a whitespace run for the next chunk (bounds work on hostile input).
          while (j - i > 1024) out[o++] = d[i++]!;
          this.carry = Buffer.from(d.subarray(i));
          break;
        }
        if (j < n && (d[j] === 0x0a || (d[j] === 0x0d && d[j + 1] === 0x0a))) { i = j; continue; }
        if (j + 1 === n && d[j] === 0x0d && !final) { this.carry = Buffer.from(d.subarray(i)); break; }
        while (i < j) out[o++] = d[i++]!;
        continue;
      }
      out[o++] = c;
      i++;
    }
    return out.subarray(0, o);
  }
}

class Identity implements ByteDecoder {
  write(chunk: Buffer): Buffer { return chunk; }
  end(): Buffer { return Buffer.alloc(0); }
}

/** Streaming transfer decoding only (bytes out), for IMAP BINARY (RFC 3516) and body search. */
export function decodeBinary(encoding: string | null | undefined): ByteDecoder {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') return new Base64Decoder();
  if (e === 'quoted-printable') return new QpDecoder();
  return new Identity();
}

/** Decodes a complete buffer (transfer encoding only). */
export function decodeBinaryBuffer(buf: Buffer, encoding: string | null | undefined): Buffer {
  const d = decodeBinary(encoding);
  const a = d.write(buf);
  const b = d.end();
  return b.length > 0 ? Buffer.concat([a, b]) : a;
}

/** Streaming body decoder: transfer decoding then charset conversion to JS strings. */
export function createBodyDecoder(encoding: string | null | undefined, charset: string | null | undefined): StringDecoderLike {
  const bytes = decodeBinary(encoding);
  const text = createCharsetDecoder(charset);
  return {
    write: (chunk) => text.write(bytes.write(chunk)),
    end: () => {
      const tail = bytes.end();
      return (tail.length > 0 ? text.write(tail) : '') + text.end();
    },
  };
}
