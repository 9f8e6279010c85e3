/**
 * idle-soak: open --sessions authenticated IMAP sessions (at --ramp per second, spread over
 * --source-addresses such as 127.0.0.2-127.0.0.60 so one source address never runs out of
 * ports), SELECT INBOX, IDLE (RFC 2177), hold them until the duration ends, then DONE and
 * LOGOUT. With --server-pid the server's RSS (with its children) is sampled every second; the
 * result holds memory before, at the peak and per held session. A session the server drops
 * while idling is a protocol error (RFC 3501 §5.4: the autologout timer is at least 30 minutes).
 * With --rate N, N tracked messages per second are APPENDed (over separate sessions) to users
 * that are idling, and "push" is the time from the APPEND to the first "* n EXISTS" an idling
 * session of that user sees; those messages are read back at the end like every other.
 */
import { openImap, SessionError } from '../lib/imap-session.js';
import type { ImapClient } from '../lib/imap-client.js';
import { quote } from '../lib/imap-client.js';
import { makeTracked, pickSize } from '../lib/tracked-message.js';
import { verifyImap } from '../lib/verify-imap.js';
import { nextSource } from '../lib/target.js';
import { serverRssKb } from '../cli/run.js';
import { errMsg, pause, track } from './common.js';
import type { Profile, RunContext } from './types.js';

/** APPEND start times waiting for an idling session of the user to see EXISTS. */
type PushWaiters = Map<string, number[]>;
/** Highest EXISTS seen per user: several sessions of one user all see each new message once. */
const seenExists = new WeakMap<PushWaiters, Map<string, number>>();

function noteExists(waiters: PushWaiters, user: string, n: number): boolean {
  let m = seenExists.get(waiters);
  if (!m) { m = new Map(); seenExists.set(waiters, m); }
  if (n <= (m.get(user) ?? 0)) return false;
  m.set(user, n);
  return true;
}

function onPush(ctx: RunContext, waiters: PushWaiters, user: string, line: string): void {
  const e = /^(\d+) EXISTS/i.exec(line);
  if (!e || !noteExists(waiters, user, Number(e[1]))) return;
  const t0 = waiters.get(user)?.shift();
  if (t0 !== undefined) ctx.stats.record('push', Date.now() - t0);
}

async function pusher(ctx: RunContext, waiters: PushWaiters, idling: () => number[]): Promise<void> {
  const conns = new Map<string, ImapClient>();
  const interval = 1000 / ctx.opts.rate;
  let next = Date.now();
  try {
    while (!ctx.isStopping()) {
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await pause(ctx, wait);
      if (ctx.isStopping()) break;
      const idx = idling();
      if (idx.length === 0) continue;
      const u = ctx.users.get(idx[Math.floor(ctx.rand() * idx.length)]!);
      let c = conns.get(u.user);
      if (!c || c.closed) {
        const s = await openImap(ctx.target, u.user, u.pass);
        if (!s.loginOk) { s.client.destroy(); ctx.stats.protocolError(`push LOGIN ${u.user}: ${s.loginText}`); continue; }
        c = s.client; conns.set(u.user, c);
      }
      const id = ctx.ledger.nextId();
      const m = makeTracked(id, u.user, pickSize(ctx.opts.sizes, ctx.rand), ctx.rand);
      const e = ctx.ledger.add(id, m.sum, u.user, 'INBOX');
      const q = waiters.get(u.user) ?? []; waiters.set(u.user, q);
      q.push(Date.now());
      try {
        const r = await c.command([`APPEND ${quote('INBOX')} `, m.data]);
        ctx.stats.record('APPEND', r.ms, r.status === 'OK');
        e.state = r.status === 'OK' ? 'stored' : 'refused';
        if (r.status !== 'OK') { q.pop(); ctx.stats.protocolError(`push APPEND ${u.user}: ${r.status} ${r.text}`); }
      } catch (err) { e.state = 'uncertain'; q.pop(); if (!ctx.isStopping()) ctx.stats.protocolError(`push APPEND ${u.user}: ${errMsg(err)}`); }
    }
  } finally {
    await Promise.all([...conns.values()].map((c) => c.logout()));
  }
}

async function holdOne(ctx: RunContext, i: number, peak: { n: number }, waiters: PushWaiters, idling: Set<number>): Promise<void> {
  const u = ctx.users.get(i);
  let s;
  try { s = await openImap(ctx.target, u.user, u.pass, nextSource(ctx.target)); } catch (e) {
    if (e instanceof SessionError && e.stage !== 'connect') ctx.stats.protocolError(e.message);
    else ctx.stats.connectError(errMsg(e));
    return;
  }
  const c = s.client;
  const untrack = track(ctx, c);
  try {
    ctx.stats.record('LOGIN', s.loginMs, s.loginOk);
    if (!s.loginOk) { ctx.stats.protocolError(`LOGIN ${u.user}: ${s.loginText}`); return; }
    c.onUntagged = (line) => { if (idling.has(i)) onPush(ctx, waiters, u.user, line); };
    const sel = await c.command('SELECT INBOX');
    ctx.stats.record('SELECT', sel.ms, sel.status === 'OK');
    for (const l of sel.untagged) { const m = /^(\d+) EXISTS/i.exec(l); if (m) noteExists(waiters, u.user, Number(m[1])); }
    const t0 = process.hrtime.bigint();
    const { entered, done } = c.startIdle();
    await entered;
    ctx.stats.record('IDLE', Number(process.hrtime.bigint() - t0) / 1e6);
    peak.n = Math.max(peak.n, ctx.sessions.open);
    idling.add(i);
    const dropped = new Promise<'dropped'>((r) => { void done.then(() => r('dropped'), () => r('dropped')); });
    const why = await Promise.race([ctx.stopped.then(() => 'stop' as const), dropped]);
    if (why === 'dropped') { ctx.stats.protocolError(`IDLE ${u.user}: session ended by the server while idling`); return; }
    idling.delete(i);
    const d0 = process.hrtime.bigint();
    c.idleDone();
    const r = await done;
    ctx.stats.record('DONE', Number(process.hrtime.bigint() - d0) / 1e6, r.status === 'OK');
    const l = await c.command('LOGOUT', { timeoutMs: 10_000 });
    ctx.stats.record('LOGOUT', l.ms, l.status === 'OK');
  } catch (e) {
    if (!ctx.isStopping()) ctx.stats.protocolError(`IDLE session ${u.user}: ${errMsg(e)}`);
  } finally { idling.delete(i); c.destroy(); untrack(); }
}

export const idleSoak: Profile = {
  name: 'idle-soak',
  summary: 'hold N IMAP IDLE sessions, sample server memory',
  needs: () => ['imap'],
  async run(ctx) {
    const { opts } = ctx;
    const pids = opts.serverPids;
    const before = pids.length ? serverRssKb(pids) : undefined;
    let peakRss = before ?? 0;
    const sampler = pids.length ? setInterval(() => { peakRss = Math.max(peakRss, serverRssKb(pids)); }, 1000) : undefined;
    const peak = { n: 0 };
    const waiters: PushWaiters = new Map();
    const idling = new Set<number>();
    const all: Promise<void>[] = [];
    if (opts.rate > 0) all.push(pusher(ctx, waiters, () => [...idling]).catch((e) => { if (!ctx.isStopping()) ctx.stats.protocolError(`pusher: ${errMsg(e)}`); }));
    const t0 = Date.now();
    try {
      for (let i = 0; i < opts.sessions && !ctx.isStopping(); i++) {
        if (opts.ramp > 0) {
          const due = t0 + (i / opts.ramp) * 1000;
          if (due > Date.now()) await pause(ctx, due - Date.now());
        } else if (i % 50 === 49) {
          await new Promise((r) => setTimeout(r, 5)); // let handshakes progress
        }
        all.push(holdOne(ctx, i, peak, waiters, idling));
      }
      const established = Date.now();
      await ctx.stopped;
      const atStop = pids.length ? serverRssKb(pids) : undefined;
      if (atStop !== undefined) peakRss = Math.max(peakRss, atStop);
      await Promise.all(all);
      const held = peak.n;
      return {
        extra: {
          sessionsTarget: opts.sessions, sessionsPeak: held, rampSeconds: (established - t0) / 1000,
          sourceAddresses: ctx.target.sourceAddresses.length,
          ...(before !== undefined ? {
            serverRssBeforeKb: before, serverRssPeakKb: peakRss, serverRssAtStopKb: atStop,
            serverKbPerSession: held > 0 ? Math.round(((atStop ?? peakRss) - before) / held * 10) / 10 : null,
          } : {}),
        },
      };
    } finally { if (sampler) clearInterval(sampler); }
  },
  async verify(ctx) { return verifyImap(ctx.target, ctx.ledger, ctx.passwordOf); },
};
