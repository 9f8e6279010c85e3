/**
 * AUTHORIZATION state (RFC 1939 §4): USER/PASS, APOP (§7), AUTH (RFC 5034, through libs/sasl),
 * STLS (RFC 2595 §4). A failed attempt answers the same text after the same minimum delay whether
 * the user is unknown or the password wrong; replies carry RFC 3206 codes ([AUTH], [SYS/TEMP], [IN-USE]).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SASL_MECHANISMS, createMechanism } from '../../../sasl/src/index.js';
import { LIMITS } from '../../../core/src/limits.js';
import { decodeSaslResponse, failureDelay } from '../../../sasl/src/exchange.js';
import { isMailError } from '../../../core/src/errors.js';
import { err, multiline, ok, challenge } from '../../../pop3-codec/src/responses.js';
import type { Pop3Command } from '../../../pop3-codec/src/types.js';
import type { UserRecord } from '../../../directory/src/types.js';
import type { Pop3Session } from '../session.js';
import { errorReply } from '../errors.js';
import { plaintextAllowed } from './capa.js';

const PLAINTEXT_REFUSED = err('Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'AUTH');

export async function user(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  if (!plaintextAllowed(s)) { s.write(PLAINTEXT_REFUSED); return false; }
  const name = cmd.rest.trim();
  if (!name) { s.write(err('No username given.')); return false; }
  s.pendingUser = name;
  s.write(ok());
  return true;
}

export async function pass(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const started = Date.now();
  if (!plaintextAllowed(s)) { s.write(PLAINTEXT_REFUSED); return false; }
  const name = s.pendingUser;
  s.pendingUser = null;
  if (name === null) { s.write(err('No username given.')); return false; }
  return finishLogin(s, () => checkPassword(s, name, cmd.rest, null), name, started);
}

/** RFC 1939 §7 APOP: MD5(timestamp + secret); only for users whose stored secret is plaintext-equivalent. */
export async function apop(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const started = Date.now();
  const lookup = s.host.deps.apopSecret;
  if (!lookup || !s.apopTimestamp) { s.write(err('APOP is not available.')); return false; }
  if (cmd.args.length !== 2 || !/^[0-9a-fA-F]{32}$/.test(cmd.args[1]!)) { s.write(err('Invalid APOP arguments.')); return false; }
  const [name, digest] = [cmd.args[0]!, cmd.args[1]!.toLowerCase()];
  const ts = s.apopTimestamp;
  return finishLogin(s, async () => {
    const r = await lookup(name);
    if (!r) return null;
    const want = createHash('md5').update(ts + r.secret, 'utf8').digest();
    return timingSafeEqual(want, Buffer.from(digest, 'hex')) ? r.user : null;
  }, name, started);
}

/** RFC 5034 AUTH: without arguments, the mechanism list (Dovecot and Outlook use it); with "=" as an empty initial response. */
export async function auth(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  const started = Date.now();
  if (cmd.args.length === 0) {
    s.write(multiline('', plaintextAllowed(s) ? [...SASL_MECHANISMS] : []));
    return true;
  }
  if (cmd.args.length > 2) { s.write(err('Invalid AUTH arguments.')); return false; }
  const mech = s.host.deps.sasl ? s.host.deps.sasl.mechanism(cmd.args[0]!) : createMechanism(cmd.args[0]!);
  if (!mech) { s.write(err('Unsupported authentication mechanism.')); return false; }
  if (!plaintextAllowed(s)) { s.write(PLAINTEXT_REFUSED); return false; }
  let resp: Buffer | null = null;
  if (cmd.args[1] !== undefined) {
    const d = cmd.args[1] === '=' ? Buffer.alloc(0) : decodeSaslResponse(cmd.args[1]);
    if (!d) { s.write(err('Invalid base64 data in initial response.')); return false; }
    resp = d;
  }
  for (let rounds = 0; rounds < 10; rounds++) {
    const r = mech.step(resp);
    if (r.kind === 'error') return failed(s, started, cmd.args[0]!);
    if (r.kind === 'done') {
      const { authcid, password, authzid } = r;
      return finishLogin(s, () => checkPassword(s, authcid, password, authzid), authcid, started);
    }
    s.write(challenge(r.challenge));
    s.receiver.expectLine();
    const ev = await s.nextEvent();
    if (!ev) return false;
    if (ev.type !== 'line') { s.write(err('Expected authentication response.')); return false; }
    // RFC 5034 §4: "*" cancels the exchange.
    if (ev.text.trim() === '*') { s.write(err('Authentication aborted by client.')); return false; }
    const d = decodeSaslResponse(ev.text.trim());
    if (!d) { s.write(err('Invalid base64 data in continued response.')); return false; }
    resp = d;
  }
  return failed(s, started, cmd.args[0]!);
}

export async function stls(s: Pop3Session): Promise<boolean> {
  const ctx = s.host.tls();
  if (!ctx) { s.write(err('TLS support isn\'t enabled.')); return false; }
  if (s.secure) { s.write(err('TLS is already active.')); return false; }
  s.write(ok('Begin TLS negotiation now.'));
  try {
    await s.startTls(ctx);
  } catch (e) {
    s.log.info({ err: e }, 'STLS handshake failed');
    s.state = 'closed';
    s.socket.destroy();
    return false;
  }
  return true;
}

function ctx(s: Pop3Session) {
  return { service: 'pop3', remoteIp: s.remoteAddress, secure: s.secure };
}

/** USER/PASS and SASL credentials: through the shared SASL policy when given (master users), else the directory. */
async function checkPassword(s: Pop3Session, login: string, password: string, authzid: string | null): Promise<UserRecord | null> {
  const sasl = s.host.deps.sasl;
  if (!sasl) return s.host.deps.directory.authenticate(login, password, ctx(s));
  const out = await sasl.login(login, password, authzid, ctx(s));
  if (out.ok && out.master) s.log.info({ user: out.user.user, master: out.master }, 'master user login');
  if (!out.ok && out.why !== 'credentials') s.log.info({ why: out.why }, 'master user login refused');
  return out.ok ? out.user : null;
}

async function failed(s: Pop3Session, started: number, login: string): Promise<false> {
  await failureDelay(started);
  s.host.metrics.logins.inc({ result: 'fail' });
  s.log.info({ login: login.slice(0, 100) }, 'authentication failed');
  s.write(err('Authentication failed.', 'AUTH'));
  if (++s.authFailures >= LIMITS.pop3MaxAuthFailures) s.close();
  return false;
}

async function finishLogin(s: Pop3Session, check: () => Promise<UserRecord | null>, login: string, started: number): Promise<boolean> {
  let u: UserRecord | null;
  try {
    u = await check();
  } catch (e) {
    s.log.warn({ err: e }, 'directory unavailable');
    s.host.metrics.logins.inc({ result: 'temp' });
    const temp = isMailError(e) && e.code === 'TEMP';
    s.write(err(temp ? 'Temporary authentication failure, try again later.' : 'Internal error occurred. Refer to server log for more information.', 'SYS/TEMP'));
    return false;
  }
  if (!u || u.disabled) return failed(s, started, login);
  if (!(await s.host.claimUserIp(s, u.user))) {
    s.host.metrics.logins.inc({ result: 'limit' });
    s.write(err('Maximum number of connections from user+IP exceeded.', 'IN-USE'));
    return false;
  }
  let refused: string | null;
  try {
    refused = await s.openMaildrop(u);
  } catch (e) {
    s.host.metrics.logins.inc({ result: 'temp' });
    s.write(errorReply(e, s.log).replace(/^-ERR (?!\[)/, '-ERR [SYS/TEMP] '));
    return false;
  }
  if (refused) {
    s.host.metrics.logins.inc({ result: 'inuse' });
    s.write(refused);
    return false;
  }
  s.host.metrics.logins.inc({ result: 'ok' });
  s.log.info({ user: u.user, messages: s.drop?.uids.length ?? 0 }, 'logged in');
  s.write(ok('Logged in.'));
  return true;
}
