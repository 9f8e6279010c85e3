/**
 * The end of DATA/BDAT at the proxy: libs/lmtp-server's body.ts spooled the body ONCE as it arrived
 * (memory while small, then a 0600 temp file) and the session hashed it; now every backend gets its
 * transaction (fanout.ts) reading that spool, and Postfix gets one reply per accepted RCPT, in
 * order (RFC 2033 §4.2).
 */
import type { MessageSource } from '../../delivery/src/source.js';
import type { Spool } from '../../delivery/src/spool.js';
import { fanOut } from './fanout.js';
import type { ProxySession, ProxyTransaction } from './session.js';

export async function relayMessage(s: ProxySession, tx: ProxyTransaction, spool: Spool, src: MessageSource): Promise<void> {
  const endTimer = s.metrics?.fanOutSeconds.startTimer();
  const env = { id: s.id, heloName: s.heloName ?? 'unknown', from: tx.from, mailParams: tx.mailParams, bodySha256: tx.hash!.digest('hex') };
  const replies = await fanOut(s.deps, env, tx.rcpts, src, (backend, rs) => {
    const worst = rs.some((r) => r.code >= 400 && r.code < 500) ? 'temp' : rs.some((r) => r.code >= 500) ? 'perm' : 'ok';
    s.metrics?.backendTransactions.inc({ backend, result: worst });
  });
  endTimer?.();
  tx.rcpts.forEach((r, i) => {
    const answer = replies[i]!;
    s.metrics?.recipients.inc({ result: answer.code < 400 ? 'saved' : answer.code < 500 ? 'temp' : 'perm' });
    const backends = r.plan.kind === 'single' ? r.plan.target.backend : [...new Set(r.plan.targets.map((t) => t.backend))].join(',');
    s.deps.logger[answer.code < 400 ? 'info' : 'warn']({ id: s.id, from: tx.from, rcpt: r.rcpt, backends, size: spool.size, reply: `${answer.code} ${answer.enhanced ?? ''}` }, 'lmtp-proxy: relayed');
    s.send(answer);
  });
}
