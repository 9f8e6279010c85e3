/**
 * DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2): the body goes into the spool as it arrives;
 * at its end each accepted recipient gets its own reply, in RCPT order (RFC 2033 §4.2), and a
 * 250 only once its copy is stored and fsynced.
 */
import { toMailError } from '../../../core/src/errors.js';
import { reply } from '../../../lmtp-codec/src/reply.js';
import type { Command } from '../../../lmtp-codec/src/types.js';
import { replyForError } from '../errors.js';
import type { LmtpSession } from '../session.js';
import { Spool } from '../../../delivery/src/spool.js';

type Bdat = Extract<Command, { verb: 'BDAT' }>;

function sequenceError(s: LmtpSession): ReturnType<typeof reply> | null {
  if (!s.tx) return reply(503, '5.5.1', 'MAIL needed first');
  if (s.tx.recipients.length === 0) return reply(503, '5.5.1', 'No valid recipients');
  return null;
}

export function startData(s: LmtpSession): void {
  const e = sequenceError(s) ?? (s.tx!.mode !== 'none' ? reply(503, '5.5.1', 'DATA not allowed after BDAT') : null);
  if (e) return s.bad(e);
  s.tx!.mode = 'data';
  s.tx!.spool = new Spool(s.deps.config.spoolDir);
  s.send(reply(354, null, 'OK'));
  s.rx.startData();
}

export function startBdat(s: LmtpSession, c: Bdat): void {
  // The chunk follows the command whatever we answer, so the receiver reads it either way.
  const e = sequenceError(s) ?? (s.tx!.mode === 'data' ? reply(503, '5.5.1', 'BDAT not allowed after DATA') : null);
  if (e) { s.chunk = { last: c.last, refused: e }; return; }
  const tx = s.tx!;
  tx.mode = 'bdat';
  tx.spool ??= new Spool(s.deps.config.spoolDir);
  s.chunk = { last: c.last, refused: null };
}

export async function onBodyData(s: LmtpSession, chunk: Buffer): Promise<void> {
  const tx = s.tx;
  if (s.chunk?.refused || !tx || !tx.spool || tx.tooBig || tx.failed) return;
  if (tx.spool.size + chunk.length > s.deps.config.maxMessageSize) {
    tx.tooBig = true;
    await tx.spool.discard();
    return;
  }
  try {
    await tx.spool.write(chunk);
  } catch (e) {
    tx.failed = e;
    await tx.spool.discard();
  }
}

export async function onBodyEnd(s: LmtpSession): Promise<void> {
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
  const rcpts = tx.recipients;
  s.tx = null;
  try {
    if (tx.tooBig) { for (const _ of rcpts) s.send(reply(552, '5.3.4', 'Message too big for system')); return; }
    if (tx.failed) {
      s.deps.logger.error({ id: s.id, err: tx.failed }, 'lmtp: spool write failed');
      for (const r of rcpts) s.send(reply(451, '4.3.0', `<${r.rcpt}> Temporary internal error`));
      return;
    }
    const src = await spool.finish();
    const env = { from: tx.from, heloName: s.heloName ?? 'unknown', remote: s.remote, id: s.id };
    let outcomes;
    const endTimer = s.metrics?.deliverySeconds.startTimer();
    try {
      outcomes = await s.deps.delivery.deliver(env, rcpts, src);
    } catch (e) {
      const err = toMailError(e);
      s.deps.logger.error({ id: s.id, err: e }, 'lmtp: delivery failed');
      outcomes = rcpts.map(() => ({ ok: false as const, error: err }));
    }
    endTimer?.();
    rcpts.forEach((r, i) => {
      const o = outcomes[i];
      const answer = o?.ok ? reply(250, '2.0.0', `<${r.rcpt}> ${s.id} Saved`) : replyForError(o ? o.error : toMailError(new Error('no outcome')), r.rcpt);
      s.metrics?.recipients.inc({ result: answer.code < 400 ? 'saved' : answer.code < 500 ? 'temp' : 'perm' });
      if (o?.ok) s.deps.logger.info({ id: s.id, from: tx.from, rcpt: r.rcpt, size: spool.size }, 'lmtp: saved');
      s.send(answer);
    });
  } finally {
    await spool.discard();
  }
}
