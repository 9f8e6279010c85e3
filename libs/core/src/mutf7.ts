/**
 * Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3).
 * Printable US-ASCII (0x20-0x7e) stands for itself, except "&" which is written "&-".
 * Everything else is UTF-16BE, base64 with "," instead of "/", no padding, between "&" and "-".
 * Decoding is strict so that every name has exactly one encoded form (Maildir directory names
 * and mailbox identity depend on it): non-canonical or broken input throws MailError BADNAME.
 */
import { MailError } from './errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const B64_VAL = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VAL[B64.charCodeAt(i)] = i;

function encodeRun(units: number[]): string {
  let out = '&';
  let bits = 0;
  let nbits = 0;
  for (const u of units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += B64[(bits >>> nbits) & 0x3f];
    }
    bits &= (1 << nbits) - 1;
  }
  if (nbits > 0) out += B64[(bits << (6 - nbits)) & 0x3f];
  return out + '-';
}

/** Encodes a Unicode mailbox name as modified UTF-7. */
export function mutf7Encode(name: string): string {
  let out = '';
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      if (run.length > 0) { out += encodeRun(run); run = []; }
      out += c === 0x26 ? '&-' : name[i];
    } else {
      run.push(c);
    }
  }
  if (run.length > 0) out += encodeRun(run);
  return out;
}

function bad(why: string): MailError {
  return new MailError('BADNAME', `Invalid modified UTF-7 mailbox name: ${why}`);
}

/** Decodes a modified UTF-7 mailbox name; throws MailError('BADNAME') on anything not canonical. */
export function mutf7Decode(s: string): string {
  let out = '';
  let i = 0;
  let lastRunEnd = -1; // index just after the '-' of the previous base64 run
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw bad('character outside printable US-ASCII');
    if (c !== 0x26) { out += s[i]; i++; continue; }
    // '&'
    if (s.charCodeAt(i + 1) === 0x2d) { out += '&'; i += 2; continue; }
    // RFC 3501 §5.1.3: a run must not directly follow another (it would have been one run).
    if (lastRunEnd === i) throw bad('adjacent encoded runs');
    let j = i + 1;
    let bits = 0;
    let nbits = 0;
    const units: number[] = [];
    for (;;) {
      if (j >= s.length) throw bad('unterminated "&" sequence');
      const d = s.charCodeAt(j);
      if (d === 0x2d) break;
      const v = d < 128 ? B64_VAL[d]! : -1;
      if (v < 0) throw bad('invalid base64 character');
      bits = ((bits << 6) | v) & 0xffffff;
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        units.push((bits >>> nbits) & 0xffff);
        bits &= (1 << nbits) - 1;
      }
      j++;
    }
    // Leftover must be fewer than 6 bits and all zero (no padding characters are allowed).
    if (nbits >= 6 || bits !== 0) throw bad('non-zero or excess padding bits');
    if (units.length === 0) throw bad('empty encoded run');
    for (let k = 0; k < units.length; k++) {
      const u = units[k]!;
      if (u >= 0x20 && u <= 0x7e) throw bad('printable ASCII must not be encoded');
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = units[k + 1];
        if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) throw bad('unpaired surrogate');
        out += String.fromCharCode(u, lo);
        k++;
        continue;
      }
      if (u >= 0xdc00 && u <= 0xdfff) throw bad('unpaired surrogate');
      out += String.fromCharCode(u);
    }
    i = j + 1;
    lastRunEnd = i;
  }
  return out;
}
