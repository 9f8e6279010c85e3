/**
 * lmtp: deliveries over LMTP (RFC 2033) at a fixed rate (--rate per second over all clients)
 * or as fast as possible, sizes from --sizes, --rcpts recipients per message. Each accepted
 * recipient (250 after DATA) is one ledger entry expected in that user's INBOX; the read-back
 * goes over IMAP. Latencies: MAIL, RCPT, DATA (DATA command to the last per-recipient reply),
 * delivery (the whole transaction).
 */
import { LmtpClient } from '../lib/lmtp-client.js';
import { nextSource } from '../lib/target.js';
import { makeTracked, pickSize } from '../lib/tracked-message.js';
import { verifyImap } from '../lib/verify-imap.js';
import type { Credential } from '../lib/users.js';
import { errMsg, pause, runClients, track } from './common.js';
import type { Profile, RunContext } from './types.js';

async function openLmtp(ctx: RunContext): Promise<LmtpClient> {
  const t = ctx.target;
  const c = await LmtpClient.connect(t, t.ports.lmtp!, t.tls === 'implicit', nextSource(t));
  const h = await c.lhlo();
  if (h.code !== 250) { c.destroy(); throw new Error(`LHLO: ${h.lines.join(' ')}`); }
  if (t.tls === 'starttls' || (t.tls === 'auto' && c.extensions.has('STARTTLS'))) {
    const r = await c.startTls();
    if (r.code !== 220) { c.destroy(); throw new Error(`STARTTLS: ${r.lines.join(' ')}`); }
  }
  return c;
}

function pickRcpts(ctx: RunContext, n: number): Credential[] {
  const out = new Map<string, Credential>();
  for (let i = 0; i < n * 4 && out.size < Math.min(n, ctx.users.count); i++) { const u = ctx.users.pick(ctx.rand); out.set(u.user, u); }
  return [...out.values()];
}

export const lmtpProfile: Profile = {
  name: 'lmtp',
  summary: 'LMTP deliveries at a fixed rate or as fast as possible, read back over IMAP',
  needs: () => ['lmtp'],
  async run(ctx) {
    const { opts } = ctx;
    const interval = opts.rate > 0 ? 1000 / opts.rate : 0;
    let nextSlot = Date.now();
    let late = 0;
    await runClients(opts.clients, async () => {
      while (!ctx.isStopping()) {
        let c: LmtpClient;
        try { c = await openLmtp(ctx); } catch (e) { ctx.stats.connectError(errMsg(e)); await pause(ctx, 200); continue; }
        const untrack = track(ctx, c);
        try {
          while (!ctx.isStopping()) {
            if (interval > 0) {
              const slot = nextSlot; nextSlot += interval;
              const wait = slot - Date.now();
              if (wait > 0) await pause(ctx, wait); else if (wait < -1000) late++;
              if (ctx.isStopping()) break;
            }
            const rcpts = pickRcpts(ctx, opts.rcptsPerMessage);
            const id = ctx.ledger.nextId();
            const m = makeTracked(id, rcpts[0]!.user, pickSize(opts.sizes, ctx.rand), ctx.rand);
            const entries = rcpts.map((r) => ctx.ledger.add(id, m.sum, r.user, 'INBOX'));
            let res;
            try {
              res = await c.deliver('loadtest@example.invalid', rcpts.map((r) => r.user), m.data);
            } catch (e) { for (const en of entries) en.state = 'uncertain'; throw e; }
            ctx.stats.record('MAIL', res.mailMs, res.mailCode === 250);
            if (res.rcpts.length) ctx.stats.record('RCPT', res.rcptMs / res.rcpts.length, res.rcpts.every((r) => r.rcptCode === 250 || r.rcptCode === 251));
            const accepted = res.rcpts.filter((r) => r.dataCode !== null);
            if (accepted.length) ctx.stats.record('DATA', res.dataMs, accepted.every((r) => r.dataCode === 250));
            ctx.stats.record('delivery', res.totalMs, res.rcpts.length > 0 && res.rcpts.every((r) => r.dataCode === 250));
            for (let i = 0; i < rcpts.length; i++) {
              const r = res.rcpts[i];
              const e = entries[i]!;
              if (r && r.dataCode === 250) e.state = 'stored';
              else {
                e.state = 'refused';
                const code = r?.dataCode ?? r?.rcptCode ?? res.mailCode;
                if (code >= 500 || !r) ctx.stats.protocolError(`LMTP ${rcpts[i]!.user}: ${code} ${r?.text ?? 'MAIL refused'}`.slice(0, 200));
                else ctx.stats.failure(`LMTP ${rcpts[i]!.user}: ${r.text}`.slice(0, 200));
              }
            }
          }
          await c.quit();
        } catch (e) {
          if (!ctx.isStopping()) ctx.stats.protocolError(`LMTP: ${errMsg(e)}`);
        } finally { c.destroy(); untrack(); }
      }
    });
    return { extra: { rate: opts.rate, deliveriesOverOneSecondLate: late } };
  },
  async verify(ctx) { return verifyImap(ctx.target, ctx.ledger, ctx.passwordOf); },
};
