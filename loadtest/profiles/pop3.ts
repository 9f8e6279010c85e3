/**
 * pop3: download and delete (RFC 1939). Before the clock starts every user of this worker gets
 * --seed-per-user tracked messages (IMAP APPEND). Then each client logs in as a random user,
 * STAT, UIDL, RETR every message (checking its checksum on the spot), DELE it (unless --keep)
 * and QUIT. A message deleted in a session whose QUIT succeeded is "consumed"; consumed twice
 * is a duplicate; neither consumed nor still in the maildrop is lost. Concurrent logins to one
 * maildrop may be refused ([IN-USE], RFC 2449 §8.1.2): that is counted, not an error.
 */
import { Pop3Client } from '../lib/pop3-client.js';
import { nextSource } from '../lib/target.js';
import { checkMessage, splitMessage } from '../lib/tracked-message.js';
import { Ledger, type Entry } from '../lib/ledger.js';
import { seedImap } from '../lib/seed.js';
import { verifyImap } from '../lib/verify-imap.js';
import { errMsg, pause, runClients, track } from './common.js';
import type { Profile, RunContext } from './types.js';

async function openPop3(ctx: RunContext): Promise<Pop3Client> {
  const t = ctx.target;
  const c = await Pop3Client.connect(t, t.ports.pop3!, t.tls === 'implicit', nextSource(t));
  if (t.tls === 'starttls' || t.tls === 'auto') {
    const caps = await c.capabilities();
    if (caps.has('STLS')) {
      const r = await c.stls();
      if (!r.ok) { c.destroy(); throw new Error(`STLS: ${r.text}`); }
    }
  }
  return c;
}

const retrCorrupted = new WeakMap<RunContext, Set<string>>();

export const pop3Profile: Profile = {
  name: 'pop3',
  summary: 'POP3 download-and-delete of seeded tracked messages',
  needs: () => ['pop3'],
  async prepare(ctx) {
    await seedImap(ctx.target, ctx.users.list, ctx.opts.seedPerUser, 'INBOX', ctx.ledger, ctx.opts.sizes, ctx.rand);
  },
  async run(ctx) {
    const corrupted = new Set<string>();
    retrCorrupted.set(ctx, corrupted);
    let inUse = 0, sessions = 0, retrieved = 0;
    // One session per maildrop at a time from this generator: two unlocked sessions (Dovecot
    // pop3_lock_session = no) may both download and delete a message, which is POP3, not a bug.
    const busy = new Set<string>();
    const pickFree = () => {
      for (let i = 0; i < 20; i++) { const u = ctx.users.pick(ctx.rand); if (!busy.has(u.user)) return u; }
      return null;
    };
    await runClients(ctx.opts.clients, async () => {
      while (!ctx.isStopping()) {
        const u = pickFree();
        if (!u) { await pause(ctx, 10); continue; }
        busy.add(u.user);
        let c: Pop3Client;
        try { c = await openPop3(ctx); } catch (e) { busy.delete(u.user); ctx.stats.connectError(errMsg(e)); await pause(ctx, 200); continue; }
        const untrack = track(ctx, c);
        const deleted: Entry[] = [];
        let step = 'LOGIN';
        try {
          const l = await c.login(u.user, u.pass);
          if (!l.ok && /IN-USE|in use|lock/i.test(l.text)) { inUse++; ctx.stats.record('LOGIN', l.ms, false); await c.quit(); await pause(ctx, 20); continue; }
          ctx.stats.record('LOGIN', l.ms, l.ok);
          if (!l.ok) { ctx.stats.protocolError(`POP3 login ${u.user}: ${l.text}`); await c.quit(); continue; }
          sessions++;
          step = 'STAT';
          const st = await c.cmd('STAT');
          ctx.stats.record('STAT', st.ms, st.ok);
          step = 'UIDL';
          const ul = await c.multi('UIDL');
          ctx.stats.record('UIDL', ul.ms, ul.ok);
          const nums = ul.lines.map((x) => Number(x.split(' ')[0])).filter((n) => n > 0);
          for (const n of nums) {
            if (ctx.isStopping()) break;
            step = 'RETR';
            const r = await c.retr(n);
            ctx.stats.record('RETR', r.ms, r.ok);
            if (!r.ok) { ctx.stats.protocolError(`POP3 RETR ${n} ${u.user}: ${r.text}`); continue; }
            retrieved++;
            const { header, body } = splitMessage(r.message);
            const chk = checkMessage(header, body, ctx.ledger.idPrefix);
            if (chk.kind === 'foreign') continue;
            const e = ctx.ledger.get(chk.id, u.user);
            if (!e) continue;
            if (chk.kind === 'corrupted') corrupted.add(Ledger.key(chk.id, u.user));
            if (ctx.opts.pop3Delete) {
              step = 'DELE';
              const d = await c.cmd(`DELE ${n}`);
              ctx.stats.record('DELE', d.ms, d.ok);
              if (d.ok) { e.mayBeGone = true; deleted.push(e); }
              else ctx.stats.protocolError(`POP3 DELE ${n} ${u.user}: ${d.text}`);
            }
          }
          step = 'QUIT';
          const q = await c.quit();
          ctx.stats.record('QUIT', q.ms, q.ok);
          // RFC 1939 §6: the deletions happen in the UPDATE state, i.e. only after QUIT's +OK.
          if (q.ok) for (const e of deleted) e.consumed++;
        } catch (e) {
          if (!ctx.isStopping()) ctx.stats.protocolError(`POP3 ${step} ${u.user}: ${errMsg(e)}`);
        } finally { c.destroy(); untrack(); busy.delete(u.user); }
      }
    });
    return { extra: { sessions, retrieved, loginsRefusedInUse: inUse, seededMessages: ctx.ledger.size } };
  },
  async verify(ctx) { return verifyImap(ctx.target, ctx.ledger, ctx.passwordOf, [], retrCorrupted.get(ctx) ?? new Set()); },
};
