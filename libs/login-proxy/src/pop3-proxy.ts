/**
 * The POP3 login proxy: before login it speaks POP3 itself (greeting, CAPA, STLS, USER/PASS, AUTH, QUIT)
 * with the backends' capabilities; after login it connects to the user's backend, passes the client's
 * address with XCLIENT when the backend's greeting offers it (Dovecot "+OK [XCLIENT] ..."), logs in with
 * AUTH PLAIN as the master user (authzid = user) and relays bytes. Failures answer with RFC 2449/3206
 * response codes: [AUTH] for bad credentials, [SYS/TEMP] when the directory or backend is unavailable.
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { SASL_MECHANISMS } from '../../sasl/src/index.js';
import { parseCommandLine } from '../../pop3-codec/src/receiver.js';
import { err, multiline, ok } from '../../pop3-codec/src/responses.js';
import { BackendRefused } from './backend-pool.js';
import { ClientInput } from './client-input.js';
import { LineQueue, type LineEvent } from './line-queue.js';
import { LineReader } from './line-reader.js';
import { clientInfo, ProxyListeners, startTls } from './listener.js';
import { proxyLogin, type Credentials, type HandshakeContext } from './login.js';
import { RelayedSession } from './relay-session.js';
import type { ProxyDeps } from './types.js';

/** RFC 2449 §4: a command line is at most 255 octets; SASL responses may be longer. */
const MAX_LINE = 8 * 1024;

export class Pop3Proxy {
  private readonly listeners: ProxyListeners;
  constructor(private readonly deps: ProxyDeps) {
    this.listeners = new ProxyListeners((s, secure) => { void new Pop3ProxySession(this.deps, s, secure).run(); }, () => deps.tls, deps.logger);
  }
  listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number> { return this.listeners.listen(opts); }
  close(): Promise<void> { return this.listeners.close(); }
  /** A connection handed over by the parent process (login processes, libs/login-process). */
  adopt(sock: import('node:net').Socket, implicitTls: boolean): void { this.listeners.adopt(sock, implicitTls); }
}

class Pop3ProxySession {
  private input: ClientInput<LineEvent>;
  private queue = new LineQueue(MAX_LINE);
  private user: string | null = null;
  private bad = 0;
  private relaying = false;

  constructor(private readonly deps: ProxyDeps, private sock: Socket, private secure: boolean) {
    sock.setNoDelay(true);
    this.input = new ClientInput(sock, this.queue);
  }

  private write(s: string): void { if (!this.sock.destroyed) this.sock.write(s); }

  private plaintextOk(): boolean {
    return this.deps.allowPlaintextAuth || this.deps.sasl.plaintextAllowed({ secure: this.secure, remoteIp: clientInfo(this.sock, this.secure).ip });
  }

  /** The same list as our POP3 backends in the AUTHORIZATION state (libs/pop3-server commands/capa.ts). */
  private capabilities(): string[] {
    const caps = ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE'];
    if (this.plaintextOk()) caps.push('USER', `SASL ${SASL_MECHANISMS.join(' ')}`);
    if (!this.secure && this.deps.tls) caps.push('STLS');
    return caps;
  }

  async run(): Promise<void> {
    this.write(ok('POP3 ready.'));
    try {
      while (!this.relaying && !this.sock.destroyed) {
        const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
        if (!ev) { if (!this.sock.destroyed) this.sock.end(err('Disconnected for inactivity.')); break; }
        if (!(await this.handle(ev))) break;
        if (this.bad >= LIMITS.proxyMaxBadCommands) { this.sock.end(err('Too many invalid commands.')); break; }
      }
    } catch (e) {
      this.deps.logger.error({ err: e }, 'pop3 proxy session failed');
      this.sock.destroy();
    }
  }

  private async handle(ev: LineEvent): Promise<boolean> {
    if (ev.type === 'overflow') { this.bad++; this.write(err('Line too long.')); return true; }
    const parsed = parseCommandLine(ev.text);
    if (parsed.type !== 'command') { this.bad++; this.write(err('Unknown command.')); return true; }
    const cmd = parsed.command;
    switch (cmd.name) {
      case 'CAPA': this.write(multiline('Capability list follows', this.capabilities())); return true;
      case 'QUIT': this.sock.end(ok('Logging out.')); return false;
      case 'STLS': return this.stls();
      case 'USER':
        if (!this.plaintextOk()) { this.write(err('Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'AUTH')); return true; }
        if (!cmd.rest) { this.write(err('No username given.')); return true; }
        this.user = cmd.rest;
        this.write(ok());
        return true;
      case 'PASS': {
        if (this.user === null) { this.write(err('No username given.')); return true; }
        const user = this.user;
        this.user = null;
        return this.login({ authcid: user, password: cmd.rest, authzid: null });
      }
      case 'AUTH': return this.auth(cmd.args);
      default: this.bad++; this.write(err('Unknown command.')); return true;
    }
  }

  /** RFC 2595 §4; plaintext pipelined behind STLS is discarded. */
  private async stls(): Promise<boolean> {
    if (this.secure || !this.deps.tls) { this.write(err('TLS not available.')); return true; }
    this.input.detach();
    this.queue.takeUnread();
    this.write(ok('Begin TLS negotiation now.'));
    try { this.sock = await startTls(this.sock, this.deps.tls); } catch { return false; }
    this.secure = true;
    this.queue = new LineQueue(MAX_LINE);
    this.input = new ClientInput(this.sock, this.queue);
    return true;
  }

  /** RFC 5034 AUTH with an optional initial response; "*" cancels. */
  private async auth(args: readonly string[]): Promise<boolean> {
    if (args.length === 0) { this.write(multiline('', SASL_MECHANISMS)); return true; }
    if (!this.plaintextOk()) { this.write(err('Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'AUTH')); return true; }
    const mech = this.deps.sasl.mechanism(args[0]!.toUpperCase());
    if (!mech) { this.write(err('Unsupported authentication mechanism.')); return true; }
    let resp: Buffer | null = args[1] === undefined ? null : args[1] === '=' ? Buffer.alloc(0) : Buffer.from(args[1], 'base64');
    for (let round = 0; round < 10; round++) {
      const r = mech.step(resp);
      if (r.kind === 'error') { await new Promise((res) => setTimeout(res, LIMITS.authFailureDelayMs)); this.write(err('Authentication failed.', 'AUTH')); return true; }
      if (r.kind === 'done') return this.login({ authcid: r.authcid, password: r.password, authzid: r.authzid });
      this.write(`+ ${r.challenge.toString('base64')}\r\n`);
      const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
      if (!ev) return false;
      if (ev.type !== 'line' || ev.text.trim() === '*') { this.write(err('Authentication aborted.')); return true; }
      resp = Buffer.from(ev.text.trim(), 'base64');
    }
    this.write(err('Authentication failed.', 'AUTH'));
    return true;
  }

  private async login(creds: Credentials): Promise<boolean> {
    const client = clientInfo(this.sock, this.secure);
    const session = new RelayedSession(this.deps, 'pop3', this.sock, '');
    const out = await proxyLogin(this.deps, 'pop3', client, creds, session,
      (sock, signal, ctx) => pop3BackendLogin(sock, signal, ctx, this.deps.master));
    if (!out.ok) {
      this.write(out.why === 'credentials' ? err('Authentication failed.', 'AUTH')
        : out.why === 'limit' ? err('Maximum number of connections from user+IP exceeded (mail_max_userip_connections).', 'IN-USE')
          : err('Temporary failure, try again later.', 'SYS/TEMP'));
      return true;
    }
    this.relaying = true;
    this.input.detach();
    const pipelined = this.queue.takeUnread();
    this.write(ok('Logged in.'));
    // This session object (parser, input) is left behind: the relay keeps only the sockets and plain values.
    session.start({
      backend: out.socket, pendingToBackend: pipelined, pendingToClient: out.value.rest,
      user: out.user.user, backendName: out.backend.name, registration: out.registration,
    });
    return false;
  }
}

/** Greeting, XCLIENT when offered (Dovecot pop3 proxy), AUTH PLAIN as the master user. */
export async function pop3BackendLogin(sock: Socket, signal: AbortSignal, ctx: HandshakeContext, master: { user: string; password: string }): Promise<{ rest: Buffer }> {
  const lines = new LineReader(sock);
  const greeting = await lines.line();
  if (!greeting.startsWith('+OK')) throw new Error(`unexpected backend greeting: ${greeting.slice(0, 200)}`);
  if (/^\+OK \[XCLIENT\]/i.test(greeting)) {
    sock.write(`XCLIENT ADDR=${ctx.client.ip} PORT=${ctx.client.port} SESSION=${ctx.sessionId}\r\n`);
    const r = await lines.line();
    if (!r.startsWith('+OK')) throw new BackendRefused(`backend refused XCLIENT: ${r.slice(0, 200)}`);
  }
  if (signal.aborted) throw new Error('aborted');
  sock.write(`AUTH PLAIN ${Buffer.from(`${ctx.user}\0${master.user}\0${master.password}`).toString('base64')}\r\n`);
  const r = await lines.line();
  if (!r.startsWith('+OK')) throw new BackendRefused(`backend refused the master login: ${r.slice(0, 200)}`);
  return { rest: lines.stop() };
}
