/**
 * LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE (§6.2.2, SASL-IR RFC 4959) with libs/sasl.
 * A failed attempt answers the same text after the same minimum delay whether the user is
 * unknown or the password wrong.
 */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { createMechanism } from '../../../sasl/src/index.js';
import { decodeSaslResponse, failureDelay } from '../../../sasl/src/exchange.js';
import { isMailError } from '../../../core/src/errors.js';
import { postAuthCapabilities } from '../capabilities.js';

const PLAINTEXT_REFUSED: Reply = {
  status: 'NO', code: 'PRIVACYREQUIRED', text: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
};

function plaintextRefused(s: Session): boolean {
  const sasl = s.host.deps.sasl;
  // Dovecot login_trusted_networks: plaintext without TLS is fine from trusted networks (sasl.trustedNetworks).
  return !s.secure && !s.config.allowPlaintextAuth && !(sasl?.plaintextAllowed({ secure: s.secure, remoteIp: s.remoteAddress }) ?? false);
}

export async function login(s: Session, cmd: CmdOf<'LOGIN'>): Promise<Reply> {
  if (plaintextRefused(s)) return PLAINTEXT_REFUSED;
  return finishLogin(s, cmd.username, cmd.password, Date.now(), null);
}

export async function authenticate(s: Session, cmd: CmdOf<'AUTHENTICATE'>): Promise<Reply> {
  const started = Date.now();
  const mech = s.host.deps.sasl ? s.host.deps.sasl.mechanism(cmd.mechanism) : createMechanism(cmd.mechanism);
  if (!mech) return { status: 'NO', text: 'Unsupported authentication mechanism.' };
  if (plaintextRefused(s)) return PLAINTEXT_REFUSED;
  let resp: Buffer | null = null;
  if (cmd.initialResponse !== null) {
    // RFC 4959 §3: "=" is an empty initial response.
    const d = cmd.initialResponse === '=' ? Buffer.alloc(0) : decodeSaslResponse(cmd.initialResponse);
    if (!d) return { status: 'BAD', text: 'Invalid base64 data in initial response.' };
    resp = d;
  }
  for (let rounds = 0; rounds < 10; rounds++) {
    const r = mech.step(resp);
    if (r.kind === 'error') {
      await failureDelay(started);
      s.host.metrics.logins.inc({ result: 'fail' });
      return { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed.' };
    }
    if (r.kind === 'done') return finishLogin(s, r.authcid, r.password, started, r.authzid);
    s.write(`+ ${r.challenge.toString('base64')}\r\n`);
    s.receiver.expectLine();
    const ev = await s.nextEvent();
    if (!ev) return { status: 'NO', text: 'Connection closed.' };
    if (ev.type !== 'line') return { status: 'BAD', text: 'Expected authentication response.' };
    // RFC 3501 §6.2.2: "*" cancels the exchange with a BAD.
    if (ev.text.trim() === '*') return { status: 'BAD', text: 'Authentication aborted by client.' };
    const d = decodeSaslResponse(ev.text.trim());
    if (!d) return { status: 'BAD', text: 'Invalid base64 data in continued response.' };
    resp = d;
  }
  return { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed.' };
}

async function finishLogin(s: Session, loginName: string, password: string, started: number, authzid: string | null): Promise<Reply> {
  const { directory, sasl } = s.host.deps;
  const ctx = { service: 'imap', remoteIp: s.remoteAddress, secure: s.secure };
  let user;
  try {
    if (sasl) {
      // Master users ("user*master", PLAIN authzid) only from sasl.masterNetworks; never as a nonexistent user.
      const out = await sasl.login(loginName, password, authzid, ctx);
      user = out.ok ? out.user : null;
      if (out.ok && out.master) s.log.info({ user: out.user.user, master: out.master }, 'master user login');
      if (!out.ok && out.why !== 'credentials') s.log.info({ why: out.why }, 'master user login refused');
    } else {
      user = await directory.authenticate(loginName, password, ctx);
    }
  } catch (e) {
    s.log.warn({ err: e }, 'directory unavailable');
    s.host.metrics.logins.inc({ result: 'temp' });
    const temp = isMailError(e) && e.code === 'TEMP';
    return { status: 'NO', code: temp ? 'UNAVAILABLE' : 'SERVERBUG', text: temp ? 'Temporary authentication failure, try again later.' : 'Internal error occurred. Refer to server log for more information.' };
  }
  if (!user || user.disabled) {
    await failureDelay(started);
    s.host.metrics.logins.inc({ result: 'fail' });
    s.log.info({ login: loginName.slice(0, 100) }, 'authentication failed');
    return { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed.' };
  }
  if (!(await s.host.claimUserIp(s, user.user))) {
    s.host.metrics.logins.inc({ result: 'limit' });
    return { status: 'NO', code: 'LIMIT', text: 'Maximum number of connections from user+IP exceeded.' };
  }
  const account = await s.openAccount(user);
  s.user = user;
  s.account = account;
  s.state = 'auth';
  s.resetTimer();
  s.host.metrics.logins.inc({ result: 'ok' });
  s.log.info({ user: user.user }, 'logged in');
  await ensureAutoMailboxes(s);
  return { status: 'OK', code: `CAPABILITY ${postAuthCapabilities(s.config).join(' ')}`, text: 'Logged in' };
}

/**
 * UCS mailboxes.auto.<NAME> = create | subscribe: create missing ones (with their special-use
 * from mailboxes.special.<NAME>) and subscribe where asked. One LIST when all exist.
 */
async function ensureAutoMailboxes(s: Session): Promise<void> {
  const acc = s.account!;
  const auto = Object.entries(s.config.autoMailboxes).filter(([, v]) => v === 'create' || v === 'subscribe');
  if (auto.length === 0) return;
  try {
    const existing = new Map((await acc.list()).map((m) => [m.name.toUpperCase() === 'INBOX' ? 'INBOX' : m.name, m]));
    for (const [name, mode] of auto) {
      const key = name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
      const info = existing.get(key);
      try {
        if (!info || info.noSelect) {
          await acc.create(name, { specialUse: s.config.specialUse[name] ?? [] });
        }
        if (mode === 'subscribe' && !info?.subscribed) await acc.subscribe(name);
      } catch (err) {
        if (!(isMailError(err) && err.code === 'EXISTS')) s.log.warn({ err, mailbox: name }, 'auto mailbox failed');
      }
    }
  } catch (err) {
    s.log.warn({ err }, 'auto mailboxes failed');
  }
}
