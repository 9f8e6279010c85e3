/**
 * Minimal raw-socket IMAP client for benchmarks (loopback only).
 *
 * - Tagged commands return a promise with the untagged responses seen while the command was the
 *   oldest outstanding one, the tagged status and the latency measured with process.hrtime.
 * - Pipelining: many commands may be outstanding; tagged replies are matched by tag. Untagged data
 *   is attributed to the oldest outstanding command (RFC 3501 §5.5 lets the server interleave,
 *   which is fine for counting).
 * - Literals in responses (`{N}\r\n` + N octets, RFC 3501 §4.3; also `~{N}` of RFC 3516) are read
 *   by byte count, so message bodies containing CRLF or "A1 OK" never confuse the parser.
 * - Literals in commands are sent as synchronising literals: the client waits for the "+"
 *   continuation request (RFC 3501 §7.5) unless the server announced LITERAL+ (RFC 7888) and
 *   `literalPlus` is set.
 * - Optional implicit TLS or STARTTLS (RFC 3501 §6.2.1) with a CA.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface ImapClientOptions {
  host: string;
  port: number;
  /** Implicit TLS (IMAPS). */
  tls?: boolean;
  /** CA certificate(s) (PEM) to verify the server with. */
  ca?: string | Buffer;
  servername?: string;
  /** Connect + greeting timeout, ms. Default 10 s. */
  connectTimeoutMs?: number;
  /** Per-command timeout, ms (0 = none). Default 0. */
  commandTimeoutMs?: number;
  /** Source address to connect from (e.g. 127.0.0.7: many loopback sources for connection-heavy tests). */
  localAddress?: string;
  /** Verify the server certificate (default true); false accepts self-signed certificates (load tests on loopback). */
  rejectUnauthorized?: boolean;
}

export interface CommandOptions {
  /** Keep untagged lines (default true). With false only counts and byte totals are kept: cheaper for huge FETCHes. */
  collect?: boolean;
  /** Per-command timeout override, ms. */
  timeoutMs?: number;
}

export interface ImapResponse {
  tag: string;
  /** OK | NO | BAD */
  status: string;
  /** Rest of the tagged line after the status. */
  text: string;
  /** Untagged responses (without "* "), literal octets inlined as latin1 text. Empty if collect=false. */
  untagged: string[];
  /** Number of untagged responses seen. */
  untaggedCount: number;
  /** Octets received for this command (untagged + tagged). */
  bytes: number;
  /** Latency from write to tagged completion, ms (hrtime). */
  ms: number;
}

interface Pending {
  tag: string;
  resolve: (r: ImapResponse) => void;
  reject: (e: Error) => void;
  untagged: string[];
  untaggedCount: number;
  bytes: number;
  collect: boolean;
  start: bigint;
  /** Literal payloads still to send, each after a "+" continuation. */
  literals: Buffer[];
  timer: NodeJS.Timeout | null;
}

/** A piece of a command: text is sent as is, a Buffer becomes a literal {N}. */
export type CommandPart = string | Buffer;

const CR = 13, LF = 10;

export class ImapClient {
  private sock: Socket | TLSSocket;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Parts of the current logical response line (text + literals) accumulated so far. */
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  /** Octets of literal still to read for the current line. */
  private literalLeft = -1;
  private tagSeq = 0;
  private readonly pending = new Map<string, Pending>();
  /** Commands in send order (for attributing untagged data and continuations). */
  private readonly order: Pending[] = [];
  /** Commands waiting for a "+" continuation, FIFO. */
  private readonly contWaiters: Pending[] = [];
  private greetingWaiter: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  private closedErr: Error | null = null;
  greeting = '';
  capabilities = new Set<string>();
  literalPlus = false;
  /** Untagged responses that arrived while no command was outstanding (e.g. BYE, IDLE updates). */
  unsolicited: string[] = [];
  private idleWaiter: (() => void) | null = null;
  /** Called with every untagged response (without "* ") as it arrives, e.g. EXISTS during IDLE. */
  onUntagged: ((line: string) => void) | null = null;

  private constructor(sock: Socket | TLSSocket, private readonly opts: ImapClientOptions) {
    this.sock = sock;
    this.attach(sock);
  }

  /** Connects, reads the greeting (RFC 3501 §7.1.1 OK / PREAUTH, or BYE = reject). */
  static async connect(opts: ImapClientOptions): Promise<ImapClient> {
    if (!isLoopback(opts.host)) throw new Error(`benchmark client refuses non-loopback host ${opts.host}`);
    const timeout = opts.connectTimeoutMs ?? 10_000;
    const sock = opts.tls
      ? tlsConnect({ host: opts.host, port: opts.port, ca: opts.ca, servername: opts.servername ?? 'localhost', localAddress: opts.localAddress, rejectUnauthorized: opts.rejectUnauthorized ?? true } as import('node:tls').ConnectionOptions)
      : netConnect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    sock.setNoDelay(true);
    const c = new ImapClient(sock, opts);
    const greeting = await withTimeout(new Promise<string>((resolve, reject) => { c.greetingWaiter = { resolve, reject }; }), timeout, 'greeting');
    c.greeting = greeting;
    if (/^\* BYE/i.test(greeting)) { c.destroy(); throw new Error(`server rejected connection: ${greeting}`); }
    c.parseCapsFrom(greeting);
    return c;
  }

  private attach(sock: Socket | TLSSocket): void {
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    if (this.greetingWaiter) { this.greetingWaiter.reject(e); this.greetingWaiter = null; }
    for (const p of this.order) { if (p.timer) clearTimeout(p.timer); p.reject(e); }
    this.order.length = 0; this.pending.clear(); this.contWaiters.length = 0;
  }

  get closed(): boolean { return this.closedErr !== null; }

  private onData(d: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), d]) : d;
    this.pos = 0;
    const b = this.buf;
    for (;;) {
      if (this.literalLeft >= 0) {
        const avail = b.length - this.pos;
        if (avail === 0) break;
        const take = Math.min(avail, this.literalLeft);
        this.pushPart(b.subarray(this.pos, this.pos + take));
        this.pos += take; this.literalLeft -= take;
        if (this.literalLeft > 0) break;
        this.literalLeft = -1;
        continue;
      }
      const lf = b.indexOf(LF, this.pos);
      if (lf < 0) break;
      let end = lf; if (end > this.pos && b[end - 1] === CR) end--;
      const seg = b.subarray(this.pos, end);
      this.pos = lf + 1;
      const n = literalSize(seg);
      if (n >= 0) {
        this.pushPart(seg); this.pushPart(CRLF_BUF);
        this.literalLeft = n;
        if (n === 0) this.literalLeft = -1;
        continue;
      }
      this.pushPart(seg);
      const line = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
      const bytes = this.lineBytes + 2;
      this.lineParts = []; this.lineBytes = 0;
      this.onLine(line, bytes);
    }
    if (this.pos >= this.buf.length) { this.buf = Buffer.alloc(0); this.pos = 0; }
    else if (this.lineParts.length > 0 || this.literalLeft >= 0) {
      // Copy the partial parts out of the shared buffer so it can be released.
      this.lineParts = this.lineParts.map((p) => Buffer.from(p));
    }
  }

  private pushPart(p: Buffer): void { this.lineParts.push(p); this.lineBytes += p.length; }

  private onLine(line: Buffer, bytes: number): void {
    const first = line[0];
    if (this.greetingWaiter) {
      const w = this.greetingWaiter; this.greetingWaiter = null;
      w.resolve(line.toString('latin1'));
      return;
    }
    if (first === 0x2a /* * */) {
      if (this.onUntagged) this.onUntagged(line.toString('latin1', 2));
      const head = this.order[0];
      if (!head) {
        this.unsolicited.push(line.toString('latin1', 2));
        return;
      }
      head.untaggedCount++; head.bytes += bytes;
      if (head.collect) head.untagged.push(line.toString('latin1', 2));
      return;
    }
    if (first === 0x2b /* + */) {
      const w = this.contWaiters.shift();
      if (w) {
        const lit = w.literals.shift();
        if (lit) {
          this.sock.write(lit);
          const rest = (w as Pending & { restParts?: Buffer[] }).restParts?.shift();
          if (rest) this.sock.write(rest);
          if (w.literals.length > 0) this.contWaiters.push(w);
        }
      } else if (this.idleWaiter) {
        const f = this.idleWaiter; this.idleWaiter = null; f();
      }
      return;
    }
    const s = line.toString('latin1');
    const sp = s.indexOf(' ');
    const tag = sp > 0 ? s.slice(0, sp) : s;
    const p = this.pending.get(tag);
    if (!p) { this.unsolicited.push(s); return; }
    this.pending.delete(tag);
    const idx = this.order.indexOf(p); if (idx >= 0) this.order.splice(idx, 1);
    const cw = this.contWaiters.indexOf(p); if (cw >= 0) this.contWaiters.splice(cw, 1);
    if (p.timer) clearTimeout(p.timer);
    const rest = s.slice(sp + 1);
    const sp2 = rest.indexOf(' ');
    const status = (sp2 > 0 ? rest.slice(0, sp2) : rest).toUpperCase();
    const text = sp2 > 0 ? rest.slice(sp2 + 1) : '';
    p.bytes += bytes;
    if (status === 'OK') this.parseCapsFrom(s);
    p.resolve({ tag, status, text, untagged: p.untagged, untaggedCount: p.untaggedCount, bytes: p.bytes, ms: Number(process.hrtime.bigint() - p.start) / 1e6 });
  }

  private parseCapsFrom(line: string): void {
    const m = /\[CAPABILITY ([^\]]*)\]/i.exec(line);
    if (m) this.setCaps(m[1]!);
  }

  private setCaps(list: string): void {
    this.capabilities = new Set(list.toUpperCase().split(' ').filter(Boolean));
    this.literalPlus = this.capabilities.has('LITERAL+');
  }

  /**
   * Sends one tagged command. `parts` are joined: strings as they are, Buffers as literals.
   * Resolves on the tagged reply whatever its status; rejects only on connection loss or timeout.
   */
  command(parts: CommandPart | CommandPart[], opts: CommandOptions = {}): Promise<ImapResponse> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const tag = `A${++this.tagSeq}`;
    const list = Array.isArray(parts) ? parts : [parts];
    return new Promise<ImapResponse>((resolve, reject) => {
      const p: Pending & { restParts?: Buffer[] } = {
        tag, resolve, reject, untagged: [], untaggedCount: 0, bytes: 0, collect: opts.collect ?? true,
        start: process.hrtime.bigint(), literals: [], timer: null,
      };
      const timeout = opts.timeoutMs ?? this.opts.commandTimeoutMs ?? 0;
      if (timeout > 0) {
        p.timer = setTimeout(() => {
          this.fail(new Error(`command ${tag} timed out after ${timeout} ms`));
          this.destroy();
        }, timeout);
      }
      this.pending.set(tag, p);
      this.order.push(p);
      // Split into the first chunk (sent now) and the chunks that follow each literal.
      const chunks: string[] = [`${tag} `];
      const lits: Buffer[] = [];
      for (const part of list) {
        if (typeof part === 'string') chunks[chunks.length - 1] += part;
        else {
          const plus = this.literalPlus;
          chunks[chunks.length - 1] += `{${part.length}${plus ? '+' : ''}}\r\n`;
          lits.push(part);
          chunks.push('');
        }
      }
      chunks[chunks.length - 1] += '\r\n';
      if (lits.length === 0 || this.literalPlus) {
        const out: Buffer[] = [Buffer.from(chunks[0]!, 'latin1')];
        for (let i = 0; i < lits.length; i++) { out.push(lits[i]!); out.push(Buffer.from(chunks[i + 1]!, 'latin1')); }
        this.sock.write(out.length === 1 ? out[0]! : Buffer.concat(out));
      } else {
        p.literals = lits;
        p.restParts = chunks.slice(1).map((c) => Buffer.from(c, 'latin1'));
        this.contWaiters.push(p);
        this.sock.write(Buffer.from(chunks[0]!, 'latin1'));
      }
    });
  }

  /** Sends a command and throws unless the reply is OK. */
  async ok(parts: CommandPart | CommandPart[], opts: CommandOptions = {}): Promise<ImapResponse> {
    const r = await this.command(parts, opts);
    if (r.status !== 'OK') throw new Error(`${commandName(parts)} failed: ${r.status} ${r.text}`);
    return r;
  }

  async login(user: string, pass: string): Promise<ImapResponse> {
    return this.ok(`LOGIN ${quote(user)} ${quote(pass)}`);
  }

  /** STARTTLS (RFC 3501 §6.2.1): after the OK, the TLS handshake; capabilities must be asked again. */
  async startTls(): Promise<void> {
    await this.ok('STARTTLS');
    const plain = this.sock as Socket;
    plain.removeAllListeners('data'); plain.removeAllListeners('close'); plain.removeAllListeners('error');
    const t = tlsConnect({ socket: plain, ca: this.opts.ca, servername: this.opts.servername ?? 'localhost', rejectUnauthorized: this.opts.rejectUnauthorized ?? true });
    await new Promise<void>((resolve, reject) => { t.once('secureConnect', () => resolve()); t.once('error', reject); });
    this.sock = t;
    this.attach(t);
    this.capabilities.clear(); this.literalPlus = false;
  }

  async capability(): Promise<Set<string>> {
    const r = await this.ok('CAPABILITY');
    for (const u of r.untagged) if (/^CAPABILITY /i.test(u)) this.setCaps(u.slice(11));
    return this.capabilities;
  }

  /** Enters IDLE (RFC 2177) and resolves once the server sent "+"; call idleDone() to leave. */
  async idle(): Promise<Promise<ImapResponse>> {
    const waitPlus = new Promise<void>((resolve) => { this.idleWaiter = resolve; });
    const done = this.command('IDLE');
    await waitPlus;
    return done;
  }

  /**
   * IDLE without promise flattening (idle() above resolves only after DONE, since an async
   * function adopts the promise it returns): `entered` on the "+", `done` on the tagged reply.
   */
  startIdle(): { entered: Promise<void>; done: Promise<ImapResponse> } {
    const entered = new Promise<void>((resolve) => { this.idleWaiter = resolve; });
    const done = this.command('IDLE', { timeoutMs: 0 }); // an IDLE lasts as long as the caller wants
    return { entered: Promise.race([entered, done.then(() => undefined)]), done };
  }

  idleDone(): void { this.sock.write('DONE\r\n'); }

  /** LOGOUT and wait for the close; never throws. */
  async logout(): Promise<void> {
    try { await this.command('LOGOUT', { timeoutMs: 5000 }); } catch { /* closed already */ }
    this.destroy();
  }

  destroy(): void { this.sock.destroy(); }

  outstanding(): number { return this.order.length; }
}

const CRLF_BUF = Buffer.from('\r\n');

/** Size of the literal announced at the end of a response line segment, or -1 (RFC 3501 §4.3, RFC 3516 "~{N}"). */
export function literalSize(seg: Buffer): number {
  const n = seg.length;
  if (n < 3 || seg[n - 1] !== 0x7d /* } */) return -1;
  let i = n - 2, v = 0, mul = 1;
  if (seg[i] === 0x2b /* + */) i--; // a server never sends LITERAL+, but be lenient
  const digitsEnd = i;
  while (i >= 0 && seg[i]! >= 0x30 && seg[i]! <= 0x39) { v += (seg[i]! - 0x30) * mul; mul *= 10; i--; }
  if (i === digitsEnd || i < 0 || seg[i] !== 0x7b /* { */) return -1;
  return v;
}

/** IMAP quoted string (RFC 3501 §4.3); callers pass only 7-bit text without CR/LF. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function commandName(parts: CommandPart | CommandPart[]): string {
  const first = Array.isArray(parts) ? parts[0] : parts;
  return typeof first === 'string' ? first.split(' ')[0] ?? '' : '';
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms); })]);
  } finally { if (t) clearTimeout(t); }
}
