/**
 * One POP3 connection: the RFC 1939 states (AUTHORIZATION, TRANSACTION, UPDATE), a pull loop over
 * receiver events, output with backpressure (corked while pipelined commands are answered,
 * RFC 2449 §6.6), the autologout timer and the per-connection abuse guards.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { MailAccount, Mailbox } from '../../mailstore/src/types.js';
import type { UserRecord } from '../../directory/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import { MailError } from '../../core/src/errors.js';
import { Pop3Receiver } from '../../pop3-codec/src/receiver.js';
import { err } from '../../pop3-codec/src/responses.js';
import type { Pop3Command, Pop3Event } from '../../pop3-codec/src/types.js';
import type { Pop3ServerConfig, Pop3ServerDeps } from './deps.js';
import type { Pop3Metrics } from './metrics.js';
import { errorReply } from './errors.js';
import { COMMANDS } from './commands/index.js';
import { waitDrain } from '../../netio/src/drain.js';

export type Pop3State = 'authorization' | 'transaction' | 'update' | 'closed';

/** What a session needs from the server that owns it. */
export interface SessionHost {
  deps: Pop3ServerDeps;
  config(): Pop3ServerConfig;
  tls(): SecureContext | null;
  metrics: Pop3Metrics;
  claimUserIp(session: Pop3Session, user: string): Promise<boolean>;
  /** pop3_lock_session; false when another session holds the mailbox. */
  lockMailbox(session: Pop3Session, key: string): boolean;
  unlockMailbox(session: Pop3Session, key: string): void;
  sessionEnded(session: Pop3Session): void;
}

/** The maildrop as this session sees it: fixed at login (RFC 1939 §5: numbers do not change). */
export interface Maildrop {
  readonly uidValidity: number;
  readonly uids: Uint32Array;
  /** UIDLs the storage keeps for some messages (migrated mail); they win over pop3_uidl_format, as in Dovecot. */
  readonly storedUidls: ReadonlyMap<number, string>;
  readonly sizes: Float64Array;
  readonly deleted: Uint8Array;
  readonly retrieved: Uint8Array;
  deletedCount: number;
  deletedBytes: number;
  totalBytes: number;
}

export class Pop3Session {
  state: Pop3State = 'authorization';
  socket: Socket;
  secure: boolean;
  receiver: Pop3Receiver;
  log: Logger;
  readonly config: Pop3ServerConfig;
  /** The peer of the socket (a login proxy when proxied): the authentication policy looks at this one. */
  readonly remoteAddress: string;
  /** The client: the peer, or what a trusted proxy named with XCLIENT (commands/xclient.ts); registry and logs use it. */
  clientAddress: string;
  clientPort: number | undefined;
  /** USER given, waiting for PASS (RFC 1939 §7). */
  pendingUser: string | null = null;
  /** The APOP timestamp of the greeting (RFC 1939 §7), when APOP is offered. */
  apopTimestamp: string | null = null;
  authFailures = 0;
  user: UserRecord | null = null;
  account: MailAccount | null = null;
  mailbox: Mailbox | null = null;
  drop: Maildrop | null = null;
  private lockKey: string | null = null;
  /** fill() waiting for input; woken by the socket's readable/end/close. */
  private readWaiter: (() => void) | null = null;
  private eof = false;
  private corked = false;
  private badCommands = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private donePromise: Promise<void>;
  private resolveDone!: () => void;

  constructor(readonly host: SessionHost, socket: Socket, secure: boolean, readonly id: string) {
    this.socket = socket;
    this.secure = secure;
    this.config = host.config();
    this.receiver = new Pop3Receiver({ maxLineLength: LIMITS.pop3MaxLineLength });
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.clientAddress = this.remoteAddress;
    this.clientPort = socket.remotePort;
    this.log = host.deps.logger.child({ conn: id, remote: this.remoteAddress, proto: 'pop3' });
    this.donePromise = new Promise((r) => { this.resolveDone = r; });
    socket.setNoDelay(true);
    this.attachSocket(socket);
  }

  get done(): Promise<void> { return this.donePromise; }
  get isClosed(): boolean { return this.closed; }

  /** XCLIENT from a trusted proxy: the real client's address, port and the proxy's session id. */
  forwarded(f: { addr?: string; port?: number; session?: string; ttl?: number }): void {
    if (f.addr !== undefined) this.clientAddress = f.addr;
    if (f.port !== undefined) this.clientPort = f.port;
    this.log = this.log.child({ client: this.clientAddress, clientPort: this.clientPort, proxy: this.remoteAddress, ...(f.session !== undefined ? { session: f.session } : {}) });
    this.log.debug({ ttl: f.ttl }, 'XCLIENT: client named by the proxy');
  }

  private attachSocket(sock: Socket): void {
    sock.on('error', (e) => { this.log.debug({ err: e }, 'socket error'); });
    sock.on('close', () => { this.wakeReader(); this.finish(); });
    // Kept for the socket's life: adding and removing them for every command cost more than the command.
    sock.on('readable', () => { this.wakeReader(); });
    sock.on('end', () => { this.wakeReader(); });
  }

  private wakeReader(): void {
    const w = this.readWaiter;
    this.readWaiter = null;
    w?.();
  }

  async run(greeting: string): Promise<void> {
    this.write(greeting);
    this.resetTimer();
    try {
      while (this.state !== 'closed' && !this.closed) {
        const ev = this.receiver.next();
        if (!ev) {
          this.flush();
          await this.drain();
          if (!(await this.fill())) break;
          continue;
        }
        this.resetTimer();
        if (!this.corked && this.receiver.hasBuffered()) { this.socket.cork(); this.corked = true; }
        await this.handle(ev);
        if (this.socket.writableLength > LIMITS.outputHighWaterMark) { this.flush(); await this.drain(); }
      }
    } catch (e) {
      if (!this.closed) this.log.error({ err: e }, 'session failed');
    } finally {
      this.flush();
      await this.shutdown();
    }
  }

  // ---------------------------------------------------------------- input

  /** Next event, reading from the socket as needed (SASL continuations); null at EOF. */
  async nextEvent(): Promise<Pop3Event | null> {
    this.flush();
    for (;;) {
      const ev = this.receiver.next();
      if (ev) { this.resetTimer(); return ev; }
      if (!(await this.fill())) return null;
    }
  }

  /** Reads one chunk into the receiver (paused mode: the kernel buffer is the backpressure). */
  private async fill(): Promise<boolean> {
    for (;;) {
      const sock = this.socket;
      if (this.eof || this.closed || sock.destroyed || sock.readableEnded) { this.eof = true; return false; }
      const chunk = sock.read() as Buffer | null;
      if (chunk !== null) { this.receiver.push(chunk); return true; }
      await new Promise<void>((resolve) => { this.readWaiter = resolve; });
    }
  }

  // ---------------------------------------------------------------- output

  write(data: string | Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(data);
  }

  /** Holds output until flush(): a reply's parts leave in one segment (and one syscall). */
  cork(): void {
    if (!this.corked) { this.socket.cork(); this.corked = true; }
  }

  /** Sends what pipelined answers have collected. */
  flush(): void {
    if (this.corked) { this.corked = false; this.socket.uncork(); }
  }

  /** Waits while output is above `limit`; drops a client that stops reading. */
  async drain(limit: number = LIMITS.outputHighWaterMark): Promise<void> {
    const sock = this.socket;
    if (sock.writableLength > limit) this.flush(); // corked output never drains
    while (!sock.destroyed && sock.writableLength > limit) {
      const ok = await waitDrain(sock, LIMITS.outputDrainTimeoutMs);
      if (!ok) {
        if (!sock.destroyed) { this.log.info('client does not read its output; dropping'); sock.destroy(); }
        throw new MailError('LIMIT', 'Output drain timeout');
      }
    }
  }

  /**
   * Copies a message stream through `transform` to the client with backpressure. `stop()` true
   * ends early (TOP). Returns false when the connection broke mid-message.
   */
  async writeStream(src: Readable, transform: (b: Buffer) => Buffer, stop: () => boolean): Promise<boolean> {
    // Corked: the first chunk leaves with its "+OK" line, the last with the terminator (the caller uncorks).
    this.cork();
    try {
      for await (const chunk of src) {
        if (this.closed || this.socket.destroyed) return false;
        const out = transform(chunk as Buffer);
        if (out.length && !this.socket.write(out)) await this.drain(0);
        if (stop()) break;
      }
      return true;
    } finally {
      src.destroy();
    }
  }

  // ---------------------------------------------------------------- dispatch

  private async handle(ev: Pop3Event): Promise<void> {
    if (ev.type === 'bad') {
      this.host.metrics.commands.inc({ command: 'BAD', result: 'ERR' });
      this.write(err(ev.text));
      this.countBad();
      return;
    }
    if (ev.type === 'line') { this.write(err('Unexpected line')); this.countBad(); return; }
    await this.runCommand(ev.command);
  }

  private async runCommand(cmd: Pop3Command): Promise<void> {
    const def = COMMANDS[cmd.name];
    const label = def ? cmd.name : 'UNKNOWN';
    const end = this.host.metrics.duration.startTimer({ command: label });
    let result = 'OK';
    try {
      if (!def) { this.write(err('Unknown command.')); result = 'ERR'; this.countBad(); return; }
      if (!def.states.includes(this.state)) {
        this.write(err(this.state === 'authorization' ? 'Unknown command.' : 'Command not valid in this state.'));
        result = 'ERR'; this.countBad(); return;
      }
      let ok: boolean;
      try {
        ok = await def.handler(this, cmd);
      } catch (e) {
        if (this.closed) return;
        this.write(errorReply(e, this.log));
        ok = false;
      }
      result = ok ? 'OK' : 'ERR';
      if (ok) this.badCommands = 0;
    } finally {
      end();
      this.host.metrics.commands.inc({ command: label, result });
    }
  }

  /** A syntax or state error; too many in a row ends the connection (Dovecot does the same). */
  countBad(): void {
    if (++this.badCommands >= LIMITS.pop3MaxBadCommands) {
      this.write(err('Too many bad commands.'));
      this.close();
    }
  }

  // ---------------------------------------------------------------- maildrop

  /** Enters TRANSACTION: takes the pop3_lock_session lock and snapshots INBOX. */
  async openMaildrop(user: UserRecord): Promise<string | null> {
    if (this.config.lockSessions) {
      const key = this.config.mailHome(user);
      if (!this.host.lockMailbox(this, key)) return err('Mailbox is locked by another POP3 session.', 'IN-USE');
      this.lockKey = key;
    }
    try {
      this.account = await this.host.deps.store.openAccount({ user: user.user, home: this.config.mailHome(user), quotaBytes: user.quotaBytes });
      this.mailbox = await this.account.open('INBOX');
      const snap = await this.mailbox.sync();
      const storedUidls = this.mailbox.pop3Uidls ? await this.mailbox.pop3Uidls() : new Map<number, string>();
      const n = snap.messages.length;
      const drop: Maildrop = {
        uidValidity: snap.uidValidity, uids: new Uint32Array(n), storedUidls, sizes: new Float64Array(n),
        deleted: new Uint8Array(n), retrieved: new Uint8Array(n), deletedCount: 0, deletedBytes: 0, totalBytes: 0,
      };
      for (let i = 0; i < n; i++) {
        const m = snap.messages[i]!;
        drop.uids[i] = m.uid;
        drop.sizes[i] = m.size;
        drop.totalBytes += m.size;
      }
      this.drop = drop;
    } catch (e) {
      await this.releaseMaildrop();
      throw e;
    }
    this.user = user;
    this.state = 'transaction';
    this.resetTimer();
    return null;
  }

  /** RFC 1939 §6 UPDATE: DELE'd messages are expunged; RETR'd ones get \Seen (Dovecot pop3_no_flag_updates=no). */
  async update(): Promise<number> {
    const d = this.drop;
    const mb = this.mailbox;
    if (!d || !mb) return 0;
    this.state = 'update';
    const del: number[] = [];
    const seen: number[] = [];
    for (let i = 0; i < d.uids.length; i++) {
      if (d.deleted[i]) del.push(d.uids[i]!);
      else if (d.retrieved[i]) seen.push(d.uids[i]!);
    }
    if (seen.length) await mb.store(seen, 'add', ['\\Seen']);
    if (!del.length) return 0;
    await mb.store(del, 'add', ['\\Deleted']);
    const gone = await mb.expunge(del);
    return gone.length;
  }

  private async releaseMaildrop(): Promise<void> {
    const mb = this.mailbox;
    const acc = this.account;
    this.mailbox = null;
    this.account = null;
    this.drop = null;
    if (this.lockKey !== null) { this.host.unlockMailbox(this, this.lockKey); this.lockKey = null; }
    try { if (mb) await mb.close(); } catch (e) { this.log.warn({ err: e }, 'closing mailbox failed'); }
    try { if (acc) await acc.close(); } catch (e) { this.log.warn({ err: e }, 'closing account failed'); }
  }

  // ---------------------------------------------------------------- TLS

  /**
   * RFC 2595 §4 STLS. Bytes the client pipelined after STLS are dropped with the old receiver
   * (STARTTLS command injection, CVE-2011-0411 class).
   */
  async startTls(ctx: SecureContext): Promise<void> {
    this.flush();
    const old = this.socket;
    await new Promise<void>((r) => { if (old.writableLength === 0) r(); else old.once('drain', () => r()); });
    this.receiver = new Pop3Receiver({ maxLineLength: LIMITS.pop3MaxLineLength });
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

  /** RFC 1939 §3 autologout (no UPDATE: nothing is deleted); shorter before login. */
  resetTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.closed) return;
    const ms = this.state === 'authorization' ? Math.min(LIMITS.pop3PreAuthTimeoutMs, this.config.idleTimeoutMs) : this.config.idleTimeoutMs;
    this.timer = setTimeout(() => {
      this.write(err('Disconnected for inactivity.'));
      this.close();
    }, ms);
    this.timer.unref?.();
  }

  /** Ends the connection after what is written; the loop stops. */
  close(): void {
    this.flush();
    this.state = 'closed';
    if (!this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
  }

  /** Server shutdown. No UPDATE: RFC 1939 §6 deletes only on QUIT. */
  bye(text: string): void {
    if (this.closed) return;
    this.write(err(text));
    this.close();
  }

  private async shutdown(): Promise<void> {
    await this.releaseMaildrop();
    if (!this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    this.finish();
    this.resolveDone();
  }

  private finish(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.closed) return;
    this.closed = true;
    this.state = 'closed';
    this.host.sessionEnded(this);
  }
}
