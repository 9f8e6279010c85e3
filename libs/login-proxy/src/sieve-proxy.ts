/**
 * The ManageSieve login proxy (RFC 5804): before login it speaks ManageSieve itself (capabilities,
 * STARTTLS, AUTHENTICATE, NOOP, LOGOUT) with the capabilities its backends advertise (learned from a
 * backend's greeting, minus the per-connection SASL/STARTTLS lines); after login it logs in to the
 * user's backend with AUTHENTICATE "PLAIN" as the master user (authzid = user) and relays bytes.
 * Temporary failures answer NO (TRYLATER) (RFC 5804 §1.3).
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { SASL_MECHANISMS } from '../../sasl/src/index.js';
import { encodeCapability, encodeString } from '../../managesieve-codec/src/response.js';
import { BackendRefused } from './backend-pool.js';
import { ClientInput } from './client-input.js';
import { LineQueue, type LineEvent } from './line-queue.js';
import { LineReader } from './line-reader.js';
import { clientInfo, ProxyListeners, startTls } from './listener.js';
import { proxyLogin, type Credentials, type HandshakeContext } from './login.js';
import { RelayedSession } from './relay-session.js';
import type { ProxyDeps } from './types.js';

const MAX_LINE = 8 * 1024;
/** How long learned backend capabilities are reused. */
const CAPS_TTL_MS = 5 * 60_000;

/** Splits a pre-login command line into atoms and quoted strings (RFC 5804 §4); null when malformed or a literal. */
export function tokenize(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') { i++; continue; }
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        const ch = line[i]!;
        if (ch === '\\') { if (i + 1 >= line.length) return null; s += line[i + 1]; i += 2; continue; }
        if (ch === '"') { i++; break; }
        s += ch;
        i++;
      }
      out.push(s);
      continue;
    }
    const m = /^[^\s"{]+/.exec(line.slice(i));
    if (!m) return null;
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}

/** Capability lines of a backend greeting ("NAME" ["value"]) up to its OK. */
export async function readSieveGreeting(lines: LineReader): Promise<Array<[string, string | undefined]>> {
  const caps: Array<[string, string | undefined]> = [];
  for (;;) {
    const l = await lines.line();
    if (/^OK\b/i.test(l)) return caps;
    if (/^(NO|BYE)\b/i.test(l)) throw new Error(`backend greeting: ${l.slice(0, 200)}`);
    const t = tokenize(l);
    if (t && t.length >= 1) caps.push([t[0]!, t[1]]);
  }
}

export class SieveProxy {
  private readonly listeners: ProxyListeners;
  private caps: { at: number; list: Array<[string, string | undefined]> } | null = null;

  constructor(private readonly deps: ProxyDeps, private readonly implementation: string) {
    this.listeners = new ProxyListeners((s, secure) => { void this.session(s, secure); }, () => deps.tls, deps.logger);
  }

  listen(opts: { host: string; port: number; implicitTls: boolean }): Promise<number> { return this.listeners.listen(opts); }
  close(): Promise<void> { return this.listeners.close(); }
  /** A connection handed over by the parent process (login processes, libs/login-process). */
  adopt(sock: import('node:net').Socket, implicitTls: boolean): void { this.listeners.adopt(sock, implicitTls); }

  private async session(s: Socket, secure: boolean): Promise<void> {
    const caps = await this.backendCaps();
    await new SieveProxySession(this.deps, s, secure, caps, this.implementation).run();
  }

  /** The backends' static capabilities (SIEVE extensions, MAXREDIRECTS, ...), from any reachable backend. */
  private async backendCaps(): Promise<Array<[string, string | undefined]>> {
    if (this.caps && Date.now() - this.caps.at < CAPS_TTL_MS) return this.caps.list;
    for (const b of this.deps.pool.backends.values()) {
      if (this.deps.pool.breakerState(b.name) === 'open') continue;
      const r = await this.deps.pool.open(b, async (sock) => readSieveGreeting(new LineReader(sock)));
      if (r.ok) {
        r.socket.end('LOGOUT\r\n');
        const list = r.value.filter(([n]) => !['SASL', 'STARTTLS', 'OWNER', 'XCLIENT'].includes(n.toUpperCase()));
        this.caps = { at: Date.now(), list };
        return list;
      }
    }
    return this.caps?.list ?? [['VERSION', '1.0']];
  }
}

class SieveProxySession {
  private input: ClientInput<LineEvent>;
  private queue = new LineQueue(MAX_LINE);
  private bad = 0;
  private relaying = false;

  constructor(private readonly deps: ProxyDeps, private sock: Socket, private secure: boolean,
    private readonly caps: Array<[string, string | undefined]>, private readonly implementation: string) {
    sock.setNoDelay(true);
    this.input = new ClientInput(sock, this.queue);
  }

  private write(s: string): void { if (!this.sock.destroyed) this.sock.write(s); }

  private plaintextOk(): boolean {
    return this.secure || this.deps.allowPlaintextAuth || this.deps.sasl.plaintextAllowed({ secure: this.secure, remoteIp: clientInfo(this.sock, this.secure).ip });
  }

  /** RFC 5804 §1.7, in the order our backends send them. */
  private capabilities(): string {
    const caps = this.caps.some(([n]) => n.toUpperCase() === 'IMPLEMENTATION') ? this.caps : [['IMPLEMENTATION', this.implementation] as [string, string], ...this.caps];
    let out = '';
    for (const [name, value] of caps) {
      out += encodeCapability(name, value);
      const n = name.toUpperCase();
      if (n === 'IMPLEMENTATION') out += encodeCapability('SASL', this.plaintextOk() ? SASL_MECHANISMS.join(' ') : '');
      if (n === 'SIEVE' && this.deps.tls && !this.secure) out += encodeCapability('STARTTLS');
    }
    return out;
  }

  async run(): Promise<void> {
    this.write(`${this.capabilities()}OK "Dovecot-compatible ManageSieve ready."\r\n`);
    try {
      while (!this.relaying && !this.sock.destroyed) {
        const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
        if (!ev) { if (!this.sock.destroyed) this.sock.end('BYE "Disconnected for inactivity."\r\n'); break; }
        if (!(await this.handle(ev))) break;
        if (this.bad >= LIMITS.proxyMaxBadCommands) { this.sock.end('BYE "Too many invalid commands."\r\n'); break; }
      }
    } catch (e) {
      this.deps.logger.error({ err: e }, 'sieve proxy session failed');
      this.sock.destroy();
    }
  }

  private async handle(ev: LineEvent): Promise<boolean> {
    if (ev.type === 'overflow') { this.bad++; this.write('NO "Command line too long."\r\n'); return true; }
    if (ev.text === '') return true;
    const t = tokenize(ev.text);
    if (!t || t.length === 0) { this.bad++; this.write('NO "Error in command (literals are not accepted before login)."\r\n'); return true; }
    switch (t[0]!.toUpperCase()) {
      case 'CAPABILITY': this.write(`${this.capabilities()}OK "Capability completed."\r\n`); return true;
      case 'NOOP': this.write('OK "NOOP completed."\r\n'); return true;
      case 'LOGOUT': this.sock.end('OK "Logout completed."\r\n'); return false;
      case 'STARTTLS': return this.starttls();
      case 'AUTHENTICATE': return this.authenticate(t.slice(1));
      default: this.bad++; this.write('NO "Authenticate first."\r\n'); return true;
    }
  }

  private async starttls(): Promise<boolean> {
    if (this.secure || !this.deps.tls) { this.write(`NO ${encodeString(this.secure ? 'TLS is already active.' : 'TLS support isn\'t enabled.')}\r\n`); return true; }
    this.input.detach();
    this.queue.takeUnread();
    this.write('OK "Begin TLS negotiation now."\r\n');
    try { this.sock = await startTls(this.sock, this.deps.tls); } catch { return false; }
    this.secure = true;
    this.queue = new LineQueue(MAX_LINE);
    this.input = new ClientInput(this.sock, this.queue);
    // RFC 5804 §2.2: capabilities again after TLS.
    this.write(`${this.capabilities()}OK "TLS negotiation successful."\r\n`);
    return true;
  }

  private async authenticate(args: string[]): Promise<boolean> {
    const mech = args[0] ? this.deps.sasl.mechanism(args[0].toUpperCase()) : null;
    if (!mech) { this.write('NO "Unsupported authentication mechanism."\r\n'); return true; }
    if (!this.plaintextOk()) { this.write('NO (ENCRYPT-NEEDED) "Plaintext authentication disallowed on non-secure connections."\r\n'); return true; }
    let resp: Buffer | null = args[1] === undefined ? null : Buffer.from(args[1], 'base64');
    for (let round = 0; round < 10; round++) {
      const r = mech.step(resp);
      if (r.kind === 'error') { await new Promise((res) => setTimeout(res, LIMITS.authFailureDelayMs)); this.write('NO "Authentication failed."\r\n'); return true; }
      if (r.kind === 'done') return this.login({ authcid: r.authcid, password: r.password, authzid: r.authzid });
      this.write(`${encodeString(r.challenge.toString('base64'))}\r\n`);
      const ev = await this.input.next(LIMITS.proxyLoginTimeoutMs);
      if (!ev) return false;
      const tok = ev.type === 'line' ? tokenize(ev.text) : null;
      if (!tok || tok.length !== 1 || tok[0] === '*') { this.write('NO "Authentication aborted by client."\r\n'); return true; }
      resp = Buffer.from(tok[0]!, 'base64');
    }
    this.write('NO "Authentication failed."\r\n');
    return true;
  }

  private async login(creds: Credentials): Promise<boolean> {
    const client = clientInfo(this.sock, this.secure);
    const session = new RelayedSession(this.deps, 'sieve', this.sock, 'BYE "Disconnected by administrator."\r\n');
    const out = await proxyLogin(this.deps, 'sieve', client, creds, session,
      (sock, signal, ctx) => sieveBackendLogin(sock, signal, ctx, this.deps.master));
    if (!out.ok) {
      this.write(out.why === 'credentials' ? 'NO "Authentication failed."\r\n'
        : out.why === 'limit' ? 'NO (TRYLATER) "Maximum number of connections from user+IP exceeded."\r\n'
          : 'NO (TRYLATER) "Account is temporarily unavailable."\r\n');
      return true;
    }
    this.relaying = true;
    this.input.detach();
    const pipelined = this.queue.takeUnread();
    this.write('OK "Logged in."\r\n');
    // This session object (parser, input) is left behind: the relay keeps only the sockets and plain values.
    session.start({
      backend: out.socket, pendingToBackend: pipelined, pendingToClient: out.value.rest,
      user: out.user.user, backendName: out.backend.name, registration: out.registration,
    });
    return false;
  }
}

/** Greeting (capabilities + OK), XCLIENT when the backend lists it (Dovecot), AUTHENTICATE "PLAIN" as master user. */
export async function sieveBackendLogin(sock: Socket, signal: AbortSignal, ctx: HandshakeContext, master: { user: string; password: string }): Promise<{ rest: Buffer }> {
  const lines = new LineReader(sock);
  const caps = await readSieveGreeting(lines);
  if (caps.some(([n]) => n.toUpperCase() === 'XCLIENT')) {
    sock.write(`XCLIENT ADDR=${ctx.client.ip} PORT=${ctx.client.port} SESSION=${ctx.sessionId}\r\n`);
    const r = await lines.line();
    if (!/^OK\b/i.test(r)) throw new BackendRefused(`backend refused XCLIENT: ${r.slice(0, 200)}`);
  }
  if (signal.aborted) throw new Error('aborted');
  sock.write(`AUTHENTICATE "PLAIN" "${Buffer.from(`${ctx.user}\0${master.user}\0${master.password}`).toString('base64')}"\r\n`);
  for (;;) {
    const r = await lines.line();
    if (/^OK\b/i.test(r)) break;
    if (/^(NO|BYE)\b/i.test(r)) throw new BackendRefused(`backend refused the master login: ${r.slice(0, 200)}`);
  }
  return { rest: lines.stop() };
}
