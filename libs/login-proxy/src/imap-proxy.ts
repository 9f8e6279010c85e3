/**
 * The IMAP login proxy: before login it speaks IMAP itself (greeting, CAPABILITY, STARTTLS, ID, LOGIN,
 * AUTHENTICATE, NOOP, LOGOUT) with the backends' pre-login capabilities; after login it connects to the
 * user's backend, passes the client's address with ID x-originating-ip (as Dovecot's imap proxy does),
 * logs in with AUTHENTICATE PLAIN as the master user (authzid = user), answers the client with the
 * backend's post-login CAPABILITY and relays bytes, including those the client pipelined behind LOGIN.
 */
import type { Socket } from 'node:net';
import { ImapReceiver } from '../../imap-codec/src/receiver.js';
import type { ReceiverEvent } from '../../imap-codec/src/types.js';
import { preAuthCapabilities } from '../../imap-server/src/capabilities.js';
import type { ImapServerConfig } from '../../imap-server/src/deps.js';
import { imapString } from '../../imap-server/src/encode.js';
import { LIMITS } from '../../core/src/limits.js';
import { BackendRefused } from './backend-pool.js';
import { ClientInput } from './client-input.js';
import { LineReader } from './line-reader.js';
import { clientInfo, ProxyListeners, startTls } from './listener.js';
import { proxyLogin, type Credentials, type HandshakeContext } from './login.js';
import { RelayedSession } from './relay-session.js';
import type { ProxyDeps } from './types.js';

export interface ImapProxyConfig {
  /** APPENDLIMIT the backends advertise (imap.maxMessageSize), so pre-login CAPABILITY matches theirs. */
  maxMessageSize: number;
}

/** Longest credentials literal before login (a LOGIN password or AUTHENTICATE line). */
const MAX_LOGIN_LITERAL = 8 * 1024;

export class ImapProxy {
  private readonly listeners: ProxyListeners;

  constructor(private readonly deps: ProxyDeps, private readonly cfg: ImapProxyConfig) {
    this.listeners = new ProxyListeners((s, secure) => { void new ImapProxySession(this.deps, this.cfg, s, secure).run(); }, () => deps.tls, deps.logger);
  }

  listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number> { return this.listeners.listen(opts); }
  close(): Promise<void> { return this.listeners.close(); }
  /** A connection handed over by the parent process (login processes, libs/login-process). */
  adopt(sock: import('node:net').Socket, implicitTls: boolean): void { this.listeners.adopt(sock, implicitTls); }
}

class ImapProxySession {
  private input: ClientInput<ReceiverEvent>;
  private bad = 0;
  private appending: string | null = null;
  private relaying = false;

  constructor(private readonly deps: ProxyDeps, private readonly cfg: ImapProxyConfig, private sock: Socket, private secure: boolean) {
    sock.setNoDelay(true);
    this.input = new ClientInput(sock, this.newReceiver());
  }

  private newReceiver(): ImapReceiver { return new ImapReceiver({ maxLiteralSize: MAX_LOGIN_LITERAL, maxCommandBytes: 2 * MAX_LOGIN_LITERAL }); }

  private write(s: string): void { if (!this.sock.destroyed) this.sock.write(s); }

  /** RFC 3501 §6.1.1 / §6.2: what our backends advertise before login, for this connection. */
  private capabilities(): string[] {
    const trusted = this.deps.sasl.plaintextAllowed({ secure: this.secure, remoteIp: clientInfo(this.sock, this.secure).ip });
    // preAuthCapabilities reads only maxMessageSize and allowPlaintextAuth.
    const cfg = { maxMessageSize: this.cfg.maxMessageSize, allowPlaintextAuth: this.deps.allowPlaintextAuth || trusted } as ImapServerConfig;
    return preAuthCapabilities(cfg, this.secure, this.deps.tls !== null);
  }

  async run(): Promise<void> {
    this.write(`* OK [CAPABILITY ${this.capabilities().join(' ')}] ${this.deps.hostname} ready.\r\n`);
    try {
      while (!this.relaying && !this.sock.destroyed) {
        const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
        if (!ev) {
          if (!this.sock.destroyed) this.sock.end('* BYE Disconnected for inactivity.\r\n');
          break;
        }
        if (!(await this.handle(ev))) break;
        if (this.bad >= LIMITS.proxyMaxBadCommands) { this.sock.end('* BYE Too many invalid commands.\r\n'); break; }
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'imap proxy session failed');
      this.sock.destroy();
    }
  }

  /** False when the session is over (or handed to the relay). */
  private async handle(ev: ReceiverEvent): Promise<boolean> {
    switch (ev.type) {
      case 'fatal': this.sock.end(`* BYE ${ev.text}\r\n`); return false;
      case 'bad': this.bad++; this.write(`${ev.tag} BAD ${ev.text}\r\n`); return true;
      case 'line': return true;
      case 'append-begin': this.appending = ev.tag; return true;
      case 'literal-request':
        if (this.appending !== null || ev.size > MAX_LOGIN_LITERAL) {
          this.input.receiver instanceof ImapReceiver && this.input.receiver.rejectLiteral();
          this.bad++;
          this.write(`${ev.tag} ${this.appending !== null ? 'BAD Please log in first.' : 'NO [TOOBIG] Literal too large.'}\r\n`);
          this.appending = null;
          return true;
        }
        (this.input.receiver as ImapReceiver).acceptLiteral();
        this.write('+ OK\r\n');
        return true;
      case 'append-message': case 'literal-chunk': case 'literal-end': return true;
      case 'append-end': this.appending = null; this.bad++; this.write(`${ev.tag} BAD Please log in first.\r\n`); return true;
      case 'command': break;
    }
    const cmd = ev.command;
    const tag = cmd.tag;
    switch (cmd.name) {
      case 'CAPABILITY': this.write(`* CAPABILITY ${this.capabilities().join(' ')}\r\n${tag} OK Pre-login capabilities listed, post-login capabilities have more.\r\n`); return true;
      case 'NOOP': this.write(`${tag} OK NOOP completed.\r\n`); return true;
      case 'LOGOUT': this.sock.end(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`); return false;
      case 'ID': this.write(`* ID (${imapString('name')} ${imapString('ucs-mail')} ${imapString('vendor')} ${imapString('Univention')})\r\n${tag} OK ID completed.\r\n`); return true;
      case 'STARTTLS': return this.starttls(tag);
      case 'LOGIN':
        if (!this.plaintextOk()) { this.write(`${tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n`); return true; }
        return this.login(tag, { authcid: cmd.username, password: cmd.password, authzid: null });
      case 'AUTHENTICATE': return this.authenticate(tag, cmd.mechanism, cmd.initialResponse);
      default: this.bad++; this.write(`${tag} BAD Command not valid before login.\r\n`); return true;
    }
  }

  private plaintextOk(): boolean {
    return this.deps.allowPlaintextAuth || this.deps.sasl.plaintextAllowed({ secure: this.secure, remoteIp: clientInfo(this.sock, this.secure).ip });
  }

  /** RFC 3501 §6.2.1; anything pipelined in plaintext behind STARTTLS is discarded (RFC 7817 §... / CVE-2011-0411). */
  private async starttls(tag: string): Promise<boolean> {
    if (this.secure || !this.deps.tls) { this.bad++; this.write(`${tag} BAD TLS not available${this.secure ? ' (already active)' : ''}.\r\n`); return true; }
    this.input.detach();
    (this.input.receiver as ImapReceiver).takeUnread();
    this.write(`${tag} OK Begin TLS negotiation now.\r\n`);
    try {
      this.sock = await startTls(this.sock, this.deps.tls);
    } catch (err) {
      this.deps.logger.debug({ err }, 'STARTTLS handshake failed');
      return false;
    }
    this.secure = true;
    this.input = new ClientInput(this.sock, this.newReceiver());
    return true;
  }

  private async authenticate(tag: string, mechanism: string, initial: string | null): Promise<boolean> {
    const mech = this.deps.sasl.mechanism(mechanism);
    if (!mech) { this.write(`${tag} NO Unsupported authentication mechanism.\r\n`); return true; }
    if (!this.plaintextOk()) { this.write(`${tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n`); return true; }
    let resp: Buffer | null = initial === null ? null : initial === '=' ? Buffer.alloc(0) : decodeB64(initial);
    if (initial !== null && !resp) { this.write(`${tag} BAD Invalid base64 data in initial response.\r\n`); return true; }
    for (let round = 0; round < 10; round++) {
      const r = mech.step(resp);
      if (r.kind === 'error') {
        await new Promise((res) => setTimeout(res, LIMITS.authFailureDelayMs));
        this.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
        return true;
      }
      if (r.kind === 'done') return this.login(tag, { authcid: r.authcid, password: r.password, authzid: r.authzid });
      this.write(`+ ${r.challenge.toString('base64')}\r\n`);
      (this.input.receiver as ImapReceiver).expectLine();
      const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
      if (!ev) return false;
      if (ev.type !== 'line') { this.write(`${tag} BAD Expected authentication response.\r\n`); return true; }
      // RFC 3501 §6.2.2: "*" cancels.
      if (ev.text.trim() === '*') { this.write(`${tag} BAD Authentication aborted by client.\r\n`); return true; }
      resp = decodeB64(ev.text.trim());
      if (!resp) { this.write(`${tag} BAD Invalid base64 data in continued response.\r\n`); return true; }
    }
    this.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
    return true;
  }

  private async login(tag: string, creds: Credentials): Promise<boolean> {
    const client = clientInfo(this.sock, this.secure);
    const session = new RelayedSession(this.deps, 'imap', this.sock, '* BYE Disconnected by administrator.\r\n');
    const master = this.deps.master;
    const out = await proxyLogin(this.deps, 'imap', client, creds, session, (sock, signal, ctx) => imapBackendLogin(sock, signal, ctx, master));
    if (!out.ok) {
      const reply = out.why === 'credentials' ? 'NO [AUTHENTICATIONFAILED] Authentication failed.'
        : out.why === 'limit' ? 'NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections).'
          : out.why === 'temp' ? 'NO [UNAVAILABLE] Temporary authentication failure, try again later.'
            : 'NO [UNAVAILABLE] Account is temporarily unavailable.';
      this.write(`${tag} ${reply}\r\n`);
      return true;
    }
    // From here on the bytes belong to the backend: stop parsing, hand over what the client pipelined.
    // This session object (parser, input) is left behind: the relay keeps only the sockets and plain values.
    this.relaying = true;
    this.input.detach();
    const pipelined = (this.input.receiver as ImapReceiver).takeUnread();
    this.write(`${tag} OK [CAPABILITY ${out.value.capabilities.join(' ')}] Logged in\r\n`);
    session.start({
      backend: out.socket, pendingToBackend: pipelined, pendingToClient: out.value.rest,
      user: out.user.user, backendName: out.backend.name, registration: out.registration,
    });
    return false;
  }
}

function decodeB64(s: string): Buffer | null {
  if (s === '') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  return Buffer.from(s, 'base64');
}

/**
 * The backend side: greeting, then ID with the client's address and AUTHENTICATE PLAIN as master user,
 * pipelined (both are answered in order). Returns the backend's post-login capabilities.
 */
export async function imapBackendLogin(sock: Socket, signal: AbortSignal, ctx: HandshakeContext, master: { user: string; password: string }): Promise<{ capabilities: string[]; rest: Buffer }> {
  const lines = new LineReader(sock);
  const greeting = await lines.line();
  if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) throw new Error(`unexpected backend greeting: ${greeting.slice(0, 200)}`);
  const c = ctx.client;
  const id = ['x-originating-ip', c.ip, 'x-originating-port', String(c.port), 'x-connected-ip', c.localIp, 'x-connected-port', String(c.localPort), 'x-session-id', ctx.sessionId]
    .map(imapString).join(' ');
  const plain = Buffer.from(`${ctx.user}\0${master.user}\0${master.password}`).toString('base64');
  sock.write(`P1 ID (${id})\r\nP2 AUTHENTICATE PLAIN ${plain}\r\n`);
  let caps: string[] | null = null;
  for (;;) {
    if (signal.aborted) throw new Error('aborted');
    const line = await lines.line();
    const untagged = /^\* CAPABILITY (.*)$/i.exec(line);
    if (untagged) { caps = untagged[1]!.trim().split(/\s+/); continue; }
    if (/^P1 /.test(line) || line.startsWith('* ')) continue;
    const done = /^P2 (OK|NO|BAD)\b(.*)$/i.exec(line);
    if (!done) continue;
    if (done[1]!.toUpperCase() !== 'OK') throw new BackendRefused(`backend refused the master login: ${line.slice(0, 200)}`);
    const inCode = /^\s*\[CAPABILITY ([^\]]*)\]/i.exec(done[2]!);
    if (inCode) caps = inCode[1]!.trim().split(/\s+/);
    break;
  }
  if (!caps) {
    sock.write('P3 CAPABILITY\r\n');
    for (;;) {
      const line = await lines.line();
      const u = /^\* CAPABILITY (.*)$/i.exec(line);
      if (u) caps = u[1]!.trim().split(/\s+/);
      if (/^P3 /.test(line)) break;
    }
  }
  return { capabilities: caps ?? ['IMAP4rev1'], rest: lines.stop() };
}
