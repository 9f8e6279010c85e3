/**
 * Where the load goes: host, one port per protocol, TLS mode, certificate checking and the
 * source addresses to connect from. Shared by every raw client of the harness.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** none = plain, starttls = upgrade with STARTTLS/STLS, implicit = TLS from the first byte (RFC 8314), auto = STARTTLS when offered. */
export type TlsMode = 'none' | 'starttls' | 'implicit' | 'auto';

export type Protocol = 'imap' | 'pop3' | 'lmtp' | 'sieve';

export interface Target {
  host: string;
  ports: Partial<Record<Protocol, number>>;
  tls: TlsMode;
  /** PEM CA to verify the server with; without it certificates are not checked (self-signed test servers). */
  ca?: string;
  servername?: string;
  /** Source addresses to spread connections over (round robin); empty = the kernel's choice. */
  sourceAddresses: string[];
  connectTimeoutMs: number;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

let sourceIdx = 0;
/** Next source address (round robin) or undefined. */
export function nextSource(t: Target): string | undefined {
  if (t.sourceAddresses.length === 0) return undefined;
  return t.sourceAddresses[sourceIdx++ % t.sourceAddresses.length];
}

/** "127.0.0.2-127.0.0.50" or "127.0.0.2,127.0.0.3" → list (last octet ranges only). */
export function parseSourceAddresses(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+\.\d+\.\d+\.)(\d+)-(?:\d+\.\d+\.\d+\.)?(\d+)$/.exec(part);
    if (m) {
      const a = Number(m[2]), b = Number(m[3]);
      if (a > b || b > 255) throw new Error(`bad source address range: ${part}`);
      for (let i = a; i <= b; i++) out.push(`${m[1]}${i}`);
    } else if (/^\d+\.\d+\.\d+\.\d+$/.test(part) || part.includes(':')) out.push(part);
    else throw new Error(`bad source address: ${part}`);
  }
  return out;
}

/** Opens a TCP (or implicit TLS) connection; resolves once connected (TLS: after the handshake). */
export function openSocket(t: Target, port: number, implicitTls: boolean, localAddress?: string): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const opts = { host: t.host, port, localAddress };
    const sock = implicitTls
      ? tlsConnect({ ...opts, ca: t.ca, servername: t.servername ?? 'localhost', rejectUnauthorized: t.ca !== undefined })
      : netConnect(opts);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${t.host}:${port} timed out after ${t.connectTimeoutMs} ms`)); }, t.connectTimeoutMs);
    sock.once(implicitTls ? 'secureConnect' : 'connect', () => { clearTimeout(timer); sock.setNoDelay(true); resolve(sock); });
    sock.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Upgrades a connected plain socket after the protocol's STARTTLS/STLS OK. */
export function upgradeTls(t: Target, plain: Socket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket: plain, ca: t.ca, servername: t.servername ?? 'localhost', rejectUnauthorized: t.ca !== undefined });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Human text for a socket error, with the likely cause for the common ones. */
export function describeConnectError(e: unknown, host: string, port: number, proto: string): string {
  const err = e as NodeJS.ErrnoException;
  const where = `${proto.toUpperCase()} ${host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED': return `${where}: connection refused (nothing listens there; wrong host or port?)`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `${where}: host unreachable`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `${where}: unknown host`;
    case 'EADDRNOTAVAIL': return `${where}: source address not available (${err.message})`;
    case 'ECONNRESET': return `${where}: connection reset by the server`;
    default: break;
  }
  const msg = err.message ?? String(e);
  const tlsErr = /wrong version number|packet length too long|unknown protocol|WRONG_VERSION/i.exec(msg);
  if (tlsErr) {
    return `${where}: TLS handshake failed (${tlsErr[0]}); the port speaks plain text: use --tls starttls or --tls none`;
  }
  if (/greeting timed out|no greeting/i.test(msg)) {
    return `${where}: no greeting (${msg}); if the port is implicit TLS, use --tls implicit`;
  }
  return `${where}: ${msg}`;
}

/** A free loopback TCP port (for starting reference servers on ephemeral ports): the one of libs/testing. */
export { freePort } from '../../libs/testing/src/ports.js';
