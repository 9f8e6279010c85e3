/** RCPT TO at the proxy, once libs/lmtp-server's session-base.ts has checked MAIL and the RCPT's place (RFC 5321 §4.1.1.3). */
import { isMailError, toMailError } from '../../core/src/errors.js';
import { reply } from '../../lmtp-codec/src/reply.js';
import { planRecipient } from './plan.js';
import type { ProxySession, ProxyTransaction } from './session.js';

// RCPT TO: resolved and routed now, so an unknown user is refused here (550 5.1.1) and a backend
// known to be down (breaker open) gets 451 before any data is sent.
export async function routeRecipient(s: ProxySession, tx: ProxyTransaction, rcpt: string): Promise<void> {
  try {
    const plan = await planRecipient(s.deps.directory, s.deps.backends, rcpt);
    if (plan.kind === 'unknown') return s.send(reply(550, '5.1.1', `<${rcpt}> User doesn't exist`));
    if (plan.kind === 'refuse') return s.send(plan.reply);
    tx.rcpts.push({ rcpt, plan });
    s.send(reply(250, '2.1.5', 'OK'));
  } catch (e) {
    const err = toMailError(e);
    if (!isMailError(e)) s.deps.logger.error({ id: s.id, rcpt, err: e }, 'lmtp-proxy: recipient lookup failed');
    if (err.code === 'LIMIT') return s.send(reply(554, '5.4.6', `<${rcpt}> Routing loop or too many group members`));
    s.send(reply(451, '4.3.0', `<${rcpt}> Temporary lookup failure`));
  }
}
