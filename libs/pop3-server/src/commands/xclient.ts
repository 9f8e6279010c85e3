/**
 * XCLIENT (Dovecot pop3-login extension, no RFC): a login proxy in sasl.trustedNetworks (Dovecot
 * login_trusted_networks) names the real client before it logs in, so the session registry (who, kick,
 * the user+IP limit) and the logs show the client instead of the proxy. The greeting offers it with
 * "+OK [XCLIENT]" to trusted peers only. Answers as Dovecot 2.3: "+OK Updated"; "-ERR Invalid parameters";
 * from an untrusted peer "+OK You are not from trusted IP - ignoring" and nothing changes.
 * Authentication policy (plaintext, master users from sasl.masterNetworks) stays with the peer's address.
 */
import { parseXclient } from '../../../sasl/src/xclient.js';
import { err, ok } from '../../../pop3-codec/src/responses.js';
import type { Pop3Command } from '../../../pop3-codec/src/types.js';
import type { Pop3Session } from '../session.js';

/** Whether this connection's peer may send XCLIENT (and is offered it in the greeting). */
export function xclientTrusted(s: Pop3Session): boolean {
  return s.host.deps.sasl?.isTrusted(s.remoteAddress) ?? false;
}

export async function xclient(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  if (!xclientTrusted(s)) {
    s.log.info('XCLIENT from an untrusted peer ignored');
    s.write(ok('You are not from trusted IP - ignoring'));
    return true;
  }
  const f = parseXclient(cmd.args);
  if (!f) { s.write(err('Invalid parameters')); return false; }
  s.forwarded(f);
  s.write(ok('Updated'));
  return true;
}
