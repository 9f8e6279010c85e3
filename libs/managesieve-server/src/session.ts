/**
 * One ManageSieve connection: reads events from the pure receiver only while waiting for the next
 * one (the socket is paused while a command runs), dispatches commands by state, and writes
 * responses. States (RFC 5804 §1.4): non-authenticated, authenticated, logout.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { UserRecord } from '../../directory/src/types.js';
import { LIMITS } from '../../core/src/limits.js';
import { ManageSieveReceiver } from '../../managesieve-codec/src/receiver.js';
import { encodeResponse } from '../../managesieve-codec/src/response.js';
import type { ReceiverEvent, Response } from '../../managesieve-codec/src/types.js';
import type { ManageSieveDeps } from './deps.js';
import type { SessionSlots } from '../../registry/src/slots.js';
import { ScriptStore } from './script-store.js';
import { dispatch } from './commands/index.js';
import { mapError } from './errors.js';

export type State = 'notauth' | 'auth' | 'logout';

export class Session {
  state: State = 'notauth';
  secure: boolean;
  user: UserRecord | null = null;
  scripts: ScriptStore | null = null;
  authFailures = 0;
  badCommands = 0;
  receiver: ManageSieveReceiver;
  log: Logger;
  /** The client: the peer, or what a trusted proxy named with XCLIENT (commands/xclient.ts); registry and logs use it. */
  clientAddress: string;
  clientPort: number | undefined;
  private wake: (() => void) | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  readonly done: Promise<void>;

  /** The peer of the socket (a login proxy when proxied): the authentication policy looks at this one. */
  readonly remoteAddress: string;

  /** `slots`: the session registry (who, kick) the server registers logged-in sessions in; null = none. */
  constructor(public socket: Socket, readonly deps: ManageSieveDeps, secure: boolean, private readonly slots: SessionSlots<Session> | null = null) {
    this.secure = secure;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.clientAddress = this.remoteAddress;
    this.clientPort = socket.remotePort;
    this.log = deps.logger.child({ remote: socket.remoteAddress, port: socket.remotePort });
    this.receiver = newReceiver(deps);
    this.attach(socket);
    this.done = this.run();
  }

  private attach(sock: Socket): void {
    sock.on('data', (chunk: Buffer) => {
      sock.pause();
      this.receiver.push(chunk);
      this.poke();
    });
    sock.on('close', () => { this.closed = true; this.poke(); });
    sock.on('error', (err) => { this.log.debug({ err }, 'socket error'); this.closed = true; this.poke(); });
    sock.pause();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next event, reading more input only now (backpressure); null when the connection is gone. */
  async nextEvent(): Promise<ReceiverEvent | null> {
    for (;;) {
      const ev = this.receiver.next();
      if (ev) return ev;
      if (this.closed) return null;
      await new Promise<void>((r) => { this.wake = r; this.socket.resume(); });
    }
  }

  write(s: string): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(s);
  }

  respond(r: Response): void {
    this.write(encodeResponse(r));
  }

  get tls(): SecureContext | null { return this.deps.tls; }

  /** Whether the peer may send XCLIENT (sasl.trustedNetworks, Dovecot login_trusted_networks). */
  get xclientTrusted(): boolean { return this.deps.sasl?.isTrusted(this.remoteAddress) ?? false; }

  /** XCLIENT from a trusted proxy: the real client's address, port and the proxy's session id. */
  forwarded(f: { addr?: string; port?: number; session?: string; ttl?: number }): void {
    if (f.addr !== undefined) this.clientAddress = f.addr;
    if (f.port !== undefined) this.clientPort = f.port;
    this.log = this.log.child({ client: this.clientAddress, clientPort: this.clientPort, proxy: this.remoteAddress, ...(f.session !== undefined ? { session: f.session } : {}) });
    this.log.debug({ ttl: f.ttl }, 'XCLIENT: client named by the proxy');
  }

  /** Registers the logged-in session (who, kick); a registry failure never blocks the login (fail open). */
  async register(user: string): Promise<void> {
    await this.slots?.claim(this, {
      service: 'sieve', user, ip: this.clientAddress, port: this.clientPort, maxUserIp: 0,
      onKick: () => { this.respond({ status: 'BYE', text: 'Disconnected by administrator.' }); this.end(); },
    });
  }

  /** Leaves the registry: at UNAUTHENTICATE (`ended` false: it may log in again) and at the end of the connection. */
  unregister(ended = true): void { this.slots?.release(this, ended); }

  /** Plaintext mechanisms are refused on a clear connection unless the config allows them. */
  get plaintextAllowed(): boolean {
    return this.secure || this.deps.config.allowPlaintextAuth || (this.deps.sasl?.plaintextAllowed({ secure: this.secure, remoteIp: this.socket.remoteAddress }) ?? false);
  }

  scriptStoreFor(user: UserRecord): ScriptStore {
    const c = this.deps.config;
    return new ScriptStore(c.mailHome(user), {
      maxScripts: c.maxScripts, maxStorage: c.maxStorage, maxScriptSize: c.maxScriptSize, maxNameLength: LIMITS.manageSieveMaxNameLength,
    }, c.fsync);
  }

  async startTls(ctx: SecureContext): Promise<void> {
    const old = this.socket;
    await new Promise<void>((r) => { if (old.writableLength === 0) r(); else old.once('drain', () => r()); });
    old.removeAllListeners('data');
    old.removeAllListeners('close');
    old.removeAllListeners('error');
    // Anything the client pipelined after STARTTLS is dropped (RFC 5804 §2.2, the STARTTLS injection class of bugs).
    this.receiver = newReceiver(this.deps);
    const t = new TLSSocket(old, { isServer: true, secureContext: ctx });
    this.socket = t;
    this.attach(t);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS handshake timeout')), 30_000);
      t.once('secure', () => { clearTimeout(timer); resolve(); });
      t.once('error', (e) => { clearTimeout(timer); reject(e); });
      t.once('close', () => { clearTimeout(timer); reject(new Error('closed during TLS handshake')); });
      t.resume();
    });
    t.pause();
    this.secure = true;
  }

  resetTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    const ms = this.state === 'notauth' ? Math.min(LIMITS.manageSievePreAuthTimeoutMs, this.deps.config.idleTimeoutMs) : this.deps.config.idleTimeoutMs;
    this.timer = setTimeout(() => {
      this.respond({ status: 'BYE', text: 'Disconnected for inactivity.' });
      this.end();
    }, ms);
    this.timer.unref();
  }

  end(): void {
    this.state = 'logout';
    this.closed = true;
    this.poke();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Server shutdown: say BYE and close (RFC 5804 §1.3 BYE). */
  shutdown(): void {
    if (this.state === 'logout') return;
    this.respond({ status: 'BYE', text: 'Server shutting down.' });
    this.end();
  }

  private async run(): Promise<void> {
    try {
      await dispatch.greeting(this);
      this.resetTimer();
      while (this.state !== 'logout') {
        const ev = await this.nextEvent();
        if (!ev) break;
        this.resetTimer();
        try {
          await dispatch.event(this, ev);
        } catch (e) {
          this.respond(mapError(e, this.log));
        }
        if (this.badCommands >= LIMITS.manageSieveMaxBadCommands) {
          this.respond({ status: 'BYE', text: 'Too many invalid commands.' });
          this.end();
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'session failed');
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.unregister();
      this.closed = true;
      if (!this.socket.destroyed) { this.socket.end(); setTimeout(() => this.socket.destroy(), 2000).unref(); }
    }
  }
}

function newReceiver(deps: ManageSieveDeps): ManageSieveReceiver {
  return new ManageSieveReceiver({
    maxLineLength: LIMITS.manageSieveMaxLineLength,
    // The largest literal is the largest script (octets, as Pigeonhole's sieve_max_script_size).
    maxLiteralSize: deps.config.maxScriptSize,
    maxArgs: LIMITS.manageSieveMaxArgs,
  });
}
