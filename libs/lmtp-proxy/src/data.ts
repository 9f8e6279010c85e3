/**
 * DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2) at the proxy: the body is spooled ONCE as it
 * arrives (memory while small, then a 0600 temp file: libs/delivery's Spool) and hashed; at its
 * end every backend gets its transaction (fanout.ts) reading that spool, and Postfix gets one reply
 * per accepted RCPT, in order (RFC 2033 §4.2).
 */
import { createHash } from 'node:crypto';
import { reply } from '../../lmtp-codec/src/reply.js';
import type { Command } from '../../lmtp-codec/src/types.js';
import { Spool } from '../../delivery/src/spool.js';
import { fanOut } from './fanout.js';
import type { ProxySession } from './session.js';

type Bdat = Extract<Command, { verb: 'BDAT' }>;

function sequenceError(s: ProxySession): ReturnType<typeof reply> | null {
  if (!s.tx) return reply(503, '5.5.1', 'MAIL needed first');
  if (s.tx.rcpts.length === 0) return reply(503, '5.5.1', 'No valid recipients');
  return null;
}

export function startData(s: ProxySession): void {
  const e = sequenceError(s) ?? (s.tx!.mode !== 'none' ? reply(503, '5.5.1', 'DATA not allowed after BDAT') : null);
  if (e) return s.bad(e);
  const tx = s.tx!;
  tx.mode = 'data';
  tx.spool = new Spool(s.deps.config.spoolDir);
  tx.hash = createHash('sha256');
  s.send(reply(354, null, 'OK'));
  s.rx.startData();
}

export function startBdat(s: ProxySession, c: Bdat): void {
  // The chunk follows the command whatever we answer, so the receiver reads it either way.
  const e = sequenceError(s) ?? (s.tx!.mode === 'data' ? reply(503, '5.5.1', 'BDAT not allowed after DATA') : null);
  if (e) { s.chunk = { last: c.last, refused: e }; return; }
  const tx = s.tx!;
  tx.mode = 'bdat';
  tx.spool ??= new Spool(s.deps.config.spoolDir);
  tx.hash ??= createHash('sha256');
  s.chunk = { last: c.last, refused: null };
}

export async function onBodyData(s: ProxySession, chunk: Buffer): Promise<void> {
  const tx = s.tx;
  if (s.chunk?.refused || !tx || !tx.spool || tx.tooBig || tx.failed) return;
  if (tx.spool.size + chunk.length > s.deps.config.maxMessageSize) {
    tx.tooBig = true;
    await tx.spool.discard();
    return;
  }
  try {
    tx.hash!.update(chunk);
    await tx.spool.write(chunk);
  } catch (e) {
    tx.failed = e;
    await tx.spool.discard();
  }
}

export async function onBodyEnd(s: ProxySession): Promise<void> {
  const chunk = s.chunk;
  s.chunk = null;
  if (chunk?.refused) { s.bad(chunk.refused); return; }
  const tx = s.tx;
  if (!tx || !tx.spool) return;
  if (tx.mode === 'bdat' && !chunk?.last) {
    if (tx.tooBig) { await s.abortTransaction(); return s.send(reply(552, '5.3.4', 'Message too big for system')); }
    return s.send(reply(250, '2.0.0', `${tx.spool.size} octets received`));
  }
  const spool = tx.spool;
  s.tx = null;
  try {
    if (tx.tooBig) { for (const _ of tx.rcpts) s.send(reply(552, '5.3.4', 'Message too big for system')); return; }
    if (tx.failed) {
      s.deps.logger.error({ id: s.id, err: tx.failed }, 'lmtp-proxy: spool write failed');
      for (const r of tx.rcpts) s.send(reply(451, '4.3.0', `<${r.rcpt}> Temporary internal error`));
      return;
    }
    const src = await spool.finish();
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
  } finally {
    await spool.discard();
  }
}
