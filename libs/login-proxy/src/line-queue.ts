/**
 * A pull-model line splitter for the line-based protocols before login (POP3, ManageSieve quoted
 * strings): bounded lines, and takeUnread() for the bytes a client pipelined behind its login.
 */
export type LineEvent = { type: 'line'; text: string } | { type: 'overflow' };

export class LineQueue {
  private buf: Buffer = Buffer.alloc(0);
  private dropping = false;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer): void { this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk; }

  get buffered(): number { return this.buf.length; }

  next(): LineEvent | null {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i < 0) {
        if (this.buf.length > this.maxLine) {
          this.buf = Buffer.alloc(0);
          if (!this.dropping) { this.dropping = true; return { type: 'overflow' }; }
        }
        return null;
      }
      const line = this.buf.subarray(0, i);
      this.buf = this.buf.subarray(i + 1);
      if (this.dropping) { this.dropping = false; continue; }
      if (line.length > this.maxLine) return { type: 'overflow' };
      return { type: 'line', text: line.toString('utf8').replace(/\r$/, '') };
    }
  }

  takeUnread(): Buffer[] {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest.length ? [rest] : [];
  }
}
