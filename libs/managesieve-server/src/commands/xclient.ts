/**
 * XCLIENT (Dovecot managesieve-login extension, no RFC): a login proxy in sasl.trustedNetworks (Dovecot
 * login_trusted_networks) names the real client before it authenticates ("XCLIENT ADDR=<ip> PORT=<n>
 * SESSION=<id> TTL=<n>", atoms), so the session registry and the logs show the client instead of the
 * proxy. The XCLIENT capability is listed to trusted peers only. Answers as Pigeonhole: OK "Updated";
 * NO "You are not from trusted IP" (nothing changes); bad parameters NO "Error in MANAGESIEVE command
 * received by server." (a bad command). The authentication policy stays with the peer's address.
 */
import { parseXclient } from '../../../sasl/src/xclient.js';
import type { Arg } from '../../../managesieve-codec/src/types.js';
import type { Session } from '../session.js';

export async function xclient(s: Session, args: readonly Arg[]): Promise<void> {
  if (!s.xclientTrusted) {
    s.log.info('XCLIENT from an untrusted peer refused');
    return s.respond({ status: 'NO', text: 'You are not from trusted IP' });
  }
  const f = args.every((a) => a.type === 'atom') ? parseXclient(args.map((a) => String(a.value))) : null;
  if (!f) {
    s.badCommands++;
    return s.respond({ status: 'NO', text: 'Error in MANAGESIEVE command received by server.' });
  }
  s.forwarded(f);
  s.respond({ status: 'OK', text: 'Updated' });
}
