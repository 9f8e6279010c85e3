/**
 * One auth client connection (one Postfix smtpd process): handshake, then any number of AUTH
 * requests, each a SASL mechanism state machine keyed by the client's request id.
 * Bad input never throws out of here: a malformed AUTH/CONT with a readable id gets FAIL, anything
 * else (unknown command, no VERSION, over-long line, duplicate id) closes the connection, as Dovecot does.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { isMailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import { PLAINTEXT_MECHANISMS, type SaslAuthenticator, type SaslMechanism, type AuthUser } from '../../sasl/src/index.js';
import {
  AuthProtocolError, LineSplitter, PROTOCOL_MAJOR, PROTOCOL_MINOR, authRequestInfo, decodeBase64,
  formatServerLine, parseClientLine, type AuthRequestInfo, type Param, type ServerLine,
} from './codec.js';
import type { AuthServiceMetrics } from './metrics.js';

export interface AuthLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ConnectionDeps {
  authenticator: SaslAuthenticator<AuthUser>;
  mechanisms: readonly string[];
  logger: AuthLogger;
  metrics: AuthServiceMetrics | null;
  connectionId: number;
  /** Minimum time from AUTH to FAIL (same for unknown user and wrong password). */
  failureDelayMs: number;
}

interface Pending {
  mech: SaslMechanism;
  info: AuthRequestInfo;
  started: number;
  timer: NodeJS.Timeout;
  busy: boolean;
}

export class AuthConnection {
  private readonly splitter = new LineSplitter();
  private readonly pending = new Map<number, Pending>();
  private gotVersion = false;
  private closed = false;
  private handshakeTimer: NodeJS.Timeout | null;
  /** Lines are handled one after another, so replies keep the order of the requests. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly socket: Socket, private readonly d: ConnectionDeps) {
    socket.setNoDelay(true);
    socket.cork(); // the handshake in one segment
    this.send({ type: 'VERSION', major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR });
    for (const m of d.mechanisms) this.send({ type: 'MECH', name: m, flags: PLAINTEXT_MECHANISMS.has(m) ? ['plaintext'] : [] });
    this.send({ type: 'SPID', pid: String(process.pid) });
    this.send({ type: 'CUID', id: String(d.connectionId) });
    this.send({ type: 'COOKIE', cookie: randomBytes(16).toString('hex') });
    this.send({ type: 'DONE' });
    socket.uncork();
    this.handshakeTimer = setTimeout(() => this.close('no VERSION from client'), LIMITS.dovecotAuthHandshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close(null));
    socket.on('close', () => this.close(null));
  }

  private onData(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (e) {
      this.close(e instanceof Error ? e.message : 'bad input');
      return;
    }
    for (const line of lines) this.queue = this.queue.then(() => this.onLine(line)).catch((e: unknown) => {
      this.d.logger.warn({ err: e, conn: this.d.connectionId }, 'auth client line failed');
      this.close('internal error');
    });
  }

  private async onLine(line: string): Promise<void> {
    if (this.closed) return;
    let msg;
    try {
      msg = parseClientLine(line);
    } catch (e) {
      if (e instanceof AuthProtocolError && e.id !== null) {
        this.dropRequest(e.id);
        this.fail(e.id, 'refused', [{ key: 'reason', value: 'Invalid request' }]);
        return;
      }
      this.close(e instanceof Error ? e.message : 'bad line');
      return;
    }
    if (msg.type === 'VERSION') {
      if (msg.major !== PROTOCOL_MAJOR) { this.close(`unsupported protocol version ${msg.major}`); return; }
      this.gotVersion = true;
      if (this.handshakeTimer) { clearTimeout(this.handshakeTimer); this.handshakeTimer = null; }
      return;
    }
    if (!this.gotVersion) { this.close('request before VERSION'); return; }
    if (msg.type === 'CPID') return;
    if (msg.type === 'AUTH') return this.onAuth(msg.id, msg.mech, msg.params);
    return this.onCont(msg.id, msg.data);
  }

  private async onAuth(id: number, mechName: string, params: readonly Param[]): Promise<void> {
    if (this.pending.has(id)) { this.close('duplicate request id'); return; }
    if (this.pending.size >= LIMITS.dovecotAuthMaxPending) {
      this.fail(id, 'temp', [{ key: 'temp', value: null }, { key: 'reason', value: 'Too many requests' }]);
      return;
    }
    const info = authRequestInfo(params);
    const mech = this.d.mechanisms.includes(mechName) ? this.d.authenticator.mechanism(mechName) : null;
    if (!mech) { this.fail(id, 'refused', [{ key: 'reason', value: 'Unsupported authentication mechanism' }]); return; }
    if (PLAINTEXT_MECHANISMS.has(mechName)
      && !this.d.authenticator.plaintextAllowed({ secure: info.secured, remoteIp: info.remoteIp ?? undefined })) {
      this.d.logger.info({ conn: this.d.connectionId, rip: info.remoteIp, mech: mechName }, 'plaintext authentication refused without TLS from an untrusted network');
      this.fail(id, 'refused', [{ key: 'reason', value: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.' }], mechName);
      return;
    }
    let first: Buffer | null = null;
    // As Dovecot: an empty resp= is no initial response (PLAIN then answers an empty CONT).
    if (info.resp !== null && info.resp !== '') {
      first = decodeBase64(info.resp);
      if (!first) { this.fail(id, 'refused', [{ key: 'reason', value: 'Invalid base64 data in initial response' }]); return; }
    }
    const timer = setTimeout(() => {
      if (this.pending.delete(id)) this.fail(id, 'fail', [{ key: 'reason', value: 'Authentication request timed out' }]);
    }, LIMITS.dovecotAuthRequestTimeoutMs);
    const p: Pending = { mech, info, started: Date.now(), timer, busy: false };
    this.pending.set(id, p);
    await this.step(id, p, first);
  }

  private async onCont(id: number, data: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p || p.busy) {
      this.dropRequest(id);
      // Dovecot's words for a CONT it has no request for.
      this.fail(id, 'refused', [{ key: 'reason', value: 'Authentication request timed out' }]);
      return;
    }
    const bytes = decodeBase64(data);
    if (!bytes) {
      this.dropRequest(id);
      this.fail(id, 'refused', [{ key: 'reason', value: 'Invalid base64 data in continued response' }]);
      return;
    }
    await this.step(id, p, bytes);
  }

  private async step(id: number, p: Pending, input: Buffer | null): Promise<void> {
    const r = p.mech.step(input);
    if (r.kind === 'challenge') { this.send({ type: 'CONT', id, data: r.challenge.toString('base64') }); return; }
    p.busy = true;
    if (r.kind === 'error') {
      await this.delay(p.started);
      this.dropRequest(id);
      this.fail(id, 'fail', [{ key: 'reason', value: 'Authentication failed' }], p.mech.name);
      return;
    }
    const ctx = { service: p.info.service ?? 'smtp', remoteIp: p.info.remoteIp ?? undefined, secure: p.info.secured };
    const log = { conn: this.d.connectionId, mech: p.mech.name, rip: p.info.remoteIp, service: ctx.service, login: r.authcid.slice(0, 100) };
    try {
      const out = await this.d.authenticator.login(r.authcid, r.password, r.authzid, ctx);
      if (out.ok) {
        this.dropRequest(id);
        this.d.metrics?.requests.inc({ mech: p.mech.name, result: 'ok' });
        this.d.logger.info({ ...log, user: out.user.user, master: out.master ?? undefined }, 'authenticated');
        this.send({ type: 'OK', id, params: [{ key: 'user', value: out.user.user }] });
        return;
      }
      this.d.logger.info({ ...log, why: out.why }, 'authentication failed');
      await this.delay(p.started);
      this.dropRequest(id);
      // As Dovecot: only user=, no reason (Postfix then says "authentication failed: Authentication failed").
      this.fail(id, 'fail', [{ key: 'user', value: r.authzid || r.authcid }], p.mech.name);
    } catch (e) {
      const temp = isMailError(e) && e.code === 'TEMP';
      this.d.logger.warn({ ...log, err: e }, temp ? 'user directory unavailable' : 'authentication error');
      this.d.metrics?.requests.inc({ mech: p.mech.name, result: 'temp' });
      // A directory outage must be a temporary failure, never a wrong password. Postfix's Dovecot
      // client (xsasl_dovecot_server.c) turns every FAIL, even one flagged "temp", into 535 5.7.8, and
      // only a lost connection into 454 4.7.0 "Temporary authentication failure": so we hang up.
      this.close('temporary authentication failure: closing so the auth client answers 4xx');
    }
  }

  private async delay(started: number): Promise<void> {
    const left = this.d.failureDelayMs - (Date.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }

  private dropRequest(id: number): void {
    const p = this.pending.get(id);
    if (p) { clearTimeout(p.timer); this.pending.delete(id); }
  }

  private fail(id: number, result: 'fail' | 'temp' | 'refused', params: Param[], mech = 'none'): void {
    this.d.metrics?.requests.inc({ mech, result });
    this.send({ type: 'FAIL', id, params });
  }

  private send(m: ServerLine): void {
    if (this.closed) return;
    this.socket.write(formatServerLine(m));
    if (this.socket.writableLength > LIMITS.dovecotAuthMaxOutputBytes) this.close('client does not read its replies');
  }

  /** Closes once; `why` non-null is logged (null: the peer went away). */
  close(why: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (why) this.d.logger.info({ conn: this.d.connectionId, why }, 'closing auth client connection');
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  isClosed(): boolean { return this.closed; }
}
