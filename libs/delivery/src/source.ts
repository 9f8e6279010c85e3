/**
 * A message that is delivered to several places (recipients, folders, the relay): spooled once,
 * read as many times as needed, never held in memory as a whole.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LIMITS } from '../../core/src/limits.js';
import { headerBlockLength } from '../../mime/src/headers.js';

export interface MessageSource {
  /** Octets in the spool (as received). */
  readonly size: number;
  /** A fresh stream of the message bytes from `start` (inclusive) to `end` (exclusive). */
  open(start?: number, end?: number): Readable;
  /**
   * The header block (with its terminating empty line, when there is one within the limit) and the
   * offset where the body starts. Bounded by LIMITS.mimeMaxHeaderBytes: a longer header is cut there.
   */
  header(): Promise<{ raw: Buffer; bodyOffset: number }>;
}

async function readRange(src: MessageSource, start: number, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of src.open(start, Math.min(src.size, start + max))) { parts.push(c as Buffer); n += (c as Buffer).length; if (n >= max) break; }
  return Buffer.concat(parts).subarray(0, max);
}

function headerOf(buf: Buffer): { raw: Buffer; bodyOffset: number } {
  const len = headerBlockLength(buf);
  if (len >= 0) return { raw: buf.subarray(0, len), bodyOffset: len };
  return { raw: buf, bodyOffset: buf.length };
}

/** A spool file written and closed by the caller. */
export function fileSource(path: string, size: number): MessageSource {
  let hdr: Promise<{ raw: Buffer; bodyOffset: number }> | null = null;
  const src: MessageSource = {
    size,
    open(start = 0, end = size) {
      if (end <= start) return Readable.from([]);
      return createReadStream(path, { start, end: end - 1, highWaterMark: 64 * 1024 });
    },
    header() {
      hdr ??= (async () => {
        const fh = await open(path, 'r');
        try {
          const buf = Buffer.alloc(Math.min(size, LIMITS.mimeMaxHeaderBytes));
          const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
          return headerOf(buf.subarray(0, bytesRead));
        } finally { await fh.close(); }
      })();
      return hdr;
    },
  };
  return src;
}

/** A small message in memory (tests, generated messages such as vacation replies). */
export function bufferSource(buf: Buffer): MessageSource {
  return {
    size: buf.length,
    open: (start = 0, end = buf.length) => Readable.from([buf.subarray(start, end)]),
    header: async () => headerOf(buf.subarray(0, LIMITS.mimeMaxHeaderBytes)),
  };
}

/** Body bytes up to `max` (for the Sieve body test). */
export async function readBody(src: MessageSource, max: number): Promise<Buffer> {
  const { bodyOffset } = await src.header();
  return readRange(src, bodyOffset, max);
}
