/**
 * The Dovecot authentication protocol between an auth client (Postfix smtpd with
 * smtpd_sasl_type = dovecot, Exim, a login process) and the auth server, version 1.2
 * (Dovecot doc "Authentication Protocol"; Postfix src/xsasl/xsasl_dovecot_server.c).
 * Pure and I/O-free: lines in, typed messages out, and back.
 *
 *   S: VERSION 1 2 / MECH PLAIN plaintext / MECH LOGIN plaintext / SPID n / CUID n / COOKIE hex / DONE
 *   C: VERSION 1 2 / CPID n
 *   C: AUTH id PLAIN service=smtp nologin lip=.. rip=.. secured resp=base64
 *   S: CONT id base64      C: CONT id base64
 *   S: OK id user=alice    S: FAIL id user=.. reason=.. [temp]
 * Fields are separated by TAB, lines end with LF. Values are tab-escaped as Dovecot's
 * str_tabescape(): 0x01 -> 0x01 '1', TAB -> 0x01 't', CR -> 0x01 'r', LF -> 0x01 'n'.
 */
import { MailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';

/** A malformed line. `id` is the request id when the line named one we could read (answer FAIL to it). */
export class AuthProtocolError extends MailError {
  constructor(message: string, readonly id: number | null = null) {
    super('PARSE', message);
    this.name = 'AuthProtocolError';
  }
}

/** One `key=value` parameter, or a bare flag (`value` null), in the order sent. */
export interface Param { readonly key: string; readonly value: string | null }

export type ClientLine =
  | { readonly type: 'VERSION'; readonly major: number; readonly minor: number }
  | { readonly type: 'CPID'; readonly pid: string }
  | { readonly type: 'AUTH'; readonly id: number; readonly mech: string; readonly params: readonly Param[] }
  | { readonly type: 'CONT'; readonly id: number; readonly data: string };

export type ServerLine =
  | { readonly type: 'VERSION'; readonly major: number; readonly minor: number }
  | { readonly type: 'MECH'; readonly name: string; readonly flags: readonly string[] }
  | { readonly type: 'SPID'; readonly pid: string }
  | { readonly type: 'CUID'; readonly id: string }
  | { readonly type: 'COOKIE'; readonly cookie: string }
  | { readonly type: 'DONE' }
  | { readonly type: 'CONT'; readonly id: number; readonly data: string }
  | { readonly type: 'OK'; readonly id: number; readonly params: readonly Param[] }
  | { readonly type: 'FAIL'; readonly id: number; readonly params: readonly Param[] };

/** Protocol version we speak; a client with another major version is disconnected (as Dovecot does). */
export const PROTOCOL_MAJOR = 1;
export const PROTOCOL_MINOR = 2;

export function tabEscape(s: string): string {
  return s.replace(/[\u0001\t\r\n]/g, (c) => (c === '\u0001' ? '\u00011' : c === '\t' ? '\u0001t' : c === '\r' ? '\u0001r' : '\u0001n'));
}

export function tabUnescape(s: string): string {
  // Dovecot's str_tabunescape(): an unknown escape yields the character itself; a trailing 0x01 stays.
  return s.replace(/\u0001([\s\S])/g, (_, c: string) => (c === '1' ? '\u0001' : c === 't' ? '\t' : c === 'r' ? '\r' : c === 'n' ? '\n' : c));
}

const KEY = /^[A-Za-z0-9_.-]+$/;
const MECH = /^[A-Z0-9_-]{1,20}$/i; // RFC 4422 §3.1 mechanism names: 1-20 chars of A-Z 0-9 - _
const UINT = /^(0|[1-9][0-9]{0,9})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function uint(s: string | undefined, what: string, id: number | null = null): number {
  if (s === undefined || !UINT.test(s) || Number(s) > 0xffffffff) throw new AuthProtocolError(`invalid ${what}`, id);
  return Number(s);
}

function parseParams(fields: readonly string[], id: number | null): Param[] {
  return fields.map((f) => {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (!KEY.test(key)) throw new AuthProtocolError('invalid parameter name', id);
    return { key, value: eq < 0 ? null : tabUnescape(f.slice(eq + 1)) };
  });
}

function formatParams(params: readonly Param[]): string {
  return params.map((p) => {
    if (!KEY.test(p.key)) throw new AuthProtocolError(`invalid parameter name ${JSON.stringify(p.key.slice(0, 40))}`);
    return p.value === null ? `\t${p.key}` : `\t${p.key}=${tabEscape(p.value)}`;
  }).join('');
}

function splitLine(line: string): string[] {
  if (line.length > LIMITS.dovecotAuthMaxLineLength) throw new AuthProtocolError('line too long');
  if (/[\r\n\u0000]/.test(line)) throw new AuthProtocolError('control character in line');
  return line.split('\t');
}

/** A line the client sent (without the LF). Throws AuthProtocolError and nothing else. */
export function parseClientLine(line: string): ClientLine {
  const f = splitLine(line);
  switch (f[0]) {
    case 'VERSION':
      if (f.length < 3) throw new AuthProtocolError('VERSION needs major and minor');
      return { type: 'VERSION', major: uint(f[1], 'major version'), minor: uint(f[2], 'minor version') };
    case 'CPID':
      if (f.length !== 2 || !UINT.test(f[1]!)) throw new AuthProtocolError('invalid CPID');
      return { type: 'CPID', pid: f[1]! };
    case 'AUTH': {
      const id = uint(f[1], 'request id');
      const mech = f[2];
      if (mech === undefined || !MECH.test(mech)) throw new AuthProtocolError('invalid mechanism name', id);
      return { type: 'AUTH', id, mech: mech.toUpperCase(), params: parseParams(f.slice(3), id) };
    }
    case 'CONT': {
      const id = uint(f[1], 'request id');
      if (f.length !== 3 || !BASE64.test(f[2]!)) throw new AuthProtocolError('invalid CONT data', id);
      return { type: 'CONT', id, data: f[2]! };
    }
    default:
      throw new AuthProtocolError('unknown command');
  }
}

export function formatClientLine(m: ClientLine): string {
  switch (m.type) {
    case 'VERSION': return `VERSION\t${m.major}\t${m.minor}\n`;
    case 'CPID': return `CPID\t${m.pid}\n`;
    case 'AUTH': return `AUTH\t${m.id}\t${m.mech}${formatParams(m.params)}\n`;
    case 'CONT': return `CONT\t${m.id}\t${m.data}\n`;
  }
}

/** A line the server sent (for clients and tests). Throws AuthProtocolError and nothing else. */
export function parseServerLine(line: string): ServerLine {
  const f = splitLine(line);
  switch (f[0]) {
    case 'VERSION':
      if (f.length < 3) throw new AuthProtocolError('VERSION needs major and minor');
      return { type: 'VERSION', major: uint(f[1], 'major version'), minor: uint(f[2], 'minor version') };
    case 'MECH':
      if (f[1] === undefined || !MECH.test(f[1])) throw new AuthProtocolError('invalid mechanism name');
      if (f.slice(2).some((x) => !KEY.test(x))) throw new AuthProtocolError('invalid mechanism flag');
      return { type: 'MECH', name: f[1], flags: f.slice(2) };
    case 'SPID': case 'CUID':
      if (f.length !== 2 || !UINT.test(f[1]!)) throw new AuthProtocolError(`invalid ${f[0]}`);
      return f[0] === 'SPID' ? { type: 'SPID', pid: f[1]! } : { type: 'CUID', id: f[1]! };
    case 'COOKIE':
      if (f.length !== 2 || !/^[0-9a-f]{32}$/.test(f[1]!)) throw new AuthProtocolError('invalid COOKIE');
      return { type: 'COOKIE', cookie: f[1]! };
    case 'DONE':
      return { type: 'DONE' };
    case 'CONT': {
      const id = uint(f[1], 'request id');
      if (f.length !== 3 || !BASE64.test(f[2]!)) throw new AuthProtocolError('invalid CONT data', id);
      return { type: 'CONT', id, data: f[2]! };
    }
    case 'OK': case 'FAIL': {
      const id = uint(f[1], 'request id');
      return { type: f[0], id, params: parseParams(f.slice(2), id) };
    }
    default:
      throw new AuthProtocolError('unknown command');
  }
}

export function formatServerLine(m: ServerLine): string {
  switch (m.type) {
    case 'VERSION': return `VERSION\t${m.major}\t${m.minor}\n`;
    case 'MECH': return `MECH\t${m.name}${m.flags.map((x) => `\t${x}`).join('')}\n`;
    case 'SPID': return `SPID\t${m.pid}\n`;
    case 'CUID': return `CUID\t${m.id}\n`;
    case 'COOKIE': return `COOKIE\t${m.cookie}\n`;
    case 'DONE': return 'DONE\n';
    case 'CONT': return `CONT\t${m.id}\t${m.data}\n`;
    case 'OK': case 'FAIL': return `${m.type}\t${m.id}${formatParams(m.params)}\n`;
  }
}

/** The AUTH parameters a server acts on (the rest are kept in `params` and ignored). */
export interface AuthRequestInfo {
  readonly service: string | null;
  readonly localIp: string | null;
  readonly remoteIp: string | null;
  /** The client connection is TLS (or otherwise secure), as the auth client says (`secured`). */
  readonly secured: boolean;
  readonly validClientCert: boolean;
  readonly noLogin: boolean;
  /** Base64 initial response; "" is an empty initial response; null none. */
  readonly resp: string | null;
  readonly session: string | null;
}

export function authRequestInfo(params: readonly Param[]): AuthRequestInfo {
  const get = (k: string) => params.find((p) => p.key === k);
  const val = (k: string) => get(k)?.value ?? null;
  const flag = (k: string) => get(k) !== undefined;
  return {
    service: val('service'), localIp: val('lip'), remoteIp: val('rip'),
    secured: flag('secured'), validClientCert: flag('valid-client-cert'), noLogin: flag('nologin'),
    resp: get('resp') ? (get('resp')!.value ?? '') : null, session: val('session'),
  };
}

/** Strict base64 (RFC 4648 §4) to bytes; null when it is not base64. */
export function decodeBase64(s: string): Buffer | null {
  if (s === '') return Buffer.alloc(0);
  if (s.length % 4 !== 0 || !BASE64.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/**
 * Splits a byte stream into LF-terminated lines (a CR before LF is dropped), feedable byte by byte.
 * A line longer than the limit throws AuthProtocolError: the connection is then closed.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number = LIMITS.dovecotAuthMaxLineLength) {}

  push(chunk: Uint8Array): string[] {
    const out: string[] = [];
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        this.size += buf.length;
        if (this.size > this.max) throw new AuthProtocolError('line too long');
        if (buf.length > 0) this.parts.push(Buffer.from(buf));
        return out;
      }
      if (this.size + nl > this.max) throw new AuthProtocolError('line too long');
      this.parts.push(buf.subarray(0, nl));
      let line = Buffer.concat(this.parts);
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      out.push(line.toString('utf8'));
      this.parts = []; this.size = 0;
      buf = buf.subarray(nl + 1);
    }
  }
}
