/**
 * A large text file (dovecot-uidlist, mailstore.index: 100,000 lines) built from short lines as
 * a few 64 KB Buffers. Appending every line to one string keeps 100,000 line strings and rope
 * nodes alive until the end, and the young-generation GC copies each of them twice; cut into
 * chunks, a line dies young (cheap to collect) and the bytes are never joined into one copy.
 */
import { crc32 } from 'node:zlib';

const CHUNK_CHARS = 64 * 1024;

export class TextChunks {
  readonly parts: Buffer[] = [];
  /** Bytes in `parts`. */
  bytes = 0;
  /** crc32 of the bytes in `parts` (when made with `crc`). */
  crc = 0;
  private text = '';

  constructor(private readonly withCrc = false) {}

  add(s: string): void {
    this.text += s;
    if (this.text.length >= CHUNK_CHARS) this.cut();
  }

  /** The chunks, the pending text included. */
  finish(): Buffer[] {
    this.cut();
    return this.parts;
  }

  private cut(): void {
    if (!this.text) return;
    const b = Buffer.from(this.text, 'utf8');
    this.text = '';
    this.parts.push(b);
    this.bytes += b.length;
    if (this.withCrc) this.crc = crc32(b, this.crc);
  }
}
