/**
 * Before the run: every port the profile needs must answer with its greeting, in the TLS mode
 * asked for, and the first user must be able to log in. Each failure is one clear sentence
 * (exit code 3), so a wrong host, port, TLS mode or password never shows up as a failed run.
 */
import { openImap, SessionError } from '../lib/imap-session.js';
import { Pop3Client } from '../lib/pop3-client.js';
import { LmtpClient } from '../lib/lmtp-client.js';
import { SieveClient } from '../lib/sieve-client.js';
import { describeConnectError, type Protocol, type Target } from '../lib/target.js';
import type { Credential } from '../lib/users.js';

export class PreflightError extends Error {}

export async function preflight(t: Target, protocols: Protocol[], first: Credential): Promise<string[]> {
  const notes: string[] = [];
  for (const p of protocols) notes.push(await check(t, p, first));
  return notes;
}

async function check(t: Target, p: Protocol, cred: Credential): Promise<string> {
  const port = t.ports[p]!;
  const implicit = t.tls === 'implicit';
  const where = `${p.toUpperCase()} ${t.host}:${port}`;
  const wrap = (e: unknown): never => {
    if (e instanceof PreflightError) throw e;
    throw new PreflightError(describeConnectError(e, t.host, port, p));
  };
  switch (p) {
    case 'imap': {
      let s;
      try { s = await openImap(t, cred.user, cred.pass); } catch (e) {
        if (e instanceof SessionError) throw new PreflightError(e.message);
        return wrap(e);
      }
      s.client.destroy();
      if (!s.loginOk) throw new PreflightError(`${where}: login as ${cred.user} refused: ${s.loginText} (wrong user or password?)`);
      return `${where}: login ok (${s.tlsMs > 0 || implicit ? 'TLS' : 'plain'})`;
    }
    case 'pop3': {
      let c: Pop3Client;
      try { c = await Pop3Client.connect(t, port, implicit); } catch (e) { return wrap(e); }
      try {
        if (t.tls === 'starttls' || t.tls === 'auto') {
          const caps = await c.capabilities();
          if (caps.has('STLS')) { const r = await c.stls(); if (!r.ok) throw new PreflightError(`${where}: STLS refused: ${r.text}`); }
          else if (t.tls === 'starttls') throw new PreflightError(`${where}: does not offer STLS (use --tls none or --tls implicit)`);
        }
        const r = await c.login(cred.user, cred.pass);
        if (!r.ok) throw new PreflightError(`${where}: login as ${cred.user} refused: ${r.text} (wrong user or password, or plaintext login disabled?)`);
        await c.quit();
        return `${where}: login ok`;
      } catch (e) { c.destroy(); return wrap(e); }
    }
    case 'lmtp': {
      let c: LmtpClient;
      try { c = await LmtpClient.connect(t, port, implicit); } catch (e) { return wrap(e); }
      try {
        const h = await c.lhlo();
        if (h.code !== 250) throw new PreflightError(`${where}: LHLO refused: ${h.lines.join(' ')} (is this an LMTP port?)`);
        if (t.tls === 'starttls' || (t.tls === 'auto' && c.extensions.has('STARTTLS'))) {
          if (!c.extensions.has('STARTTLS')) throw new PreflightError(`${where}: does not offer STARTTLS (use --tls none)`);
          const r = await c.startTls();
          if (r.code !== 220) throw new PreflightError(`${where}: STARTTLS refused: ${r.lines.join(' ')}`);
        }
        const m = await c.cmd('MAIL FROM:<loadtest@example.invalid>');
        const r = await c.cmd(`RCPT TO:<${cred.user}>`);
        await c.cmd('RSET');
        await c.quit();
        if (m.code !== 250) throw new PreflightError(`${where}: MAIL FROM refused: ${m.lines.join(' ')}`);
        if (r.code !== 250 && r.code !== 251) throw new PreflightError(`${where}: recipient ${cred.user} refused: ${r.lines.join(' ')} (unknown user?)`);
        return `${where}: recipient ok`;
      } catch (e) { c.destroy(); return wrap(e); }
    }
    case 'sieve': {
      let c: SieveClient;
      try { c = await SieveClient.connect(t, port, implicit); } catch (e) { return wrap(e); }
      try {
        if ((t.tls === 'starttls' || t.tls === 'auto') && c.capabilities.has('STARTTLS')) {
          const r = await c.startTls();
          if (r.status !== 'OK') throw new PreflightError(`${where}: STARTTLS refused: ${r.text}`);
        } else if (t.tls === 'starttls') throw new PreflightError(`${where}: does not offer STARTTLS`);
        const r = await c.authenticate(cred.user, cred.pass);
        if (r.status !== 'OK') throw new PreflightError(`${where}: login as ${cred.user} refused: ${r.text}`);
        await c.logout();
        return `${where}: login ok`;
      } catch (e) { c.destroy(); return wrap(e); }
    }
  }
}
