/** MAIL FROM and RCPT TO at the proxy (RFC 5321 §4.1.1.2-3, RFC 1870 SIZE, RFC 6152 8BITMIME). */
import { isMailError, toMailError } from '../../core/src/errors.js';
import { reply } from '../../lmtp-codec/src/reply.js';
import type { Command } from '../../lmtp-codec/src/types.js';
import { planRecipient } from './plan.js';
import type { ProxySession } from './session.js';

type Mail = Extract<Command, { verb: 'MAIL' }>;
type Rcpt = Extract<Command, { verb: 'RCPT' }>;

// MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]: checked here, passed on unchanged to every backend.
export function onMail(s: ProxySession, c: Mail): void {
  if (!s.heloName) return s.bad(reply(503, '5.5.1', 'Send LHLO first')); // RFC 2033 §4.1
  if (s.tx) return s.bad(reply(503, '5.5.1', 'MAIL already given'));
  for (const [k, v] of c.params) {
    if (k === 'SIZE') {
      if (v === true || !/^\d{1,15}$/.test(v)) return s.bad(reply(501, '5.5.4', 'Invalid SIZE parameter'));
      if (Number(v) > s.deps.config.maxMessageSize) return s.send(reply(552, '5.3.4', 'Message too big for system')); // RFC 1870 §6.2
    } else if (k === 'BODY') {
      if (v === true || !/^(7BIT|8BITMIME)$/i.test(v)) return s.bad(reply(501, '5.5.4', 'Unsupported BODY parameter'));
    } else {
      return s.bad(reply(555, '5.5.4', `Unsupported parameter ${k}`)); // RFC 5321 §4.1.1.11
    }
  }
  s.tx = { from: c.from.address, mailParams: c.params, rcpts: [], spool: null, hash: null, mode: 'none', tooBig: false, failed: null };
  s.send(reply(250, '2.1.0', 'OK'));
}

// RCPT TO: resolved and routed now, so an unknown user is refused here (550 5.1.1) and a backend
// known to be down (breaker open) gets 451 before any data is sent.
export async function onRcpt(s: ProxySession, c: Rcpt): Promise<void> {
  const tx = s.tx;
  if (!tx) return s.bad(reply(503, '5.5.1', 'MAIL needed first'));
  if (tx.mode !== 'none') return s.bad(reply(503, '5.5.1', 'RCPT not allowed after DATA/BDAT started'));
  if (c.params.size) return s.bad(reply(555, '5.5.4', 'Unsupported RCPT parameter'));
  if (tx.rcpts.length >= s.deps.config.maxRecipients) return s.send(reply(452, '4.5.3', 'Too many recipients')); // RFC 5321 §4.5.3.1.10
  const rcpt = c.to.address;
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
