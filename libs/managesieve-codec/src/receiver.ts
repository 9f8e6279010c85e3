/**
 * ManageSieve input, pure and incremental (RFC 5804 §4): push() bytes, pull events with next()
 * until null. A command is a line of atoms, quoted strings and numbers; a string may be a literal
 * `{n+}` CRLF followed by n octets, after which the same line continues. Clients must send
 * non-synchronising literals (`{n+}`); `{n}` is accepted the same way, as Dovecot does, since
 * ManageSieve has no continuation request for literals.
 *
 * After an AUTHENTICATE challenge the server calls expectContinuation(): the next line is then a
 * single string (or "*" to abort) instead of a command.
 */
import type { Arg, ReceiverEvent, ReceiverOptions } from './types.js';

const LF = 0x0a;
const LITERAL_AT_END = /\{([0-9]{1,10})(\+?)\}\r?$/;

export class ManageSieveReceiver {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Text of the current logical line so far (literals replaced by placeholders in `lits`). */
  private line = '';
  private lits: string[] = [];
  private litLeft = 0;
  private litChunks: Buffer[] = [];
  private mode: 'line' | 'literal' | 'skipLiteral' | 'skipLine' = 'line';
  private continuation = false;
  private skipEvent: ReceiverEvent | null = null;
  /** A NUL octet was seen in the line (it would collide with the literal placeholders). */
  private sawNul = false;

  constructor(private readonly opts: ReceiverOptions) {}

  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) this.buf = chunk;
    else this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** The next line is one AUTHENTICATE continuation string (or "*"). */
  expectContinuation(): void {
    this.continuation = true;
  }

  next(): ReceiverEvent | null {
    for (;;) {
      if (this.mode === 'literal') {
        const n = Math.min(this.litLeft, this.buf.length - this.pos);
        if (n > 0) { this.litChunks.push(this.buf.subarray(this.pos, this.pos + n)); this.pos += n; this.litLeft -= n; }
        if (this.litLeft > 0) return null;
        this.lits.push(Buffer.concat(this.litChunks).toString('utf8'));
        this.litChunks = [];
        this.line += `\u0000${this.lits.length - 1}\u0000`;
        this.mode = 'line';
        continue;
      }
      if (this.mode === 'skipLiteral') {
        const n = Math.min(this.litLeft, this.buf.length - this.pos);
        this.pos += n;
        this.litLeft -= n;
        if (this.litLeft > 0) return null;
        this.mode = 'skipLine';
        continue;
      }
      const lf = this.buf.indexOf(LF, this.pos);
      if (this.mode === 'skipLine') {
        if (lf < 0) { this.pos = this.buf.length; return null; }
        this.pos = lf + 1;
        this.mode = 'line';
        this.continuation = false;
        const ev = this.skipEvent;
        this.skipEvent = null;
        if (ev) return ev;
        continue;
      }
      if (lf < 0) {
        if (this.line.length + this.buf.length - this.pos > this.opts.maxLineLength) {
          this.reset();
          this.pos = this.buf.length;
          this.mode = 'skipLine';
          return { type: 'lineTooLong' };
        }
        return null;
      }
      const raw = this.buf.subarray(this.pos, lf).toString('utf8');
      this.pos = lf + 1;
      if (raw.includes('\u0000')) this.sawNul = true;
      const part = raw.replace(/\u0000/g, '');
      if (this.line.length + part.length > this.opts.maxLineLength) { this.reset(); this.continuation = false; return { type: 'lineTooLong' }; }
      const m = LITERAL_AT_END.exec(part);
      if (m) {
        const size = Number(m[1]);
        this.line += part.slice(0, m.index);
        if (size > this.opts.maxLiteralSize) {
          const name = commandName(this.line);
          this.reset();
          this.litLeft = size;
          this.mode = 'skipLiteral';
          this.skipEvent = { type: 'tooBig', name, size };
          continue;
        }
        this.litLeft = size;
        this.mode = 'literal';
        continue;
      }
      const text = this.line + part.replace(/\r$/, '');
      const lits = this.lits;
      const sawNul = this.sawNul;
      this.reset();
      if (sawNul) { this.continuation = false; return { type: 'bad', message: 'NUL octet in command line' }; }
      if (this.continuation) {
        this.continuation = false;
        return parseContinuation(text, lits);
      }
      if (text === '') continue; // empty lines between commands are ignored, as Dovecot does
      return parseCommandLine(text, lits, this.opts.maxArgs);
    }
  }

  private reset(): void {
    this.line = '';
    this.lits = [];
    this.litChunks = [];
    this.sawNul = false;
  }
}

function commandName(text: string): string {
  return (/^[A-Za-z]+/.exec(text)?.[0] ?? '').toUpperCase();
}

/** Tokenises one logical line: atoms, "quoted" strings, numbers and literal placeholders. */
function tokenize(text: string, lits: string[]): Array<{ kind: 'atom' | 'string' | 'number'; value: string }> | string {
  const out: Array<{ kind: 'atom' | 'string' | 'number'; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) return 'Unterminated quoted string';
        const d = text[i]!;
        if (d === '"') { i++; break; }
        if (d === '\\') {
          const e = text[i + 1];
          if (e !== '"' && e !== '\\') return 'Invalid escape in quoted string';
          v += e;
          i += 2;
          continue;
        }
        if (d === '\u0000' || d === '\r') return 'Invalid character in quoted string';
        v += d;
        i++;
      }
      out.push({ kind: 'string', value: v });
    } else if (c === '\u0000') {
      const end = text.indexOf('\u0000', i + 1);
      out.push({ kind: 'string', value: lits[Number(text.slice(i + 1, end))]! });
      i = end + 1;
    } else {
      const m = /^[^ "\u0000{}()\r\n]+/.exec(text.slice(i));
      if (!m) return `Unexpected character '${c === '\r' ? '\\r' : c}'`;
      const tok = m[0];
      out.push({ kind: /^[0-9]+$/.test(tok) ? 'number' : 'atom', value: tok });
      i += tok.length;
    }
    if (i < text.length && text[i] !== ' ') return 'Missing space between arguments';
  }
  return out;
}

function parseCommandLine(text: string, lits: string[], maxArgs: number): ReceiverEvent {
  const toks = tokenize(text, lits);
  if (typeof toks === 'string') return { type: 'bad', message: toks };
  const first = toks[0];
  if (!first || first.kind !== 'atom') return { type: 'bad', message: 'Expected a command name' };
  if (toks.length - 1 > maxArgs) return { type: 'bad', message: 'Too many arguments' };
  const args: Arg[] = [];
  const name = first.value.toUpperCase();
  for (const t of toks.slice(1)) {
    if (t.kind === 'string') args.push({ type: 'string', value: t.value });
    // Dovecot's proxies send XCLIENT ADDR=<ip> PORT=<n> ... as atoms; RFC 5804 §4 commands take none.
    else if (name === 'XCLIENT') args.push({ type: 'atom', value: t.value });
    else if (t.kind === 'number') {
      // RFC 5804 §4: number = 1*DIGIT, 0 .. 4294967295
      const n = Number(t.value);
      if (t.value.length > 10 || n > 4294967295) return { type: 'bad', message: 'Number too big' };
      args.push({ type: 'number', value: n });
    } else return { type: 'bad', message: `Unexpected atom '${t.value.slice(0, 40)}'` };
  }
  return { type: 'command', name, args };
}

function parseContinuation(text: string, lits: string[]): ReceiverEvent {
  if (text.trim() === '*') return { type: 'cancel' };
  const toks = tokenize(text, lits);
  if (typeof toks === 'string') return { type: 'bad', message: toks };
  if (toks.length !== 1 || toks[0]!.kind !== 'string') return { type: 'bad', message: 'Expected one string' };
  return { type: 'continuation', value: toks[0]!.value };
}
