/**
 * Opening an authenticated IMAP session on a Target with its TLS mode: implicit TLS, STARTTLS
 * (RFC 3501 §6.2.1) when asked or, in "auto" mode, when offered; LOGINDISABLED (§6.2.3) without
 * TLS is reported as a usable message rather than a failed login.
 */
import { ImapClient, quote } from './imap-client.js';
import { describeConnectError, nextSource, type Target } from './target.js';

export class SessionError extends Error {
  constructor(readonly stage: 'connect' | 'tls' | 'auth', message: string) { super(message); }
}

export interface OpenedSession { client: ImapClient; connectMs: number; tlsMs: number; loginMs: number; loginOk: boolean; loginText: string }

/** Connects (and upgrades to TLS as the target says); throws SessionError. */
export async function connectImap(t: Target, localAddress = nextSource(t)): Promise<{ client: ImapClient; connectMs: number; tlsMs: number }> {
  const port = t.ports.imap;
  if (!port) throw new SessionError('connect', 'no IMAP port given (--imap-port)');
  const t0 = process.hrtime.bigint();
  let c: ImapClient;
  try {
    c = await ImapClient.connect({
      host: t.host, port, tls: t.tls === 'implicit', ca: t.ca, servername: t.servername,
      connectTimeoutMs: t.connectTimeoutMs, commandTimeoutMs: 120_000, localAddress, rejectUnauthorized: t.ca !== undefined,
    });
  } catch (e) {
    throw new SessionError('connect', describeConnectError(e, t.host, port, 'imap'));
  }
  const connectMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let tlsMs = 0;
  if (t.tls === 'starttls' || t.tls === 'auto') {
    if (c.capabilities.size === 0) await c.capability();
    if (c.capabilities.has('STARTTLS')) {
      const t1 = process.hrtime.bigint();
      try { await c.startTls(); } catch (e) { c.destroy(); throw new SessionError('tls', `IMAP STARTTLS failed: ${(e as Error).message}`); }
      tlsMs = Number(process.hrtime.bigint() - t1) / 1e6;
    } else if (t.tls === 'starttls') {
      c.destroy();
      throw new SessionError('tls', `IMAP ${t.host}:${port} does not offer STARTTLS (use --tls none, or --tls implicit for a TLS port)`);
    }
  }
  return { client: c, connectMs, tlsMs };
}

/** Connect + LOGIN. A rejected login is returned (loginOk false), not thrown. */
export async function openImap(t: Target, user: string, pass: string, localAddress?: string): Promise<OpenedSession> {
  const { client, connectMs, tlsMs } = await connectImap(t, localAddress);
  if (client.capabilities.size === 0) { try { await client.capability(); } catch { /* judged by LOGIN */ } }
  if (client.capabilities.has('LOGINDISABLED')) {
    client.destroy();
    throw new SessionError('auth', `IMAP server refuses LOGIN without TLS (LOGINDISABLED): use --tls starttls or --tls implicit`);
  }
  const r = await client.command(`LOGIN ${quote(user)} ${quote(pass)}`);
  return { client, connectMs, tlsMs, loginMs: r.ms, loginOk: r.status === 'OK', loginText: `${r.status} ${r.text}` };
}
