/**
 * The message body of one transaction, written once as it arrives: in memory while small, in a
 * temp file (0600, unlinked after delivery) once it grows past LIMITS.lmtpSpoolMemoryBytes.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LIMITS } from '../../core/src/limits.js';
import { bufferSource, fileSource, type MessageSource } from './source.js';

export class Spool {
  size = 0;
  private parts: Buffer[] = [];
  private fh: FileHandle | null = null;
  private path: string | null = null;

  constructor(private readonly dir: string) {}

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (!this.fh && this.size <= LIMITS.lmtpSpoolMemoryBytes) {
      this.parts.push(Buffer.from(chunk)); // copy: the view would pin the receiver's buffer
      return;
    }
    if (!this.fh) {
      this.path = join(this.dir, `lmtp-${process.pid}-${randomBytes(8).toString('hex')}.eml`);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.fh = await open(this.path, 'wx', 0o600);
      const head = Buffer.concat(this.parts);
      this.parts = [];
      await writeAll(this.fh, head);
    }
    await writeAll(this.fh, chunk);
  }

  /** Ends writing; the source stays readable until discard(). */
  async finish(): Promise<MessageSource> {
    if (!this.fh) return bufferSource(Buffer.concat(this.parts));
    await this.fh.close();
    this.fh = null;
    return fileSource(this.path!, this.size);
  }

  async discard(): Promise<void> {
    this.parts = [];
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    if (this.path) await rm(this.path, { force: true });
    this.path = null;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}
