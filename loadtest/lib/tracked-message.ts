/**
 * Messages the harness can recognise later: each carries a unique X-Loadtest-Id and an
 * X-Loadtest-Sum (sha256 over the id and the body, so a body swapped between two messages is
 * caught too). Only the body is summed: servers legitimately add header fields on delivery
 * (Return-Path, Received, Delivered-To; RFC 5321 §4.4). CRLF line ends throughout (RFC 5322 §2.1).
 */
import { createHash } from 'node:crypto';

export const ID_HEADER = 'X-Loadtest-Id';
export const SUM_HEADER = 'X-Loadtest-Sum';

export interface TrackedMessage { id: string; sum: string; data: Buffer }

export function checksum(id: string, body: Buffer | string): string {
  return createHash('sha256').update(id).update('\n').update(body).digest('hex').slice(0, 32);
}

/** Weighted size classes: "2k:50,8k:30,32k:15,128k:5" (size with k/m suffix : weight). */
export interface SizeDist { sizes: number[]; cumulative: number[]; total: number }

export function parseSizes(spec: string): SizeDist {
  const sizes: number[] = [], cumulative: number[] = [];
  let total = 0;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)(?::(\d+(?:\.\d+)?))?$/.exec(part);
    if (!m) throw new Error(`bad size "${part}" (expected e.g. 4k:60)`);
    const mul = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1024 : 1024 * 1024;
    const w = m[3] === undefined ? 1 : Number(m[3]);
    if (w <= 0) throw new Error(`bad weight in "${part}"`);
    sizes.push(Math.max(256, Math.round(Number(m[1]) * mul)));
    total += w; cumulative.push(total);
  }
  if (sizes.length === 0) throw new Error('empty size distribution');
  return { sizes, cumulative, total };
}

/** A size from the distribution, ±25 % so sizes are not all alike. */
export function pickSize(d: SizeDist, rand: () => number): number {
  const x = rand() * d.total;
  let i = 0;
  while (i < d.cumulative.length - 1 && x >= d.cumulative[i]!) i++;
  return Math.max(200, Math.round(d.sizes[i]! * (0.75 + rand() * 0.5)));
}

const WORDS = 'mail cluster backend proxy maildir index quota sieve delivery folder message header body account server client latency session storage replica'.split(' ');
let POOL: string | null = null;
/** 512 KB of 7-bit text lines (≤ 76 chars, none starting with "." so dot-stuffing is exercised only by design). */
function pool(): string {
  if (POOL) return POOL;
  let a = 0x2545f491;
  const r = () => { a ^= a << 13; a ^= a >>> 17; a ^= a << 5; return (a >>> 0) / 4294967296; };
  const lines: string[] = [];
  let len = 0;
  while (len < 512 * 1024) {
    let l = '';
    while (l.length < 60) l += (l ? ' ' : '') + WORDS[Math.floor(r() * WORDS.length)]! + (r() < 0.1 ? String(Math.floor(r() * 1000)) : '');
    lines.push(l); len += l.length + 2;
  }
  // A few lines starting with "." so LMTP/POP3 dot-stuffing (RFC 5321 §4.5.2) is part of every run.
  for (let i = 7; i < lines.length; i += 97) lines[i] = `.${lines[i]}`;
  POOL = lines.join('\r\n') + '\r\n';
  return POOL;
}

/** Builds a message of about `size` octets for `to`. */
export function makeTracked(id: string, to: string, size: number, rand: () => number, subject = 'loadtest'): TrackedMessage {
  const p = pool();
  const want = Math.max(64, size - 420);
  let pos = p.indexOf('\r\n', Math.floor(rand() * (p.length - 1)));
  pos = pos < 0 || pos + 2 >= p.length ? 0 : pos + 2;
  let body = '';
  while (body.length < want) {
    const end = Math.min(p.length, pos + (want - body.length));
    let cut = p.lastIndexOf('\r\n', end - 1);
    if (cut < pos) cut = p.indexOf('\r\n', pos);
    if (cut < 0) { pos = 0; continue; }
    body += p.slice(pos, cut + 2);
    pos = cut + 2 >= p.length ? 0 : cut + 2;
  }
  if (!body.endsWith('\r\n')) body += '\r\n';
  const sum = checksum(id, body);
  const head =
    `Message-ID: <${id}@loadtest.invalid>\r\n` +
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}\r\n` +
    `From: Load Test <loadtest@example.invalid>\r\n` +
    `To: <${to}>\r\n` +
    `Subject: ${subject} ${id}\r\n` +
    `${ID_HEADER}: ${id}\r\n` +
    `${SUM_HEADER}: ${sum}\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=us-ascii\r\n` +
    `Content-Transfer-Encoding: 7bit\r\n\r\n`;
  return { id, sum, data: Buffer.from(head + body, 'latin1') };
}

/** Splits a whole message at the first empty line (RFC 5322 §2.1). */
export function splitMessage(msg: Buffer): { header: string; body: Buffer } {
  const i = msg.indexOf('\r\n\r\n');
  if (i < 0) return { header: msg.toString('latin1'), body: Buffer.alloc(0) };
  return { header: msg.toString('latin1', 0, i + 2), body: msg.subarray(i + 4) };
}

/** Value of a header field in a header block (unfolded; first occurrence), or null. */
export function headerValue(header: string, name: string): string | null {
  const re = new RegExp(`(?:^|\\r?\\n)${name}:[ \\t]*([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'i');
  const m = re.exec(header);
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

export type Check = { kind: 'ok'; id: string } | { kind: 'corrupted'; id: string } | { kind: 'foreign' };

/** Classifies a read-back message: one of ours (intact or corrupted) or not ours. */
export function checkMessage(header: string, body: Buffer, idPrefix: string): Check {
  const id = headerValue(header, ID_HEADER);
  if (!id || !id.startsWith(idPrefix)) return { kind: 'foreign' };
  const sum = headerValue(header, SUM_HEADER);
  return sum === checksum(id, body) ? { kind: 'ok', id } : { kind: 'corrupted', id };
}
