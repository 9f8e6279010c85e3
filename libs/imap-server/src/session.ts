/**
 * One IMAP connection: the state machine (RFC 3501 §3: not authenticated, authenticated,
 * selected, logout), a pull loop over ImapReceiver events, an output writer with backpressure,
 * the autologout timer and the per-connection abuse guards.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Command, ReceiverEvent } from '../../imap-codec/src/types.js';
import type { MailAccount, Mailbox, MailboxSnapshot } from '../../mailstore/src/types.js';
import type { UserRecord } from '../../directory/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import { MailError } from '../../core/src/errors.js';
import type { ImapServerConfig, ImapServerDeps } from './deps.js';
import { createReceiver, type Receiver } from './receiver.js';
import { MailboxView } from './view.js';
import { mapError, safeText } from './errors.js';
import { COMMANDS, type Reply } from './commands/index.js';
import { handleAppend } from './commands/append.js';
import type { ServerMetrics } from './metrics.js';
import { preAuthCapabilities, postAuthCapabilities } from './capabilities.js';
import { sessionLogger } from './session-log.js';
import { canSleep, restoreView, sleepingFolder, type HibernatedIdle, type Hibernating, type HibernationRegistry } from './hibernate.js';
import { waitDrain } from '../../netio/src/drain.js';

export type SessionState = 'notauth' | 'auth' | 'selected' | 'logout';

/** What a session needs from the server that owns it. */
export interface SessionHost {
  deps: ImapServerDeps;
  config(): ImapServerConfig;
  tls(): SecureContext | null;
  metrics: ServerMetrics;
  /** Registers user+ip; false when mail_max_userip_connections is exceeded. */
  claimUserIp(session: Session, user: string): Promise<boolean>;
  sessionEnded(session: Session): void;
  /** IDLE sessions hibernated (hibernate.ts). */
  hibernation: HibernationRegistry;
}

/** What a hibernated session's receiver field points at: one shared, never fed parser (a fresh one is made on wake). */
let sleepingReceiver: Receiver | null = null;

/** EXPUNGE may not be sent while answering these (non-UID) commands: RFC 3501 §7.4.1. */
const NO_EXPUNGE = new Set(['FETCH', 'STORE', 'SEARCH']);

/** When the event loop last got a turn from breathe() (shared: the slice is per process). */
let lastTurn = 0;

/*
 * Module-level callbacks rather than a closure per session (100,000 idle sessions, issue 6): the
 * deferred flush, and the wake of a hibernated session (its socket listener and folder watch).
 */
function flushSoon(s: Session): void { s.flushDeferred(); }
function waker(s: Session): () => void { return () => { s.wake(); }; }

export class Session implements Hibernating {
  state: SessionState = 'notauth';
  socket: Socket;
  secure: boolean;
  receiver: Receiver;
  log: Logger;
  readonly config: ImapServerConfig;
  user: UserRecord | null = null;
  account: MailAccount | null = null;
  mailbox: Mailbox | null = null;
  view: MailboxView | null = null;
  /** Set by Mailbox.watch(): another session of this process changed the selected mailbox. */
  changed = false;
  private enabledSet: Set<string> | null = null;
  /** Capabilities turned on by ENABLE (RFC 5161); made on first use (dropped while hibernated if empty). */
  get enabled(): Set<string> { return this.enabledSet ??= new Set(); }
  readonly remoteAddress: string;
  /** The client's address: remoteAddress, or the x-originating-ip a trusted proxy sent with ID (commands/basic.ts). */
  clientAddress: string;
  private unwatch: (() => void) | null = null;
  /** IDLE's wait for a watch() notification; null when none (most of the time). */
  private changeWaiters: Array<() => void> | null = null;
  private filling: Promise<boolean> | null = null;
  /** Detaches a pending fill() from the socket (hibernation). */
  private fillCancel: (() => void) | null = null;
  /** Set while the session is hibernated in IDLE (hibernate.ts). */
  private hib: HibernatedIdle | null = null;
  private loopGen = 0;
  private eof = false;
  private badCommands = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When `timer` fires (epoch ms); while hibernated (no timer), when the registry's sweep runs the autologout. */
  private timerDue = 0;
  /** wake(), as the one listener of a hibernated session's socket and folder watch (made at the first hibernation). */
  private wakeFn: (() => void) | null = null;
  private tokens: number = LIMITS.imapCommandRatePerSec;
  private tokensAt = Date.now();
  private closed = false;
  /** Output text not yet handed to the socket (see write()). */
  private outText = '';
  /** Output queued before outText (text and small Buffers, in order; see writeBuffer()). */
  private outParts: Array<string | Buffer> = [];
  private outPartsSize = 0;
  private flushQueued = false;
  /** done: made when first asked for (server shutdown), resolved by shutdown(). */
  private donePromise: Promise<void> | null = null;
  private resolveDone: (() => void) | null = null;
  private ended = false;
  /** The command being run, for logging and metrics. */
  current: Command | null = null;

  constructor(readonly host: SessionHost, socket: Socket, secure: boolean, readonly id: string) {
    this.socket = socket;
    this.secure = secure;
    this.config = host.config();
    this.receiver = createReceiver(this.config.maxMessageSize);
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.clientAddress = this.remoteAddress;
    this.log = sessionLogger(host.deps.logger, { conn: id, remote: this.remoteAddress });
    socket.setNoDelay(true);
    this.attachSocket(socket);
  }

  get done(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return this.donePromise ??= new Promise((r) => { this.resolveDone = r; });
  }

  private attachSocket(sock: Socket): void {
    // One closure for both events ('error' passes the Error, 'close' a boolean): ~100 bytes less per connection.
    const on = (e?: unknown): void => { if (e instanceof Error) this.log.debug({ err: e }, 'socket error'); else this.finish(); };
    sock.on('error', on);
    sock.on('close', on);
  }

  /** Greets and runs the command loop until logout or disconnect. */
  async run(): Promise<void> {
    const caps = this.capabilities();
    this.write(`* OK [CAPABILITY ${caps.join(' ')}] ${this.config.hostname} ready.\r\n`);
    this.resetTimer();
    await this.loop(null);
  }

  /**
   * The command loop; `resume` first finishes an IDLE woken from hibernation. The loop returns
   * without shutting down when IDLE hibernates: wake() starts it again.
   */
  private async loop(resume: HibernatedIdle | null): Promise<void> {
    // A wake right after hibernate() may start a new loop before this one has unwound: the older one then only returns.
    const gen = ++this.loopGen;
    try {
      if (resume) {
        await this.host.hibernation.wakes.run(() => this.reselect(resume));
        await this.runCommand({ tag: resume.tag, uid: false, name: 'IDLE' }, true);
        await this.drain();
      }
      while (this.state !== 'logout' && !this.closed) {
        if (this.hib || gen !== this.loopGen) return;
        const ev = await this.nextEvent();
        if (!ev) break;
        await this.handleEvent(ev);
        if (this.hib || gen !== this.loopGen) return;
        await this.drain();
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err }, 'session failed');
    } finally {
      if (!this.hib && gen === this.loopGen) await this.shutdown();
    }
  }

  capabilities(): string[] {
    return this.state === 'notauth' ? this.preAuthCaps() : this.postAuthCaps();
  }

  private preAuthCaps(): string[] {
    // From sasl.trustedNetworks plaintext login is allowed without TLS: advertise it (no LOGINDISABLED).
    const trusted = this.host.deps.sasl?.isTrusted(this.remoteAddress) ?? false;
    return preAuthCapabilities(trusted ? { ...this.config, allowPlaintextAuth: true } : this.config, this.secure, this.host.tls() !== null);
  }

  private postAuthCaps(): string[] {
    return postAuthCapabilities(this.config);
  }

  // ---------------------------------------------------------------- input

  /** Next receiver event, reading from the socket as needed; null at EOF. */
  async nextEvent(): Promise<ReceiverEvent | null> {
    for (;;) {
      const ev = this.receiver.next();
      if (ev) { this.resetTimer(); return ev; }
      if (this.eof || this.closed) return null;
      const ok = await this.fill();
      if (!ok) return null;
    }
  }

  /**
   * Reads one chunk from the socket into the receiver (paused mode: the kernel buffer is the
   * backpressure). Shared promise so IDLE can race it against mailbox changes.
   */
  fill(): Promise<boolean> {
    if (this.filling) return this.filling;
    const sock = this.socket;
    this.filling = new Promise<boolean>((resolve) => {
      const cleanup = () => {
        sock.off('readable', tryRead);
        sock.off('end', onEnd);
      };
      const tryRead = () => {
        if (sock !== this.socket) { cleanup(); resolve(false); return; }
        const chunk = sock.read() as Buffer | null;
        if (chunk !== null) {
          cleanup();
          this.receiver.push(chunk);
          resolve(true);
        }
      };
      const onEnd = () => { cleanup(); this.eof = true; resolve(false); };
      if (sock.destroyed || sock.readableEnded) { this.eof = true; resolve(false); return; }
      sock.on('readable', tryRead);
      // No 'close' listener of its own (a third one would grow the socket's listener array for
      // good): finish() cancels the read.
      sock.on('end', onEnd);
      this.fillCancel = () => { cleanup(); resolve(false); };
      tryRead();
    }).finally(() => { this.filling = null; this.fillCancel = null; });
    return this.filling;
  }

  // ---------------------------------------------------------------- output

  /**
   * Queues output. Text is batched into one string and written when it reaches a few KB, before
   * any Buffer, in drain(), or on the next turn of the event loop: a FETCH of 100,000 short
   * responses costs a few hundred socket writes instead of 100,000.
   */
  write(data: string | Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    if (typeof data === 'string') {
      this.outText += data;
      if (this.outText.length + this.outPartsSize >= LIMITS.imapOutputBatchChars) this.flush();
      else if (!this.flushQueued) { this.flushQueued = true; setImmediate(flushSoon, this); }
      return;
    }
    this.writeBuffer(data);
  }

  /**
   * Writes a Buffer after any batched output; false when above the high-water mark. A small one
   * (a header block, a small message) joins the batch: a FETCH of ten small messages is one
   * writev, not ten.
   */
  writeBuffer(b: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    if (b.length + this.outPartsSize + this.outText.length < LIMITS.imapOutputBatchChars) {
      if (this.outText) { this.outParts.push(this.outText); this.outPartsSize += this.outText.length; this.outText = ''; }
      this.outParts.push(b);
      this.outPartsSize += b.length;
      if (!this.flushQueued) { this.flushQueued = true; setImmediate(flushSoon, this); }
      return true;
    }
    if (!this.outText && !this.outParts.length) return this.socket.write(b);
    this.socket.cork();
    this.flush();
    const ok = this.socket.write(b);
    this.socket.uncork();
    return ok;
  }

  /** The flush write() queued for the next turn. */
  flushDeferred(): void { this.flushQueued = false; this.flush(); }

  /** Hands batched text to the socket; returns false when the socket is above its high-water mark. */
  flush(): boolean {
    if (this.outParts.length) {
      const parts = this.outParts;
      this.outParts = [];
      this.outPartsSize = 0;
      if (this.closed || this.socket.destroyed) { this.outText = ''; return true; }
      this.socket.cork();
      let ok = true;
      for (const p of parts) ok = this.socket.write(p);
      if (this.outText) { ok = this.socket.write(this.outText); this.outText = ''; }
      this.socket.uncork();
      return ok;
    }
    if (!this.outText) return true;
    const t = this.outText;
    this.outText = '';
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(t);
  }

  /**
   * Gives other sessions an event-loop turn when this process has been busy for a slice: a FETCH
   * or SEARCH over 100,000 messages served from memory and page cache (sync reads, see
   * libs/maildir/src/fastio.ts) would otherwise only ever await already-settled promises.
   */
  async breathe(): Promise<void> {
    const now = performance.now();
    if (now - lastTurn < LIMITS.imapBusySliceMs) return;
    await new Promise<void>((r) => setImmediate(r));
    lastTurn = performance.now();
  }

  /** Waits while output is above the high-water mark; drops a client that stops reading. */
  async drain(limit: number = LIMITS.outputHighWaterMark): Promise<void> {
    this.flush();
    const sock = this.socket;
    while (!sock.destroyed && sock.writableLength > limit) {
      const ok = await waitDrain(sock, LIMITS.outputDrainTimeoutMs);
      if (!ok) {
        if (!sock.destroyed) {
          this.log.info('client does not read its output; dropping');
          sock.destroy();
        }
        throw new MailError('LIMIT', 'Output drain timeout');
      }
    }
  }

  /** Copies a stream to the client with backpressure (FETCH literals). */
  async writeStream(src: Readable): Promise<number> {
    this.flush();
    let n = 0;
    try {
      for await (const chunk of src) {
        const b = chunk as Buffer;
        n += b.length;
        if (this.closed || this.socket.destroyed) break;
        if (!this.socket.write(b)) await this.drain(0);
      }
    } finally {
      src.destroy();
    }
    return n;
  }

  // ---------------------------------------------------------------- dispatch

  private async handleEvent(ev: ReceiverEvent): Promise<void> {
    switch (ev.type) {
      case 'command':
        await this.runCommand(ev.command);
        return;
      case 'bad':
        this.host.metrics.commands.inc({ command: 'BAD', result: 'BAD' });
        this.write(`${ev.tag || '*'} BAD ${safeText(ev.text)}\r\n`);
        this.countBad();
        return;
      case 'literal-request':
        this.literalRequest(ev.tag, ev.size, ev.command);
        return;
      case 'append-begin':
        await this.timed('APPEND', () => handleAppend(this, ev.tag, ev.mailbox));
        return;
      case 'fatal':
        this.write(`* BYE ${safeText(ev.text)}\r\n`);
        this.state = 'logout';
        return;
      default:
        // literal-chunk / line / append-* outside their context: the receiver would not produce
        // them; ignore defensively.
        this.log.debug({ type: ev.type }, 'unexpected receiver event');
    }
  }

  /** RFC 3501 §7.5 / RFC 7888: a synchronising literal gets "+" or a refusal. */
  private literalRequest(tag: string, size: number, command: string): void {
    const isAppend = command.toUpperCase() === 'APPEND';
    const max = isAppend ? this.config.maxMessageSize : LIMITS.imapMaxCommandBytes;
    if (isAppend && this.state === 'notauth') {
      this.write(`${tag} BAD Command not valid in this state\r\n`);
      this.receiver.rejectLiteral();
      this.countBad();
      return;
    }
    if (size > max) {
      this.write(`${tag} NO [TOOBIG] Literal too big\r\n`);
      this.receiver.rejectLiteral();
      return;
    }
    this.write('+ OK\r\n');
    this.receiver.acceptLiteral();
  }

  private async timed(name: string, fn: () => Promise<string>): Promise<void> {
    const end = this.host.metrics.duration.startTimer({ command: name });
    let result = 'OK';
    try {
      result = await fn();
    } finally {
      end();
      this.host.metrics.commands.inc({ command: name, result });
    }
  }

  /** `resumed`: the command (IDLE) was started before a hibernation; it goes on, its state already checked. */
  async runCommand(cmd: Command, resumed = false): Promise<void> {
    const def = COMMANDS[cmd.name];
    const name = cmd.uid ? `UID ${cmd.name}` : cmd.name;
    if (!resumed) await this.rateLimit();
    await this.timed(name, async () => {
      if (!resumed && (!def || !def.states.includes(this.state) || (cmd.uid && !def.uid))) {
        const text = !def || (cmd.uid && !def.uid) ? 'Unknown command' : 'Command not valid in this state';
        this.write(`${cmd.tag} BAD ${text}\r\n`);
        this.countBad();
        return 'BAD';
      }
      this.current = cmd;
      let reply: Reply;
      try {
        reply = (await def!.handler(this, resumed ? { ...cmd, resumed: true } : cmd)) ?? { status: 'OK', text: `${name} completed` };
      } catch (e) {
        const m = mapError(e, this.log);
        reply = { status: m.status, code: m.code ?? undefined, text: m.text };
      } finally {
        this.current = null;
      }
      // Hibernated (hibernate.ts): no reply yet; the woken IDLE sends it.
      if (reply.hibernated) return 'HIBERNATED';
      if (this.state === 'selected' && !reply.skipSync) {
        try {
          await this.syncView(!(NO_EXPUNGE.has(cmd.name) && !cmd.uid));
        } catch (e) {
          this.log.warn({ err: e }, 'view sync failed');
        }
      }
      if (this.closed) return reply.status;
      if (reply.bye) this.write(`* BYE ${reply.bye}\r\n`);
      this.write(`${cmd.tag} ${reply.status} ${reply.code ? `[${reply.code}] ` : ''}${reply.text}\r\n`);
      if (reply.status === 'BAD') this.countBad(); else this.badCommands = 0;
      if (reply.after) await reply.after();
      return reply.status;
    });
  }

  private countBad(): void {
    this.badCommands++;
    if (this.badCommands >= LIMITS.imapMaxBadCommands) {
      this.write('* BYE Too many invalid IMAP commands.\r\n');
      this.state = 'logout';
    }
  }

  /** Token bucket: bursts pass, a flood is slowed to imapCommandRatePerSec. */
  private async rateLimit(): Promise<void> {
    const now = Date.now();
    const rate = LIMITS.imapCommandRatePerSec;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
    if (this.tokens >= 1) { this.tokens -= 1; return; }
    const waitMs = Math.ceil(((1 - this.tokens) / rate) * 1000);
    await new Promise((r) => setTimeout(r, waitMs));
    this.tokens = 0;
    this.tokensAt = Date.now();
  }

  // ---------------------------------------------------------------- mailbox view

  /** Brings the view up to date and sends the untagged updates (EXISTS/RECENT/FETCH/EXPUNGE). */
  async syncView(allowExpunge: boolean): Promise<void> {
    if (!this.mailbox || !this.view) return;
    this.changed = false;
    const snap = await this.mailbox.sync({ maxStaleMs: LIMITS.maildirSyncMaxStaleMs });
    const lines = this.view.apply(snap, allowExpunge);
    if (this.view.invalid) {
      this.log.info({ mailbox: this.mailbox.name, uidValidity: snap.uidValidity, was: this.view.uidValidity }, 'UIDVALIDITY of the selected mailbox changed; disconnecting');
      this.write('* BYE Mailbox UIDVALIDITY changed; reconnect.\r\n');
      this.state = 'logout';
      return;
    }
    for (const l of lines) this.write(l);
  }

  setSelected(mailbox: Mailbox, view: MailboxView): void {
    if (this.unwatch) { this.unwatch(); this.unwatch = null; }
    this.mailbox = mailbox;
    this.view = view;
    this.state = 'selected';
    this.unwatch = mailbox.watch(() => {
      this.changed = true;
      this.notifyWaiters();
      if (this.hib) this.wake();
    });
  }

  // ---------------------------------------------------------------- IDLE hibernation (hibernate.ts)

  get hibernated(): boolean { return this.hib !== null; }

  /** Nothing pending: no unread input, no unsent output, no change not yet told, a view that can be kept as a record. */
  canHibernate(): boolean {
    return !this.closed && !this.hib && !this.changed && this.receiver.buffered === 0 && !this.outText && this.outParts.length === 0
      && !this.flushQueued && this.socket.writableLength === 0 && !this.socket.destroyed && !this.socket.readableEnded
      && (this.state === 'auth' || (this.state === 'selected' && this.view !== null && this.mailbox?.sleep !== undefined && canSleep(this.view)));
  }

  /**
   * Called by IDLE (commands/idle.ts), which then returns { hibernated: true } so the command loop
   * unwinds. Detaches the pending read, drops the change waiters, the parser, the view and the
   * autologout timer, and closes the mailbox handle (Mailbox.sleep), keeping a SleepingFolder.
   */
  hibernate(cmd: Command): void {
    this.fillCancel?.();
    this.changeWaiters = null;
    const wake = this.wakeFn ??= waker(this);
    const mb = this.mailbox;
    const folder = mb && this.view ? sleepingFolder(mb.name, this.view) : null;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const h: HibernatedIdle = { tag: cmd.tag, folder, closing: null, watch: null };
    this.hib = h;
    if (mb && folder && mb.sleep) {
      // sleep() starts its folder watch before its first await: nothing is missed between here and there.
      h.closing = mb.sleep(wake).then(
        (w) => { h.watch = w; },
        (err: unknown) => { this.log.warn({ err }, 'closing the mailbox for hibernation failed'); this.wake(); },
      ).finally(() => { h.closing = null; });
      this.unwatch?.();
      this.unwatch = null;
      this.mailbox = null;
    }
    this.view = null;
    // Nothing account-wide is held while asleep (the store's MailAccount is reopened on wake).
    if (this.account) {
      void this.account.close().catch((err: unknown) => this.log.warn({ err }, 'closing account failed'));
      this.account = null;
    }
    if (this.enabledSet?.size === 0) this.enabledSet = null;
    sleepingReceiver ??= createReceiver(this.config.maxMessageSize);
    this.receiver = sleepingReceiver;
    // 'readable' keeps the socket in paused mode: input waits in the kernel and stream buffers for the
    // woken loop. It also comes at the end of input, before 'end': no 'end' listener needed.
    this.socket.on('readable', wake);
    this.host.hibernation.add(this);
  }

  /** Rebuilds the session and resumes IDLE: client input, a folder change, kick, autologout, shutdown. */
  wake(): void {
    const h = this.hib;
    if (!h) return;
    this.hib = null;
    this.host.hibernation.remove(this);
    if (this.wakeFn) this.socket.off('readable', this.wakeFn);
    this.receiver = createReceiver(this.config.maxMessageSize);
    this.receiver.expectLine();
    if (!this.closed && this.state !== 'logout') this.armTimer(Math.max(0, this.timerDue - Date.now()));
    void this.loop(h);
  }

  /**
   * A woken session's mailbox: opened again (the handle that sleep() closed) with the view the client
   * last saw, rebuilt from the record; the resumed IDLE's sync then tells what changed meanwhile.
   */
  private async reselect(h: HibernatedIdle): Promise<void> {
    if (h.closing) await h.closing;
    if (h.watch && this.wakeFn) h.watch.cancel(this.wakeFn);
    h.watch = null;
    if (this.closed || this.state === 'logout' || this.state === 'notauth' || !this.user) return;
    try {
      this.account ??= await this.openAccount(this.user);
    } catch (err) {
      this.log.warn({ err }, 'reopening the account after hibernation failed; disconnecting');
      this.write('* BYE Internal error occurred. Refer to server log for more information.\r\n');
      this.state = 'logout';
      return;
    }
    const f = h.folder;
    if (!f || this.state !== 'selected') return;
    let mb: Mailbox;
    try {
      mb = await this.account.open(f.name, { readOnly: f.readOnly });
    } catch (err) {
      // Deleted or renamed away while asleep: Dovecot disconnects the same way.
      this.log.info({ err, mailbox: f.name }, 'selected mailbox gone after hibernation; disconnecting');
      this.write('* BYE Selected mailbox was deleted, have to disconnect.\r\n');
      this.state = 'logout';
      return;
    }
    let snap: MailboxSnapshot;
    try {
      if (this.closed) throw new MailError('TEMP', 'closed while waking');
      snap = await mb.sync({ maxStaleMs: LIMITS.maildirSyncMaxStaleMs });
    } catch (err) {
      await mb.close();
      if (this.closed) return;
      throw err;
    }
    this.setSelected(mb, restoreView(f, snap));
  }

  /** Opens the user's mail account (login, and the wake after hibernation). */
  openAccount(user: UserRecord): Promise<MailAccount> {
    return this.host.deps.store.openAccount({ user: user.user, home: this.config.mailHome(user), quotaBytes: user.quotaBytes });
  }

  get sleepDeadline(): number { return this.hib ? this.timerDue : Infinity; }

  /** RFC 3501 §5.4 autologout (the timer, or the hibernation registry's sweep). */
  autologout(): void {
    if (this.hib) this.timerDue = Infinity;
    this.write('* BYE Disconnected for inactivity.\r\n');
    this.state = 'logout';
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private notifyWaiters(): void {
    const w = this.changeWaiters;
    this.changeWaiters = null;
    if (w) for (const f of w) f();
  }

  /** Resolves on the next watch() notification (IDLE). */
  waitChange(): Promise<void> {
    if (this.changed) return Promise.resolve();
    return new Promise((r) => { (this.changeWaiters ??= []).push(r); });
  }

  async closeMailbox(): Promise<void> {
    if (this.unwatch) { this.unwatch(); this.unwatch = null; }
    const mb = this.mailbox;
    this.mailbox = null;
    this.view = null;
    this.changeWaiters = null;
    if (this.state === 'selected') this.state = 'auth';
    if (mb) await mb.close();
  }

  // ---------------------------------------------------------------- TLS

  /**
   * RFC 3501 §6.2.1 STARTTLS. Anything the client pipelined after the command is discarded: a
   * fresh receiver replaces the old one and the old socket's buffered bytes are never read
   * (the STARTTLS command injection class, CVE-2011-0411 and kin).
   */
  async startTls(ctx: SecureContext): Promise<void> {
    this.flush();
    const old = this.socket;
    await new Promise<void>((r) => { if (old.writableLength === 0) r(); else old.once('drain', () => r()); });
    this.receiver = createReceiver(this.config.maxMessageSize);
    old.removeAllListeners('readable');
    const tlsSock = new TLSSocket(old, { isServer: true, secureContext: ctx });
    this.socket = tlsSock;
    this.attachSocket(tlsSock);
    tlsSock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new MailError('TEMP', 'TLS handshake timeout')), 30_000);
      tlsSock.once('secure', () => { clearTimeout(t); resolve(); });
      tlsSock.once('error', (e) => { clearTimeout(t); reject(e); });
      tlsSock.once('close', () => { clearTimeout(t); reject(new MailError('TEMP', 'closed during TLS handshake')); });
    });
    this.secure = true;
  }

  // ---------------------------------------------------------------- lifetime

  /** RFC 3501 §5.4 autologout; shorter before login. */
  resetTimer(): void {
    this.armTimer(this.state === 'notauth' ? Math.min(LIMITS.imapPreAuthTimeoutMs, this.config.idleTimeoutMs) : this.config.idleTimeoutMs);
  }

  private armTimer(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    this.timerDue = Date.now() + ms;
    this.timer = setTimeout(() => { this.autologout(); }, ms);
  }

  /** Server shutdown: tell the client and close. */
  bye(text: string): void {
    if (this.closed) return;
    this.write(`* BYE ${text}\r\n`);
    this.state = 'logout';
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    // Wake a session blocked in fill() or IDLE.
    this.notifyWaiters();
    this.wake();
  }

  private async shutdown(): Promise<void> {
    try { await this.closeMailbox(); } catch (err) { this.log.warn({ err }, 'closing mailbox failed'); }
    if (this.account) {
      const acc = this.account;
      this.account = null;
      try { await acc.close(); } catch (err) { this.log.warn({ err }, 'closing account failed'); }
    }
    if (!this.socket.destroyed) {
      this.flush();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    this.finish();
    this.ended = true;
    this.resolveDone?.();
  }

  private finish(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.closed) return;
    this.closed = true;
    this.state = 'logout';
    this.fillCancel?.();
    this.notifyWaiters();
    this.host.sessionEnded(this);
    // A hibernated session has no loop to run shutdown(): the woken one does.
    this.wake();
  }

  get isClosed(): boolean { return this.closed; }
}
