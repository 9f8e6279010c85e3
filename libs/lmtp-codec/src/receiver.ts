/**
 * The LMTP input side, pure and incremental: push() bytes as they arrive, pull events with next()
 * until it returns null ("need more"). Pull, not push, so the server reads the next command only
 * when it has finished the last one (pipelining with backpressure).
 *
 * Modes: command lines; DATA content, dot-unstuffed until CRLF.CRLF (RFC 5321 §4.5.2), entered
 * by startData() once the server has said 354; BDAT chunks of exactly the announced size
 * (RFC 3030 §2), entered by the receiver itself on a BDAT line because the chunk follows the
 * command without waiting for a reply and must be consumed even when the command is refused.
 *
 * Only CRLF ends a line in DATA: a bare LF followed by "." does not end the message, so nothing a
 * sender smuggles with bare line ends is read as a second message (the "SMTP smuggling" issue).
 */
import { parseCommand } from './parse-command.js';
import type { ReceiverEvent } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Dot-unstuffing states. */
const enum D { LineStart, Mid, AfterCr, Dot, DotCr }

export interface ReceiverOptions {
  /** Longest command line in octets, CRLF excluded (RFC 5321 §4.5.3.1.4: at least 512). */
  maxLineLength: number;
}

export class LmtpReceiver {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private mode: 'line' | 'skipLine' | 'data' | 'bdat' = 'line';
  private ds: D = D.LineStart;
  private bdatLeft = 0;
  private pendingEnd = false;

  constructor(private readonly opts: ReceiverOptions) {}

  /** Adds input. Views returned by earlier data events stay valid (the buffer is never mutated). */
  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) this.buf = chunk;
    else this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** Bytes pushed but not yet turned into events. */
  buffered(): number {
    return this.buf.length - this.pos;
  }

  /** True while the receiver is inside a DATA or BDAT body. */
  inBody(): boolean {
    return this.mode === 'data' || this.mode === 'bdat';
  }

  /** Switches to DATA content; call after sending 354. */
  startData(): void {
    this.mode = 'data';
    this.ds = D.LineStart;
  }

  next(): ReceiverEvent | null {
    switch (this.mode) {
      case 'line': return this.nextLine();
      case 'skipLine': return this.skipLine();
      case 'data': return this.nextData();
      case 'bdat': return this.nextBdat();
    }
  }

  private nextLine(): ReceiverEvent | null {
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0) {
      if (this.buffered() > this.opts.maxLineLength + 1) {
        this.pos = this.buf.length;
        this.mode = 'skipLine';
        return { type: 'lineTooLong' };
      }
      return null;
    }
    const end = lf > this.pos && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const start = this.pos;
    this.pos = lf + 1;
    if (end - start > this.opts.maxLineLength) return { type: 'lineTooLong' };
    const command = parseCommand(this.buf.toString('utf8', start, end));
    if (command.verb === 'BDAT') {
      this.mode = 'bdat';
      this.bdatLeft = command.size;
      this.pendingEnd = true;
    }
    return { type: 'command', command };
  }

  private skipLine(): ReceiverEvent | null {
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0) { this.pos = this.buf.length; return null; }
    this.pos = lf + 1;
    this.mode = 'line';
    return this.next();
  }

  private nextBdat(): ReceiverEvent | null {
    if (this.bdatLeft === 0) {
      this.mode = 'line';
      this.pendingEnd = false;
      return { type: 'dataEnd' };
    }
    const n = Math.min(this.bdatLeft, this.buffered());
    if (n === 0) return null;
    const chunk = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.bdatLeft -= n;
    return { type: 'data', chunk };
  }

  /** Emits the longest run of content bytes that needs no byte dropped, or the end marker. */
  private nextData(): ReceiverEvent | null {
    const b = this.buf;
    let start = this.pos;
    let i = start;
    while (i < b.length) {
      const c = b[i]!;
      if (this.ds === D.Mid) {
        const cr = b.indexOf(CR, i);
        if (cr < 0) { i = b.length; break; }
        i = cr + 1;
        this.ds = D.AfterCr;
      } else if (this.ds === D.AfterCr) {
        if (c === LF) { i++; this.ds = D.LineStart; } else this.ds = D.Mid;
      } else if (this.ds === D.LineStart) {
        if (c !== DOT) { this.ds = D.Mid; continue; }
        // RFC 5321 §4.5.2: a leading period is deleted; emit what precedes it first.
        if (i > start) { this.pos = i; return { type: 'data', chunk: b.subarray(start, i) }; }
        i++;
        start = i;
        this.ds = D.Dot;
      } else if (this.ds === D.Dot) {
        if (c === CR) { i++; this.ds = D.DotCr; } else this.ds = D.Mid;
      } else { // D.DotCr: "." CR at line start, CR at index start
        if (c === LF) {
          this.pos = i + 1;
          this.mode = 'line';
          this.ds = D.LineStart;
          return { type: 'dataEnd' };
        }
        this.ds = D.AfterCr; // ".\r<x>": the dot was stuffing; the CR is content
      }
    }
    if (this.ds === D.DotCr) { i--; this.ds = D.Dot; } // hold the CR until we know what follows
    this.pos = i;
    if (i > start) return { type: 'data', chunk: b.subarray(start, i) };
    return null;
  }
}
