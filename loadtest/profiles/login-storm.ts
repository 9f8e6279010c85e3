/**
 * login-storm: as many full logins per second as the server takes: connect (greeting),
 * STARTTLS when the TLS mode says so, login, logout; each step timed, plus the whole session.
 * --protocol imap (LOGIN), pop3 (USER/PASS) or sieve (AUTHENTICATE PLAIN).
 */
import { connectImap, SessionError } from '../lib/imap-session.js';
import { quote } from '../lib/imap-client.js';
import { Pop3Client } from '../lib/pop3-client.js';
import { SieveClient } from '../lib/sieve-client.js';
import { nextSource } from '../lib/target.js';
import type { Credential } from '../lib/users.js';
import { errMsg, pause, runClients, track } from './common.js';
import type { Profile, RunContext } from './types.js';

const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function imapOnce(ctx: RunContext, u: Credential): Promise<void> {
  const s0 = process.hrtime.bigint();
  const { client, connectMs, tlsMs } = await connectImap(ctx.target);
  const untrack = track(ctx, client);
  try {
    ctx.stats.record('connect', connectMs);
    if (tlsMs > 0) ctx.stats.record('STARTTLS', tlsMs);
    const r = await client.command(`LOGIN ${quote(u.user)} ${quote(u.pass)}`);
    ctx.stats.record('LOGIN', r.ms, r.status === 'OK');
    if (r.status !== 'OK') ctx.stats.protocolError(`LOGIN ${u.user}: ${r.status} ${r.text}`.slice(0, 200));
    const l = await client.command('LOGOUT', { timeoutMs: 10_000 });
    ctx.stats.record('LOGOUT', l.ms, l.status === 'OK');
    ctx.stats.record('session', since(s0), r.status === 'OK');
  } finally { client.destroy(); untrack(); }
}

async function pop3Once(ctx: RunContext, u: Credential): Promise<void> {
  const t = ctx.target;
  const s0 = process.hrtime.bigint();
  const c = await Pop3Client.connect(t, t.ports.pop3!, t.tls === 'implicit', nextSource(t));
  const untrack = track(ctx, c);
  try {
    ctx.stats.record('connect', since(s0));
    if (t.tls === 'starttls' || t.tls === 'auto') {
      const caps = await c.capabilities();
      if (caps.has('STLS')) { const r = await c.stls(); ctx.stats.record('STLS', r.ms, r.ok); }
    }
    const l = await c.login(u.user, u.pass);
    ctx.stats.record('LOGIN', l.ms, l.ok);
    if (!l.ok && !/IN-USE/i.test(l.text)) ctx.stats.protocolError(`POP3 login ${u.user}: ${l.text}`.slice(0, 200));
    const q = await c.quit();
    ctx.stats.record('QUIT', q.ms, q.ok);
    ctx.stats.record('session', since(s0), l.ok);
  } finally { c.destroy(); untrack(); }
}

async function sieveOnce(ctx: RunContext, u: Credential): Promise<void> {
  const t = ctx.target;
  const s0 = process.hrtime.bigint();
  const c = await SieveClient.connect(t, t.ports.sieve!, t.tls === 'implicit', nextSource(t));
  const untrack = track(ctx, c);
  try {
    ctx.stats.record('connect', since(s0));
    if ((t.tls === 'starttls' || t.tls === 'auto') && c.capabilities.has('STARTTLS')) {
      const r = await c.startTls(); ctx.stats.record('STARTTLS', r.ms, r.status === 'OK');
    }
    const a = await c.authenticate(u.user, u.pass);
    ctx.stats.record('AUTHENTICATE', a.ms, a.status === 'OK');
    if (a.status !== 'OK') ctx.stats.protocolError(`ManageSieve login ${u.user}: ${a.status} ${a.text}`.slice(0, 200));
    const l0 = process.hrtime.bigint();
    await c.logout();
    ctx.stats.record('LOGOUT', since(l0));
    ctx.stats.record('session', since(s0), a.status === 'OK');
  } finally { c.destroy(); untrack(); }
}

export const loginStorm: Profile = {
  name: 'login-storm',
  summary: 'connect, TLS, login, logout as fast as possible',
  needs: (o) => [o.protocol],
  async run(ctx) {
    const once = ctx.opts.protocol === 'pop3' ? pop3Once : ctx.opts.protocol === 'sieve' ? sieveOnce : imapOnce;
    await runClients(ctx.opts.clients, async () => {
      while (!ctx.isStopping()) {
        const u = ctx.users.pick(ctx.rand);
        try { await once(ctx, u); } catch (e) {
          if (e instanceof SessionError && e.stage !== 'connect') ctx.stats.protocolError(e.message);
          else if (!ctx.isStopping()) ctx.stats.connectError(errMsg(e));
          await pause(ctx, 50);
        }
      }
    });
    return { extra: { protocol: ctx.opts.protocol } };
  },
};
