/**
 * AUTHENTICATE (RFC 5804 §2.1) through libs/sasl, and UNAUTHENTICATE (§2.14). A failed attempt
 * answers the same text after the same minimum delay whether the user is unknown or the password
 * wrong; after a few failures the connection is closed.
 */
import { createMechanism } from '../../../sasl/src/index.js';
import { LIMITS } from '../../../core/src/limits.js';
import { decodeSaslResponse, failureDelay } from '../../../sasl/src/exchange.js';
import { isMailError } from '../../../core/src/errors.js';
import { encodeString } from '../../../managesieve-codec/src/response.js';
import type { Arg } from '../../../managesieve-codec/src/types.js';
import type { Session } from '../session.js';
import { str } from './index.js';

async function failed(s: Session, started: number): Promise<void> {
  await failureDelay(started);
  s.authFailures++;
  s.respond({ status: 'NO', text: 'Authentication failed.' });
  if (s.authFailures >= LIMITS.manageSieveMaxAuthFailures) {
    s.respond({ status: 'BYE', text: 'Too many authentication failures.' });
    s.end();
  }
}

export async function authenticate(s: Session, args: readonly Arg[]): Promise<void> {
  const started = Date.now();
  const mech = s.deps.sasl ? s.deps.sasl.mechanism(str(args, 0)) : createMechanism(str(args, 0));
  if (!mech) return s.respond({ status: 'NO', text: 'Unsupported authentication mechanism.' });
  // PLAIN and LOGIN send the password in the clear: only over TLS unless configured otherwise (RFC 5804 §2.1).
  if (!s.plaintextAllowed) return s.respond({ status: 'NO', code: 'ENCRYPT-NEEDED', text: 'Plaintext authentication disallowed on non-secure connections.' });
  let resp: Buffer | null = null;
  if (args.length > 1) {
    resp = decodeSaslResponse(str(args, 1));
    if (!resp) return s.respond({ status: 'NO', text: 'Invalid base64 data in initial response.' });
  }
  for (let round = 0; round < 10; round++) {
    const r = mech.step(resp);
    if (r.kind === 'error') return failed(s, started);
    if (r.kind === 'done') return finish(s, r.authcid, r.password, started, r.authzid);
    s.write(`${encodeString(r.challenge.toString('base64'))}\r\n`);
    s.receiver.expectContinuation();
    const ev = await s.nextEvent();
    if (!ev) return;
    if (ev.type === 'cancel') return s.respond({ status: 'NO', text: 'Authentication aborted by client.' });
    if (ev.type !== 'continuation') return s.respond({ status: 'NO', text: 'Expected authentication response.' });
    resp = decodeSaslResponse(ev.value.trim());
    if (!resp) return s.respond({ status: 'NO', text: 'Invalid base64 data in continued response.' });
  }
  return failed(s, started);
}

async function finish(s: Session, login: string, password: string, started: number, authzid: string | null = null): Promise<void> {
  let user;
  try {
    const ctx = { service: 'sieve', remoteIp: s.socket.remoteAddress, secure: s.secure };
    if (s.deps.sasl) {
      // Master users (PLAIN authzid, for the login proxies) only from sasl.masterNetworks.
      const out = await s.deps.sasl.login(login, password, authzid, ctx);
      user = out.ok ? out.user : null;
      if (out.ok && out.master) s.log.info({ user: out.user.user, master: out.master }, 'master user login');
    } else {
      user = await s.deps.directory.authenticate(login, password, ctx);
    }
  } catch (e) {
    s.log.warn({ err: e }, 'directory unavailable');
    const temp = isMailError(e) && e.code === 'TEMP';
    return s.respond({ status: 'NO', code: temp ? 'TRYLATER' : null, text: 'Temporary authentication failure, try again later.' });
  }
  if (!user || user.disabled) {
    s.log.info({ login: login.slice(0, 100) }, 'authentication failed');
    return failed(s, started);
  }
  s.user = user;
  s.scripts = s.scriptStoreFor(user);
  s.state = 'auth';
  await s.register(user.user);
  s.log.info({ user: user.user }, 'logged in');
  s.respond({ status: 'OK', text: 'Logged in.' });
}

export async function unauthenticate(s: Session): Promise<void> {
  s.unregister(false);
  s.user = null;
  s.scripts = null;
  s.state = 'notauth';
  s.respond({ status: 'OK', text: 'Unauthenticate completed.' });
}
