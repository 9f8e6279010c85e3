/**
 * ImapReceiver: incremental, pull-model framer and parser for IMAP client input.
 *
 *   r.push(chunk)                       // on socket data
 *   while ((ev = r.next())) await handle(ev)
 *
 * Framing (RFC 3501 §2.2, §4.3, §7.5): a command is a line, or lines joined by literals announced
 * at a line's end: "{N}" synchronising (we pause until the server answers "+" via acceptLiteral(),
 * or refuses via rejectLiteral()), "{N+}" non-synchronising (LITERAL+, RFC 7888) and "~{N}" literal8
 * (RFC 3516, APPEND only). Ordinary commands are buffered whole (bounded by maxCommandBytes) and
 * parsed into the AST of types.ts. APPEND is streamed as events, its message literals as subarrays
 * of the pushed chunks. Errors give a `bad` event and the receiver resynchronises at the next line,
 * skipping announced non-synchronising literal octets; it never throws on any input.
 */
import { LIMITS } from '../../core/src/limits.js';
import type { AppendMessageMeta, ReceiverEvent } from './types.js';
import { ParseError, Parser, type ParserOptions } from './parser.js';
import { parseCommand, parseHead, TAG_RE } from './parse-command.js';

export interface ReceiverOptions {
  maxLineLength?: number;
  maxLiteralSize?: number;
  maxCommandBytes?: number;
  maxNesting?: number;
  maxArgs?: number;
  utf8Accept?: boolean;
}

interface LiteralAnnouncement {
  size: number;
  sync: boolean;
  binary: boolean;
  /** Characters of the announcement text ("~{12+}" = 6). */
  len: number;
}

interface AppendState {
  stage: 'mailbox' | 'message';
  began: boolean;
  count: number;
}

interface Pending {
  tag: string;
  name: string;
  text: string;
  litPos: number[];
  literals: Buffer[];
  bytes: number;
  error: string | null;
  append: AppendState | null;
  /** Size of the synchronising literal awaiting acceptLiteral(). */
  pendingSize: number;
}

type State =
  | { k: 'line' }
  | { k: 'literal'; remaining: number; parts: Buffer[] }
  | { k: 'await'; meta: AppendMessageMeta | null }
  | { k: 'stream'; remaining: number }
  | { k: 'skip-line'; tail: string }
  | { k: 'skip-bytes'; remaining: number }
  | { k: 'dead' };

/** Longest tail we keep of a discarded line to spot a literal announcement at its end. */
const TAIL = 32;

/**
 * A literal announcement ending a line segment, unless its "{" lies inside a quoted string.
 * The segment is the text since the start of the command or since the previous literal, so
 * quoting state starts fresh (a literal cannot sit inside a quoted string).
 */
export function literalAtEnd(seg: string): LiteralAnnouncement | null {
  if (seg.charCodeAt(seg.length - 1) !== 0x7d) return null;
  const open = seg.lastIndexOf('{');
  if (open < 0) return null;
  const m = /^\{(\d{1,20})(\+?)\}$/.exec(seg.slice(open));
  if (!m) return null;
  let inQuote = false;
  for (let i = 0; i < open; i++) {
    const c = seg.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
  }
  if (inQuote) return null;
  const binary = open > 0 && seg.charCodeAt(open - 1) === 0x7e;
  return { size: Number(m[1]), sync: m[2] !== '+', binary, len: seg.length - open + (binary ? 1 : 0) };
}

export class ImapReceiver {
  private readonly maxLineLength: number;
  private readonly maxLiteralSize: number;
  private readonly maxCommandBytes: number;
  private readonly popts: ParserOptions;

  private q: Buffer[] = [];
  private qi = 0;
  private off = 0;
  private lineParts: Buffer[] = [];
  private lineLen = 0;

  private state: State = { k: 'line' };
  private cmd: Pending | null = null;
  private rawLine = false;
  private readonly out: ReceiverEvent[] = [];

  constructor(opts: ReceiverOptions = {}) {
    this.maxLineLength = opts.maxLineLength ?? LIMITS.imapMaxLineLength;
    this.maxLiteralSize = opts.maxLiteralSize ?? LIMITS.imapMaxLiteralSize;
    this.maxCommandBytes = opts.maxCommandBytes ?? LIMITS.imapMaxCommandBytes;
    this.popts = {
      maxNesting: opts.maxNesting ?? LIMITS.imapMaxNesting,
      maxArgs: opts.maxArgs ?? LIMITS.imapMaxArgs,
      utf8Accept: opts.utf8Accept ?? false,
    };
  }

  /** After ENABLE UTF8=ACCEPT (RFC 6855 §3) mailbox names are taken as UTF-8, not modified UTF-7. */
  setUtf8Accept(on: boolean): void {
    this.popts.utf8Accept = on;
  }

  /** Appends input. Never parses; the data is only referenced (no copy). */
  push(chunk: Buffer): void {
    if (this.state.k === 'dead' || chunk.length === 0) return;
    this.q.push(chunk);
  }

  /** Bytes pushed but not yet consumed (for the server's own input backpressure). */
  get buffered(): number {
    let n = -this.off;
    for (let i = this.qi; i < this.q.length; i++) n += this.q[i]!.length;
    return Math.max(0, n) + this.lineLen;
  }

  /** True while a synchronising literal waits for acceptLiteral()/rejectLiteral(). */
  get awaitingLiteral(): boolean {
    return this.state.k === 'await';
  }

  /** The next line is delivered raw as a `line` event (AUTHENTICATE continuation, IDLE "DONE"). */
  expectLine(): void {
    this.rawLine = true;
  }

  /** The server sent "+" for the announced synchronising literal: read it. */
  acceptLiteral(): void {
    const st = this.state;
    if (st.k !== 'await' || !this.cmd) return;
    if (st.meta) {
      this.out.push({ type: 'append-message', tag: this.cmd.tag, meta: st.meta });
      this.state = { k: 'stream', remaining: st.meta.size };
    } else {
      const size = this.cmd.pendingSize;
      this.state = { k: 'literal', remaining: size, parts: [] };
    }
  }

  /** The server refused the literal (tagged NO/BAD): the client will not send it; the command is over. */
  rejectLiteral(): void {
    if (this.state.k !== 'await') return;
    this.cmd = null;
    this.state = { k: 'line' };
  }

  /**
   * Hands over every byte pushed but not yet consumed, in order, and stops the receiver: a login
   * proxy switching to relaying after a successful login passes commands the client pipelined
   * behind LOGIN on to the backend unparsed.
   */
  takeUnread(): Buffer[] {
    const rest: Buffer[] = [...this.lineParts];
    for (let i = this.qi; i < this.q.length; i++) {
      const b = this.q[i]!;
      const piece = i === this.qi ? b.subarray(this.off) : b;
      if (piece.length) rest.push(piece);
    }
    this.stop();
    return rest;
  }

  /** The next event, or null when more input is needed (or a literal awaits the server's decision). */
  next(): ReceiverEvent | null {
    try {
      for (;;) {
        const ev = this.out.shift();
        if (ev) return ev;
        if (!this.step()) return null;
      }
    } catch (e) {
      // Only a bug can get here; fail closed rather than desynchronise.
      this.die('Internal parser error');
      return this.out.shift() ?? null;
    }
  }

  // ---- input queue -------------------------------------------------------------------------

  private head(): Buffer | null {
    while (this.qi < this.q.length) {
      const b = this.q[this.qi]!;
      if (this.off < b.length) return b;
      this.qi++;
      this.off = 0;
    }
    if (this.qi > 0) { this.q = []; this.qi = 0; }
    return null;
  }

  /** Takes up to n bytes from the head chunk as a subarray. */
  private take(n: number): Buffer | null {
    const b = this.head();
    if (!b) return null;
    const end = Math.min(b.length, this.off + n);
    const out = b.subarray(this.off, end);
    this.off = end;
    if (this.qi > 1024) { this.q = this.q.slice(this.qi); this.qi = 0; }
    return out;
  }

  /** A complete line without its CRLF (bare LF accepted), null when incomplete, 'long' when over the limit. */
  private readLine(): Buffer | null | 'long' {
    for (;;) {
      const b = this.head();
      if (!b) return null;
      const idx = b.indexOf(0x0a, this.off);
      const end = idx < 0 ? b.length : idx;
      // +1 allows for the CR that precedes LF.
      if (this.lineLen + (end - this.off) > this.maxLineLength + 1) return 'long';
      const piece = b.subarray(this.off, end);
      if (idx < 0) {
        this.lineParts.push(piece);
        this.lineLen += piece.length;
        this.off = b.length;
        continue;
      }
      this.off = idx + 1;
      let line = this.lineParts.length === 0 ? piece : Buffer.concat([...this.lineParts, piece]);
      this.lineParts = [];
      this.lineLen = 0;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      return line;
    }
  }

  // ---- state machine -----------------------------------------------------------------------

  /** Makes progress; false when nothing more can be done without input or a server decision. */
  private step(): boolean {
    const st = this.state;
    switch (st.k) {
      case 'dead':
      case 'await':
        return false;
      case 'line': {
        const line = this.readLine();
        if (line === null) return false;
        if (line === 'long') { this.lineTooLong(); return true; }
        this.onLine(line);
        return true;
      }
      case 'literal': {
        if (st.remaining > 0) {
          const piece = this.take(st.remaining);
          if (!piece) return false;
          st.parts.push(piece);
          st.remaining -= piece.length;
          if (st.remaining > 0) return true;
        }
        const cmd = this.cmd!;
        cmd.literals.push(Buffer.concat(st.parts));
        cmd.litPos.push(cmd.text.length);
        this.state = { k: 'line' };
        return true;
      }
      case 'stream': {
        if (st.remaining > 0) {
          const piece = this.take(st.remaining);
          if (!piece) return false;
          st.remaining -= piece.length;
          this.out.push({ type: 'literal-chunk', data: piece });
          return true;
        }
        this.out.push({ type: 'literal-end' });
        const cmd = this.cmd!;
        cmd.text = '';
        cmd.litPos = [];
        cmd.literals = [];
        cmd.append!.count++;
        this.state = { k: 'line' };
        return true;
      }
      case 'skip-bytes': {
        const piece = this.take(st.remaining);
        if (!piece) return false;
        st.remaining -= piece.length;
        if (st.remaining === 0) this.state = { k: 'skip-line', tail: '' };
        return true;
      }
      case 'skip-line': {
        const b = this.head();
        if (!b) return false;
        const idx = b.indexOf(0x0a, this.off);
        const end = idx < 0 ? b.length : idx;
        st.tail = (st.tail + b.toString('latin1', Math.max(this.off, end - TAIL), end)).slice(-TAIL);
        this.off = idx < 0 ? b.length : idx + 1;
        if (idx < 0) return true;
        const ann = literalAtEnd(st.tail.endsWith('\r') ? st.tail.slice(0, -1) : st.tail);
        this.state = { k: 'line' };
        if (ann && !ann.sync) {
          if (ann.size > this.maxLiteralSize) this.die('Literal too large');
          else this.state = { k: 'skip-bytes', remaining: ann.size };
          if (ann.size === 0 && this.state.k === 'skip-bytes') this.state = { k: 'skip-line', tail: '' };
        }
        return true;
      }
    }
  }

  private die(text: string): void {
    this.stop();
    this.out.push({ type: 'fatal', text });
  }

  /** Dead for good: every buffered byte and the command in progress dropped. */
  private stop(): void {
    this.state = { k: 'dead' };
    this.cmd = null;
    this.q = [];
    this.qi = 0;
    this.off = 0;
    this.lineParts = [];
    this.lineLen = 0;
  }

  private lineTooLong(): void {
    let tag = this.cmd?.tag;
    if (tag === undefined) {
      // The tag is in the first bytes of the line, which may be spread over many small parts.
      let s = '';
      for (const part of this.lineParts) {
        s += part.toString('latin1', 0, Math.min(part.length, 65 - s.length));
        if (s.length > 64) break;
      }
      const h = this.head();
      if (s.length <= 64 && h) s += h.toString('latin1', this.off, Math.min(h.length, this.off + 65 - s.length));
      const t = s.slice(0, s.indexOf(' ') < 0 ? s.length : s.indexOf(' '));
      tag = TAG_RE.test(t) && t.length < 64 ? t : '*'; // (a longer tag was cut off: unknown)
    }
    const wasRaw = this.rawLine;
    this.lineParts = [];
    this.lineLen = 0;
    this.cmd = null;
    this.rawLine = false;
    if (wasRaw) { this.die('Line too long'); return; }
    this.state = { k: 'skip-line', tail: '' };
    this.out.push({ type: 'bad', tag, text: 'Line too long' });
  }

  private onLine(raw: Buffer): void {
    if (this.rawLine && !this.cmd) {
      this.rawLine = false;
      this.out.push({ type: 'line', text: raw.toString('utf8') });
      return;
    }
    let cmd = this.cmd;
    if (!cmd) {
      if (raw.length === 0) return; // stray empty line between commands: ignore
      cmd = this.cmd = newPending(raw);
    }
    const seg = raw.toString('utf8');
    if (raw.includes(0)) cmd.error ??= 'NUL character in command';
    cmd.bytes += raw.length;
    if (cmd.bytes > this.maxCommandBytes) cmd.error ??= 'Command too long';
    cmd.text += seg;
    const ann = literalAtEnd(seg);
    if (cmd.append) { this.appendStep(cmd, ann); return; }
    if (!ann) { this.finish(cmd); return; }
    if (ann.binary) cmd.error ??= 'literal8 is only allowed in APPEND';
    if (cmd.bytes + ann.size > this.maxCommandBytes) cmd.error ??= 'Literal too large for this command';
    if (cmd.error) { this.abandon(cmd, ann, cmd.error); return; }
    this.readSmallLiteral(cmd, ann);
  }

  private readSmallLiteral(cmd: Pending, ann: LiteralAnnouncement): void {
    cmd.bytes += ann.size;
    if (ann.sync) {
      cmd.pendingSize = ann.size;
      this.state = { k: 'await', meta: null };
      this.out.push({ type: 'literal-request', tag: cmd.tag, size: ann.size, command: cmd.name });
    } else {
      this.state = { k: 'literal', remaining: ann.size, parts: [] };
    }
  }

  private finish(cmd: Pending): void {
    this.cmd = null;
    if (cmd.error) { this.out.push({ type: 'bad', tag: cmd.tag, text: cmd.error }); return; }
    try {
      this.out.push({ type: 'command', command: parseCommand(cmd.text, cmd.litPos, cmd.literals, this.popts) });
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.out.push({ type: 'bad', tag: cmd.tag, text: e.message });
    }
  }

  /** Reports a bad command whose line ended with `ann`, and skips what the client will still send. */
  private abandon(cmd: Pending, ann: LiteralAnnouncement | null, text: string): void {
    this.cmd = null;
    this.state = { k: 'line' };
    if (ann && !ann.sync) {
      // Non-synchronising octets arrive regardless of our answer (RFC 7888 §4).
      if (ann.size > this.maxLiteralSize) { this.die('Literal too large'); return; }
      this.state = ann.size > 0 ? { k: 'skip-bytes', remaining: ann.size } : { k: 'skip-line', tail: '' };
    }
    // A synchronising literal is simply not sent once the client reads our tagged reply.
    this.out.push({ type: 'bad', tag: cmd.tag, text });
  }

  /**
   * APPEND (RFC 3501 §6.3.11, MULTIAPPEND RFC 3502 §6.3.11, LITERAL+ RFC 7888, literal8 RFC 3516):
   *   tag SP "APPEND" SP mailbox 1*(SP [flag-list SP] [date-time SP] literal) CRLF
   * Called with the command text so far, which ends at `ann` when a literal was announced.
   */
  private appendStep(cmd: Pending, ann: LiteralAnnouncement | null): void {
    const a = cmd.append!;
    if (cmd.error) { this.abandon(cmd, ann, cmd.error); return; }
    const p = new Parser(cmd.text, cmd.litPos, cmd.literals, this.popts);
    try {
      if (a.stage === 'mailbox') {
        parseHead(p);
        p.sp();
        if (ann && p.pos + ann.len === cmd.text.length) {
          // The mailbox name itself is a literal: buffer it like any small argument.
          if (ann.binary) p.fail('literal8 is not allowed for the mailbox name');
          if (cmd.bytes + ann.size > this.maxCommandBytes) p.fail('Mailbox name too long');
          this.readSmallLiteral(cmd, ann);
          return;
        }
        const mailbox = p.mailbox();
        this.out.push({ type: 'append-begin', tag: cmd.tag, mailbox });
        a.began = true;
        a.stage = 'message';
        // Message parsing continues on the unparsed remainder of this text.
        cmd.text = cmd.text.slice(p.pos);
        cmd.litPos = [];
        cmd.literals = [];
        p.pos = 0;
        return this.appendMessage(cmd, a, new Parser(cmd.text, [], [], this.popts), ann);
      }
      this.appendMessage(cmd, a, p, ann);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.abandon(cmd, ann, e.message);
    }
  }

  private appendMessage(cmd: Pending, a: AppendState, p: Parser, ann: LiteralAnnouncement | null): void {
    if (p.atEnd()) {
      if (a.count === 0) p.fail('Missing message literal');
      this.cmd = null;
      this.out.push({ type: 'append-end', tag: cmd.tag });
      return;
    }
    p.sp();
    let flags: string[] = [];
    let internalDate: number | null = null;
    if (p.peek() === 0x28) { flags = p.flagList(); p.sp(); }
    if (p.peek() === 0x22) { internalDate = p.dateTime(); p.sp(); }
    if (!ann || p.pos + ann.len !== cmd.text.length) p.fail('Expected message literal');
    const meta: AppendMessageMeta = { flags, internalDate, size: ann.size, binary: ann.binary };
    if (ann.size > this.maxLiteralSize) {
      if (!ann.sync) { this.die('Message too large'); return; }
      this.abandon(cmd, ann, '[TOOBIG] Message too large');
      return;
    }
    if (ann.sync) {
      this.state = { k: 'await', meta };
      this.out.push({ type: 'literal-request', tag: cmd.tag, size: ann.size, command: 'APPEND' });
    } else {
      this.out.push({ type: 'append-message', tag: cmd.tag, meta });
      this.state = { k: 'stream', remaining: ann.size };
    }
  }
}

function newPending(first: Buffer): Pending {
  const sp = first.indexOf(0x20);
  const tagEnd = sp < 0 ? first.length : sp;
  const rawTag = first.toString('latin1', 0, tagEnd);
  const tag = TAG_RE.test(rawTag) ? rawTag : '*';
  const s = first.toString('latin1', tagEnd, Math.min(first.length, tagEnd + 40));
  const m = /^(?: (UID )?([A-Za-z]+))?/i.exec(s)!;
  const name = ((m[1] ? 'UID ' : '') + (m[2] ?? '')).toUpperCase();
  const isAppend = tag !== '*' && !m[1] && name === 'APPEND' && (s.length === m[0].length || s[m[0].length] === ' ');
  return {
    tag, name, text: '', litPos: [], literals: [], bytes: 0, error: null, pendingSize: 0,
    append: isAppend ? { stage: 'mailbox', began: false, count: 0 } : null,
  };
}
