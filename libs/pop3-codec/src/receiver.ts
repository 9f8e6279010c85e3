/**
 * POP3 input framing: bytes in (any split), command events out. Pure: no I/O, no timers.
 * Lines end with CRLF; a bare LF is accepted too (Dovecot does the same). A line longer than the
 * limit is never buffered whole: its bytes are dropped up to the next LF and one 'bad' event is
 * produced, so a hostile client cannot grow our memory.
 */
import type { Pop3Command, Pop3Event } from './types.js';

export interface ReceiverOptions {
  /** Longest accepted line in octets, CRLF included. */
  maxLineLength: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class Pop3Receiver {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private discarding = false;
  private rawNext = false;

  constructor(private readonly opts: ReceiverOptions) {}

  /** Feeds bytes received from the client. */
  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** The next event, or null when more input is needed. */
  next(): Pop3Event | null {
    for (;;) {
      const line = this.takeLine();
      if (line === null) return null;
      if (line === TOO_LONG) {
        this.rawNext = false;
        return { type: 'bad', text: 'Line too long' };
      }
      if (this.rawNext) {
        this.rawNext = false;
        return { type: 'line', text: line };
      }
      return parseCommandLine(line);
    }
  }

  /** The next complete line is delivered raw as a 'line' event (SASL continuation). */
  expectLine(): void { this.rawNext = true; }

  /** True when bytes of a further line are buffered (pipelined input, RFC 2449 §6.6). */
  hasBuffered(): boolean { return this.buffered > 0; }

  private takeLine(): string | typeof TOO_LONG | null {
    for (;;) {
      if (this.buffered === 0) return null;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const i = all.indexOf(LF);
      if (i < 0) {
        if (this.discarding || all.length > this.opts.maxLineLength) {
          // Drop what we have; remember to drop up to the next LF as well.
          const wasDiscarding = this.discarding;
          this.discarding = true;
          this.chunks = [];
          this.buffered = 0;
          if (!wasDiscarding) return TOO_LONG;
          return null;
        }
        this.chunks = [all];
        return null;
      }
      const rest = all.subarray(i + 1);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      if (this.discarding) { this.discarding = false; continue; }
      if (i + 1 > this.opts.maxLineLength) return TOO_LONG;
      const end = i > 0 && all[i - 1] === CR ? i - 1 : i;
      return all.toString('utf8', 0, end);
    }
  }
}

const TOO_LONG = Symbol('too-long');

/** RFC 1939 §3 / RFC 2449 §3: a keyword of 3–4 printable characters, then arguments. */
export function parseCommandLine(line: string): Pop3Event {
  const sp = line.indexOf(' ');
  const kw = sp < 0 ? line : line.slice(0, sp);
  if (kw === '') return { type: 'bad', text: 'Empty command' };
  if (!/^[A-Za-z]{1,8}$/.test(kw)) return { type: 'bad', text: 'Unknown command' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(line)) return { type: 'bad', text: 'Invalid characters in command' };
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  const args = rest.split(' ').filter((a) => a !== '');
  const command: Pop3Command = { name: kw.toUpperCase(), args, rest };
  return { type: 'command', command };
}
