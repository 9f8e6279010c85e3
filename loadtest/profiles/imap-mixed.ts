/**
 * imap-mixed: the same states, probabilities and counting as Dovecot imaptest's default run
 * (dovecot/imaptest src/client-state.c states[]), so figures can be set beside imaptest's:
 *
 *   state     prob  again  command
 *   LOGIN     100          LOGIN "user" "pass"
 *   LIST       50          LIST "" *
 *   STATUS     50          STATUS box (MESSAGES UNSEEN RECENT)
 *   SELECT    100          SELECT box
 *   FETCH     100          FETCH <≤100 random seqs> (1–4 of UID FLAGS ENVELOPE INTERNALDATE BODY BODYSTRUCTURE RFC822.SIZE / BODY.PEEK[HEADER.FIELDS (...)])
 *   FETCH2    100    30    FETCH <seq> (UID BODY.PEEK[HEADER] | RFC822.HEADER | BODY.PEEK[] | BODY.PEEK[1] | BODY.PEEK[TEXT])
 *   SEARCH      0          SEARCH <flag criteria>
 *   COPY       33     5    COPY <seq>:<seq+≤5> copybox   (0 unless --copybox, like imaptest)
 *   MOVE        0          UID MOVE to copybox (RFC 6851; ours, not in imaptest)
 *   STORE      50          STORE <random seqs> [+|-]FLAGS[.SILENT] (<random flags>)
 *   DELETE    100          STORE <random seqs> +FLAGS[.SILENT] (\Deleted)
 *   EXPUNGE   100          EXPUNGE
 *   APPEND    100     5    APPEND box [(flags)] [date] {n}   (only while the mailbox has < msgs messages)
 *   NOOP/CHECK  0
 *   IDLE        0          IDLE for --idle-ms, DONE (RFC 2177; ours)
 *   LOGOUT    100          LOGOUT
 *
 * A session walks the states in this order, running each with its probability and repeating it
 * with its "again" probability; with LOGOUT at 100 % each session is one pass, then the client
 * reconnects as a random user. Counting is imaptest's: per state, the number of OK replies.
 * Commands are sent one at a time (imaptest's no_pipelining), and the DELETE state first reads
 * the X-Loadtest-Id of the messages it flags (counted as "track", not as DELETE), so the
 * read-back knows those may be gone.
 */
import type { ImapClient, ImapResponse } from '../lib/imap-client.js';
import { quote } from '../lib/imap-client.js';
import { openImap, SessionError } from '../lib/imap-session.js';
import { applyMailboxUpdates, parseFetch, itemStarting } from '../lib/imap-fetch.js';
import { makeTracked, pickSize, headerValue, ID_HEADER } from '../lib/tracked-message.js';
import { verifyImap } from '../lib/verify-imap.js';
import { errMsg, pause, runClients, track } from './common.js';
import type { Profile, RunContext } from './types.js';

export const STATE_ORDER = ['LIST', 'STATUS', 'SELECT', 'FETCH', 'FETCH2', 'SEARCH', 'COPY', 'MOVE', 'STORE', 'DELETE', 'EXPUNGE', 'APPEND', 'NOOP', 'CHECK', 'IDLE', 'LOGOUT'] as const;
export type MixState = typeof STATE_ORDER[number] | 'LOGIN';

/** imaptest's defaults: [probability %, again %]. */
export const DEFAULT_MIX: Record<MixState, [number, number]> = {
  LOGIN: [100, 0], LIST: [50, 0], STATUS: [50, 0], SELECT: [100, 0], FETCH: [100, 0], FETCH2: [100, 30],
  SEARCH: [0, 0], COPY: [33, 5], MOVE: [0, 0], STORE: [50, 0], DELETE: [100, 0], EXPUNGE: [100, 0],
  APPEND: [100, 5], NOOP: [0, 0], CHECK: [0, 0], IDLE: [0, 0], LOGOUT: [100, 0],
};

const SELECTED_ONLY = new Set<MixState>(['FETCH', 'FETCH2', 'SEARCH', 'COPY', 'MOVE', 'STORE', 'DELETE', 'EXPUNGE']);

/** The effective mix: defaults, then overrides; COPY/MOVE off without a copybox (imaptest fix_probabilities). */
export function effectiveMix(over: Record<string, [number, number]>, copybox: string | null): Record<MixState, [number, number]> {
  const m = { ...DEFAULT_MIX };
  for (const [k, v] of Object.entries(over)) m[k as MixState] = v;
  if (!copybox) { m.COPY = [0, 0]; m.MOVE = [0, 0]; }
  return m;
}

const FETCH_FIELDS = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'BODY', 'BODYSTRUCTURE', 'RFC822.SIZE'];
const HEADER_FIELDS = ['From', 'To', 'Cc', 'Subject', 'References', 'In-Reply-To', 'Message-ID', 'Delivered-To'];
const FETCH2_FIELDS = ['BODY.PEEK[HEADER]', 'RFC822.HEADER', 'BODY.PEEK[]', 'BODY.PEEK[1]', 'BODY.PEEK[TEXT]'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '$Label1', '$Label2', 'Junk'];
const SEARCHES = ['FLAGGED', 'UNSEEN', 'SEEN ANSWERED', 'OR FLAGGED DRAFT', 'LARGER 4000', 'SUBJECT loadtest'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function randomSeqs(rand: () => number, msgs: number, count: number): number[] {
  const s = new Set<number>();
  for (let i = 0; i < count * 3 && s.size < count; i++) s.add(1 + Math.floor(rand() * msgs));
  return [...s].sort((a, b) => a - b);
}

/** 1,2,3,7 → "1:3,7" */
export function seqSet(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; i++) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(j > i ? `${seqs[i]}:${seqs[j]}` : `${seqs[i]}`);
    i = j;
  }
  return out.join(',');
}

function randomFlags(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 3);
  const f = new Set<string>();
  for (let i = 0; i < n; i++) f.add(FLAGS[Math.floor(rand() * FLAGS.length)]!);
  return [...f].join(' ');
}

function imapDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

interface SessionState { c: ImapClient; user: string; selected: boolean; msgs: number; current: string }

/** Runs one command, records its latency under `state`, applies EXISTS/EXPUNGE; BAD is a protocol error. */
async function exec(ctx: RunContext, s: SessionState, state: string, parts: string | (string | Buffer)[], okIfNo = false): Promise<ImapResponse> {
  s.current = state;
  const r = await s.c.command(parts);
  s.msgs = applyMailboxUpdates(r.untagged, s.msgs);
  for (const u of r.untagged) if (/^BYE\b/i.test(u) && state !== 'LOGOUT') ctx.stats.protocolError(`${state}: unexpected BYE: ${u.slice(0, 120)}`);
  const ok = r.status === 'OK' || (okIfNo && r.status === 'NO');
  ctx.stats.record(state, r.ms, ok);
  if (r.status === 'BAD') ctx.stats.protocolError(`${state} ${s.user}: BAD ${r.text.slice(0, 160)} (sent: ${(typeof parts === 'string' ? parts : String(parts[0])).slice(0, 80)}; client view: ${s.msgs} messages)`);
  else if (!ok) ctx.stats.failure(`${state} ${s.user}: ${r.status} ${r.text.slice(0, 160)}`);
  return r;
}

/**
 * A command outside the mix (CREATE after TRYCREATE): not counted, but its untagged EXPUNGE /
 * EXISTS still move the sequence numbers (RFC 3501 §7.4.1 lets any command carry them).
 */
async function aside(s: SessionState, cmd: string): Promise<void> {
  const r = await s.c.command(cmd);
  s.msgs = applyMailboxUpdates(r.untagged, s.msgs);
}

async function runState(ctx: RunContext, s: SessionState, state: MixState): Promise<boolean> {
  const { rand, opts, ledger } = ctx;
  const box = opts.box;
  switch (state) {
    case 'LIST': await exec(ctx, s, state, 'LIST "" *'); break;
    case 'STATUS': await exec(ctx, s, state, `STATUS ${quote(box)} (MESSAGES UNSEEN RECENT)`); break;
    case 'SELECT': {
      if (s.selected) break;
      let r = await exec(ctx, s, state, `SELECT ${quote(box)}`);
      if (r.status === 'NO' && box.toUpperCase() !== 'INBOX') {
        await aside(s, `CREATE ${quote(box)}`);
        r = await exec(ctx, s, state, `SELECT ${quote(box)}`);
      }
      if (r.status === 'OK') {
        s.selected = true;
        for (const u of r.untagged) { const m = /^(\d+) EXISTS/i.exec(u); if (m) s.msgs = Number(m[1]); }
      }
      break;
    }
    case 'FETCH': {
      const seqs = randomSeqs(rand, s.msgs, Math.min(s.msgs, 100));
      const items: string[] = [];
      for (let i = 1 + Math.floor(rand() * 4); i > 0; i--) {
        if (rand() < 0.75) items.push(FETCH_FIELDS[Math.floor(rand() * FETCH_FIELDS.length)]!);
        else {
          const h = new Set<string>();
          for (let j = 1 + Math.floor(rand() * 4); j > 0; j--) h.add(HEADER_FIELDS[Math.floor(rand() * HEADER_FIELDS.length)]!);
          items.push(`BODY.PEEK[HEADER.FIELDS (${[...h].join(' ')})]`);
        }
      }
      await exec(ctx, s, state, `FETCH ${seqSet(seqs)} (${items.join(' ')})`);
      break;
    }
    case 'FETCH2': {
      const seq = 1 + Math.floor(rand() * s.msgs);
      await exec(ctx, s, state, `FETCH ${seq} (UID ${FETCH2_FIELDS[Math.floor(rand() * FETCH2_FIELDS.length)]})`);
      break;
    }
    case 'SEARCH': await exec(ctx, s, state, `SEARCH ${SEARCHES[Math.floor(rand() * SEARCHES.length)]}`); break;
    case 'COPY': {
      const a = 1 + Math.floor(rand() * s.msgs);
      const b = a + Math.min(Math.floor(rand() * (s.msgs - a + 1)), 5);
      const r = await exec(ctx, s, state, `COPY ${a}:${Math.min(b, s.msgs)} ${quote(opts.copybox!)}`, true);
      if (r.status === 'NO' && /TRYCREATE/i.test(r.text)) await aside(s, `CREATE ${quote(opts.copybox!)}`);
      break;
    }
    case 'MOVE': {
      const seqs = randomSeqs(rand, s.msgs, Math.min(s.msgs, 1 + Math.floor(rand() * 5)));
      const ids = await trackIds(ctx, s, seqs);
      const entries = ids.map((x) => ledger.get(x.id, s.user)).filter((e) => e !== undefined);
      for (const e of entries) { e.box = opts.copybox!; e.moved = true; }
      if (ids.length === 0) break;
      let r: ImapResponse;
      try {
        r = await exec(ctx, s, state, `UID MOVE ${ids.map((x) => x.uid).join(',')} ${quote(opts.copybox!)}`);
      } catch (e) { for (const en of entries) en.state = 'uncertain'; throw e; }
      if (r.status === 'NO' && /TRYCREATE/i.test(r.text)) await aside(s, `CREATE ${quote(opts.copybox!)}`);
      if (r.status !== 'OK') for (const e of entries) { e.box = box; e.moved = false; }
      break;
    }
    case 'STORE': {
      const count = Math.floor(rand() * (s.msgs < 10 ? s.msgs : Math.min(Math.floor(s.msgs / 5), 50)));
      if (count === 0) break;
      const seqs = randomSeqs(rand, s.msgs, count);
      const op = ['+', '-', ''][Math.floor(rand() * 3)];
      await exec(ctx, s, state, `STORE ${seqSet(seqs)} ${op}FLAGS${rand() < 0.5 ? '.SILENT' : ''} (${randomFlags(rand)})`);
      break;
    }
    case 'DELETE': {
      const count = s.msgs > opts.msgs + 5 ? Math.floor(rand() * (s.msgs - opts.msgs)) : Math.floor(rand() * 5);
      if (count === 0) break;
      const seqs = randomSeqs(rand, s.msgs, count);
      const ids = opts.verify ? await trackIds(ctx, s, seqs) : [];
      // Intent first: from here on these messages may disappear (another session may EXPUNGE them).
      for (const x of ids) { const e = ledger.get(x.id, s.user); if (e) e.mayBeGone = true; }
      if (opts.verify) {
        if (ids.length === 0) break;
        await exec(ctx, s, state, `UID STORE ${ids.map((x) => x.uid).join(',')} +FLAGS${rand() < 0.5 ? '.SILENT' : ''} (\\Deleted)`);
      } else {
        await exec(ctx, s, state, `STORE ${seqSet(seqs)} +FLAGS${rand() < 0.5 ? '.SILENT' : ''} (\\Deleted)`);
      }
      break;
    }
    case 'EXPUNGE': await exec(ctx, s, state, 'EXPUNGE'); break;
    case 'APPEND': {
      if (s.selected && s.msgs >= opts.msgs) break;
      const id = ledger.nextId();
      const m = makeTracked(id, s.user, pickSize(opts.sizes, rand), rand);
      const e = ledger.add(id, m.sum, s.user, box);
      const flags = rand() < 0.5 ? ` (${randomFlags(rand)})` : '';
      const date = rand() < 0.5 ? ` "${imapDate(new Date())}"` : '';
      let r: ImapResponse;
      try {
        r = await exec(ctx, s, state, [`APPEND ${quote(box)}${flags}${date} `, m.data]);
      } catch (err) { e.state = 'uncertain'; throw err; }
      if (r.status === 'OK') e.state = 'stored';
      else {
        e.state = 'refused';
        if (r.status === 'NO' && /TRYCREATE/i.test(r.text)) await aside(s, `CREATE ${quote(box)}`);
        else if (r.status === 'NO') ctx.stats.protocolError(`APPEND ${s.user}: NO ${r.text.slice(0, 160)}`);
      }
      break;
    }
    case 'NOOP': await exec(ctx, s, state, 'NOOP'); break;
    case 'CHECK': await exec(ctx, s, state, 'CHECK'); break;
    case 'IDLE': {
      if (!s.c.capabilities.has('IDLE') && s.c.capabilities.size > 0) break;
      s.current = 'IDLE';
      const { entered, done } = s.c.startIdle();
      await entered;
      await pause(ctx, opts.idleMs);
      const t0 = process.hrtime.bigint();
      s.c.idleDone();
      const r = await done;
      s.msgs = applyMailboxUpdates(r.untagged, s.msgs);
      ctx.stats.record('IDLE', Number(process.hrtime.bigint() - t0) / 1e6, r.status === 'OK');
      if (r.status === 'BAD') ctx.stats.protocolError(`IDLE ${s.user}: BAD ${r.text}`);
      break;
    }
    case 'LOGOUT': {
      await exec(ctx, s, state, 'LOGOUT');
      return false;
    }
    default: break;
  }
  return true;
}

/** FETCH the ids of `seqs` (bookkeeping, recorded as "track"). */
async function trackIds(ctx: RunContext, s: SessionState, seqs: number[]): Promise<{ uid: number; id: string }[]> {
  if (seqs.length === 0) return [];
  const r = await exec(ctx, s, 'track', `FETCH ${seqSet(seqs)} (UID BODY.PEEK[HEADER.FIELDS (${ID_HEADER})])`);
  const out: { uid: number; id: string }[] = [];
  for (const u of r.untagged) {
    const f = parseFetch(u);
    if (!f) continue;
    const uid = Number(f.items.get('UID'));
    const h = itemStarting(f, 'BODY[HEADER.FIELDS');
    if (!uid || h === undefined) continue;
    out.push({ uid, id: headerValue(h, ID_HEADER) ?? '' });
  }
  return out;
}

function nextState(ctx: RunContext, mix: Record<MixState, [number, number]>, from: MixState): MixState {
  let i = from === 'LOGIN' ? 0 : STATE_ORDER.indexOf(from as typeof STATE_ORDER[number]) + 1;
  for (let guard = 0; guard < 10_000; guard++) {
    if (i >= STATE_ORDER.length) i = 0;
    const st = STATE_ORDER[i]!;
    if (ctx.rand() * 100 < mix[st][0]) return st;
    i = st === 'LOGOUT' ? 0 : i + 1;
  }
  return 'LOGOUT';
}

async function session(ctx: RunContext, mix: Record<MixState, [number, number]>, s: SessionState): Promise<void> {
  let state: MixState = 'LOGIN';
  let skipped = 0;
  for (;;) {
    if (ctx.isStopping()) { await exec(ctx, s, 'LOGOUT', 'LOGOUT'); return; }
    const again = state !== 'LOGIN' && ctx.rand() * 100 < mix[state][1];
    if (!again) state = nextState(ctx, mix, state);
    const cannot = (SELECTED_ONLY.has(state) && (!s.selected || s.msgs === 0));
    if (cannot) {
      // imaptest skips commands that need a selected, non-empty mailbox; yield now and then so a
      // mix without SELECT/LOGOUT cannot spin the event loop.
      if (++skipped % 1000 === 0) await new Promise((r) => setImmediate(r));
      continue;
    }
    if (!(await runState(ctx, s, state))) return;
  }
}

export const imapMixed: Profile = {
  name: 'imap-mixed',
  summary: 'imaptest-compatible IMAP mix (login, list, status, select, fetch, store, delete, expunge, append, logout)',
  needs: () => ['imap'],
  async run(ctx) {
    const mix = effectiveMix(ctx.opts.mix, ctx.opts.copybox);
    await runClients(ctx.opts.clients, async () => {
      while (!ctx.isStopping()) {
        const cred = ctx.users.pick(ctx.rand);
        let opened;
        try {
          opened = await openImap(ctx.target, cred.user, cred.pass);
        } catch (e) {
          if (e instanceof SessionError && e.stage !== 'connect') ctx.stats.protocolError(e.message);
          else ctx.stats.connectError(errMsg(e));
          await pause(ctx, 200);
          continue;
        }
        const c = opened.client;
        const untrack = track(ctx, c);
        ctx.stats.record('LOGIN', opened.loginMs, opened.loginOk);
        const s: SessionState = { c, user: cred.user, selected: false, msgs: 0, current: 'LOGIN' };
        try {
          if (!opened.loginOk) { ctx.stats.protocolError(`LOGIN ${cred.user}: ${opened.loginText.slice(0, 160)}`); continue; }
          await session(ctx, mix, s);
        } catch (e) {
          if (!(ctx.isStopping() && c.closed)) ctx.stats.protocolError(`${s.current} ${cred.user}: ${errMsg(e)}`);
        } finally {
          c.destroy();
          untrack();
        }
      }
    });
    return { extra: { mix } };
  },
  async verify(ctx) {
    return verifyImap(ctx.target, ctx.ledger, ctx.passwordOf, ctx.opts.copybox ? [ctx.opts.copybox] : []);
  },
};
