/**
 * The one place a message is stored for a recipient, whether it came by LMTP or the deliver
 * command: resolve the recipient, run the global and the user's Sieve scripts, store the copies
 * (INBOX, fileinto folders, with imap4flags and editheader changes) and hand redirects, forwards,
 * vacation replies and reject notices to the relay.
 *
 * Never losing a message decides the order: `ereject` is checked before anything happens; copies
 * are stored (and fsynced by the store) before anything is sent; a script that fails to parse or
 * run leaves the implicit keep (INBOX) and a log line; a redirect that cannot be sent, when no copy
 * was stored, puts the message in INBOX.
 */
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { MailError, toMailError } from '../../core/src/errors.js';
import { LIMITS } from '../../core/src/limits.js';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { MailAccount, MailStore } from '../../mailstore/src/types.js';
import { evaluate } from '../../sieve/src/index.js';
import type { HeaderEdits, IncludeResolver, SieveAction, SieveContext, SieveResult, VacationAction } from '../../sieve/src/types.js';
import { ensureAutoMailboxes, ensureFolder, type AutoMailboxes } from './folders.js';
import { applyHeaderEdits } from './header-edits.js';
import { rejectNotice, vacationReply } from './outgoing.js';
import type { Relay } from './relay.js';
import { resolveRecipient, type LocalTarget, type ResolvedRecipient } from './resolve.js';
import { includeResolver, ScriptCache, type Compiled } from './sieve-scripts.js';
import { sieveMessage } from './sieve-message.js';
import { spamScores } from './spam-scores.js';
import type { MessageSource } from './source.js';
import { traceHeaders } from './trace-headers.js';
import { recordVacation, vacationAnswered } from './vacation-store.js';

/** pino-compatible subset. */
export interface DeliveryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DelivererDeps {
  store: MailStore;
  directory: Directory;
  mailHome(user: UserRecord): string;
  relay: Relay;
  /** Our host name (Received, Message-IDs, MAILER-DAEMON). */
  hostname: string;
  logger?: DeliveryLogger;
  /** Global script run before the user's (sieve_before): a file path or the script text; null for none. */
  sieveBefore?: string | null;
  /** Directory of global scripts for `include :global` (Pigeonhole sieve_global); null for none. */
  sieveGlobalDir?: string | null;
  /** Run Sieve at all (default true). */
  sieve?: boolean;
  autoMailboxes?: AutoMailboxes;
}

/** The transaction a message arrived in. */
export interface Envelope {
  /** MAIL FROM ('' for <>). */
  from: string;
  heloName: string;
  remote: string;
  /** Session/transaction id for logs and Received. */
  id: string;
  /** Folder for the implicit keep instead of INBOX (dovecot-lda -m); missing or unusable folders fall back to INBOX. */
  defaultMailbox?: string;
}

export type Outcome = { ok: true } | { ok: false; error: MailError };

interface Plan {
  stores: Array<{ mailbox: string; flags: string[] }>;
  redirects: string[];
  vacations: VacationAction[];
  rejects: string[];
  edits: HeaderEdits | null;
}

const silent: DeliveryLogger = { info() {}, warn() {}, error() {} };

export class Deliverer {
  private scripts: ScriptCache;
  private readonly log: DeliveryLogger;
  private readonly autoDone = new Set<string>();
  private deps: DelivererDeps;

  constructor(deps: DelivererDeps) {
    this.deps = { ...deps };
    this.scripts = new ScriptCache(deps.sieveBefore ?? null);
    this.log = deps.logger ?? silent;
  }

  /**
   * SIGHUP: new relay, global script, include directory and auto mailboxes for what runs from now
   * on (a delivery in progress may already use them; the caller closes a replaced relay later).
   */
  updateSettings(s: Partial<Pick<DelivererDeps, 'relay' | 'sieveBefore' | 'sieveGlobalDir' | 'autoMailboxes'>>): void {
    if ('sieveBefore' in s && (s.sieveBefore ?? null) !== (this.deps.sieveBefore ?? null)) this.scripts = new ScriptCache(s.sieveBefore ?? null);
    this.deps = { ...this.deps, ...s };
    if ('autoMailboxes' in s) this.autoDone.clear();
  }

  /** RCPT time: who the address means; null for unknown (550 5.1.1). Throws MailError TEMP/LIMIT. */
  resolve(address: string): Promise<ResolvedRecipient | null> {
    return resolveRecipient(this.deps.directory, address);
  }

  /**
   * Delivers `src` to every recipient, in order, one outcome each (RFC 2033 §4.2). A user reached
   * through several recipients of the same transaction gets one copy.
   */
  async deliver(env: Envelope, recipients: readonly ResolvedRecipient[], src: MessageSource): Promise<Outcome[]> {
    // Each user is claimed by the first recipient that reaches it (one copy per transaction); the
    // copies of different users are then stored in parallel: each waits for its own fsyncs.
    const claimed = new Set<string>();
    const acc = recipients.map(() => ({ errors: [] as MailError[], stored: 0 }));
    const tasks: Array<() => Promise<void>> = [];
    recipients.forEach((r, i) => {
      const a = acc[i]!;
      for (const t of r.local) {
        if (claimed.has(t.user.user)) { a.stored++; continue; }
        claimed.add(t.user.user);
        tasks.push(async () => {
          try {
            await this.deliverLocal(env, t, src, r.rcpt);
            a.stored++;
          } catch (e) {
            const err = toMailError(e);
            a.errors.push(err);
            this.log.warn({ id: env.id, rcpt: r.rcpt, user: t.user.user, code: err.code, err: err.cause ?? err }, 'delivery failed');
          }
        });
      }
      if (r.relay.length) tasks.push(async () => { const e = await this.forward(env, r, src); if (e) a.errors.push(e); });
    });
    await runLimited(tasks, LIMITS.deliveryConcurrency);
    return acc.map(({ errors, stored }): Outcome => {
      if (errors.length === 0) return { ok: true };
      // A temporary failure anywhere: the sender retries (a duplicate is better than a loss).
      const temp = errors.find((e) => e.code === 'TEMP' || e.code === 'INTERNAL' || e.code === 'INUSE');
      if (temp) return { ok: false, error: temp };
      // A group: members that got their copy count; permanent failures of others are logged only.
      if (stored > 0) return { ok: true };
      return { ok: false, error: errors[0]! };
    });
  }

  /** Relays a recipient's copy to its forward addresses; returns the error, if any. */
  private async forward(env: Envelope, r: ResolvedRecipient, src: MessageSource): Promise<MailError | null> {
    if (await alreadyDeliveredTo(src, r.rcpt)) {
      // Our own Delivered-To on the incoming copy: a forward led back here (RFC 5321 §6.3 loop).
      this.log.warn({ id: env.id, rcpt: r.rcpt }, 'forwarding loop: Delivered-To already present');
      return new MailError('LIMIT', 'Mail forwarding loop');
    }
    try {
      await this.deps.relay.send({ from: env.from, to: [...r.relay] },
        concat([Buffer.from(`Delivered-To: ${r.rcpt.replace(/[\r\n]/g, '')}\r\n`)], src, null));
      this.log.info({ id: env.id, rcpt: r.rcpt, to: r.relay }, 'forwarded');
      return null;
    } catch (e) {
      this.log.warn({ id: env.id, rcpt: r.rcpt, err: e }, 'forward failed');
      return toMailError(e);
    }
  }

  /** `rcpt` is the RCPT TO address that reached this user (before alias/group expansion). */
  private async deliverLocal(env: Envelope, t: LocalTarget, src: MessageSource, rcpt: string): Promise<void> {
    const home = this.deps.mailHome(t.user);
    const account = await this.deps.store.openAccount({ user: t.user.user, home, quotaBytes: t.user.quotaBytes });
    try {
      const auto = this.deps.autoMailboxes ?? {};
      if (!this.autoDone.has(t.user.user)) {
        await ensureAutoMailboxes(account, auto);
        if (this.autoDone.size >= 100_000) this.autoDone.clear(); // bounded; a repeat costs a few stats
        this.autoDone.add(t.user.user);
      }
      const plan = await this.plan(env, t, home, src, account, env.defaultMailbox ?? 'INBOX', rcpt);
      // RFC 5429 §2.1: ereject refuses in the protocol reply; nothing is stored or sent.
      if (plan.rejectE) throw new MailError('PERM', plan.rejects[0]!);
      const trace = traceHeaders({ from: env.from, to: t.address, heloName: env.heloName, remote: env.remote, hostname: this.deps.hostname, id: env.id });
      for (const s of plan.stores) await this.store(account, s.mailbox, s.flags, trace, src, plan.edits, auto);
      let redirected = 0;
      // A redirected copy carries our Delivered-To; seeing it come back means a redirect loop.
      const looped = plan.redirects.length > 0 && (await alreadyDeliveredTo(src, t.address));
      if (looped) this.log.warn({ id: env.id, user: t.user.user }, 'sieve: redirect loop (Delivered-To already present); not redirected');
      for (const to of looped ? [] : plan.redirects) {
        try {
          await this.deps.relay.send({ from: env.from, to: [to] }, concat([Buffer.from(`Delivered-To: ${t.address.replace(/[\r\n]/g, '')}\r\n`)], src, null));
          redirected++;
          this.log.info({ id: env.id, user: t.user.user, to }, 'sieve: redirected');
        } catch (e) {
          this.log.error({ id: env.id, user: t.user.user, to, err: e }, 'sieve: redirect failed');
        }
      }
      if (plan.redirects.length && redirected === 0 && plan.stores.length === 0) {
        await this.store(account, 'INBOX', [], trace, src, plan.edits, auto);
        this.log.warn({ id: env.id, user: t.user.user }, 'sieve: redirect failed, message kept in INBOX');
      }
      for (const v of plan.vacations) await this.sendVacation(env, t, home, v);
      if (!plan.rejectE) for (const reason of plan.rejects) await this.sendReject(env, t, src, reason);
    } finally {
      await account.close().catch(() => undefined);
    }
  }

  private async store(account: MailAccount, mailbox: string, flags: string[], trace: Buffer, src: MessageSource, edits: HeaderEdits | null, auto: AutoMailboxes): Promise<void> {
    let target = mailbox;
    if (target.toUpperCase() !== 'INBOX') {
      try {
        await ensureFolder(account, target, auto);
      } catch (e) {
        this.log.warn({ user: account.user, mailbox, err: e }, 'sieve: folder not usable, delivering to INBOX');
        target = 'INBOX';
      }
    }
    const body = concat([trace], src, edits);
    // Flagged deliveries go to cur/ with their flags, as Dovecot's maildir save does. Unflagged ones
    // go to new/ without a UID (lazyUid): the next reader assigns it, LMTP never reports one.
    await account.append(target, body, { delivery: flags.length === 0, lazyUid: true, flags, sizeHint: edits ? undefined : trace.length + src.size });
  }

  /** Runs sieve_before, then the user's script unless the first one settled the message. */
  private async plan(env: Envelope, t: LocalTarget, home: string, src: MessageSource, account: MailAccount, keepMailbox: string, rcpt: string): Promise<Plan & { rejectE: boolean }> {
    const results: SieveResult[] = [];
    if (this.deps.sieve !== false) {
      const before = await this.scripts.beforeScript();
      const user = await this.scripts.userScript(home);
      if (before || user) {
        const message = await sieveMessage(src);
        const to = t.address;
        const ctx: SieveContext = {
          // Pigeonhole: `envelope "to"` tests the original recipient (the address before alias or group expansion).
          envelope: { from: env.from, to, origTo: rcpt },
          message,
          user: { address: t.user.user, aliases: [...t.user.aliases] },
          mailboxExists: async (name) => { try { await account.status(name); return true; } catch { return false; } },
          scores: spamScores(message.header),
          vacationAnswered: (sender, handle, periodSeconds) => vacationAnswered(home, sender, handle, periodSeconds),
        };
        const resolver = includeResolver(home, this.deps.sieveGlobalDir ?? null);
        for (const c of [before, user]) {
          if (!c) continue;
          const r = await this.run(c, ctx, env, t, resolver);
          if (r) results.push(r);
          if (r && !r.implicitKeep && c === before) break; // the global script filed it (UCS: fileinto "Spam"; stop)
        }
      }
    }
    return merge(results, keepMailbox);
  }

  private async run(c: Compiled, ctx: SieveContext, env: Envelope, t: LocalTarget, resolver: IncludeResolver): Promise<SieveResult | null> {
    if (!c.ok) {
      this.log.error({ id: env.id, user: t.user.user, script: c.name, line: c.error.line, column: c.error.column, error: c.error.message }, 'sieve: script does not compile; implicit keep');
      return null;
    }
    try {
      const r = await evaluate(c.script, ctx, { includeResolver: resolver });
      if (!r.ok) {
        const e = r.errors[0];
        this.log.error({ id: env.id, user: t.user.user, script: c.name, line: e?.line, column: e?.column, error: e?.message }, 'sieve: runtime error; implicit keep');
        return null;
      }
      return r;
    } catch (e) {
      this.log.error({ id: env.id, user: t.user.user, script: c.name, err: e }, 'sieve: interpreter failed; implicit keep');
      return null;
    }
  }

  private async sendVacation(env: Envelope, t: LocalTarget, home: string, v: VacationAction): Promise<void> {
    if (!env.from) return; // RFC 5230 §4.6: never to the null sender
    try {
      // RFC 5230 §5.1 / RFC 3834 §3.3: the reply goes out with the null envelope sender.
      await this.deps.relay.send({ from: '', to: [v.to] }, vacationReply(v, this.deps.hostname));
      await recordVacation(home, v.to, v.handle, v.periodSeconds);
      this.log.info({ id: env.id, user: t.user.user, to: v.to }, 'sieve: vacation reply sent');
    } catch (e) {
      this.log.error({ id: env.id, user: t.user.user, err: e }, 'sieve: vacation reply failed');
    }
  }

  private async sendReject(env: Envelope, t: LocalTarget, src: MessageSource, reason: string): Promise<void> {
    if (!env.from) return;
    try {
      const subject = (await sieveMessage(src)).header('subject')[0] ?? null;
      await this.deps.relay.send({ from: '', to: [env.from] },
        rejectNotice({ to: env.from, recipient: t.address, reason, subject, hostname: this.deps.hostname }));
      this.log.info({ id: env.id, user: t.user.user, to: env.from }, 'sieve: rejected, notice sent');
    } catch (e) {
      this.log.error({ id: env.id, user: t.user.user, err: e }, 'sieve: reject notice failed');
    }
  }
}

/** Actions of the scripts that ran, in order, into one plan (RFC 5228 §2.10). */
function merge(results: SieveResult[], keepMailbox: string): Plan & { rejectE: boolean } {
  const plan: Plan & { rejectE: boolean } = { stores: [], redirects: [], vacations: [], rejects: [], edits: null, rejectE: false };
  const addStore = (mailbox: string, flags: string[]) => {
    const m = mailbox.toUpperCase() === 'INBOX' ? 'INBOX' : mailbox;
    if (!plan.stores.some((s) => s.mailbox === m)) plan.stores.push({ mailbox: m, flags });
  };
  let implicitKeep = true;
  let keepFlags: string[] = [];
  for (const r of results) {
    for (const a of r.actions as SieveAction[]) {
      switch (a.type) {
        case 'keep': addStore(keepMailbox, a.flags); break;
        case 'fileinto': addStore(a.mailbox, a.flags); break;
        case 'redirect': plan.redirects.push(a.address); break;
        case 'vacation': plan.vacations.push(a); break;
        case 'reject': plan.rejects.push(a.reason); if (a.ereject) plan.rejectE = true; break;
        case 'discard': break;
      }
    }
    implicitKeep = r.implicitKeep;
    keepFlags = r.keepFlags;
    if (r.headerEdits) {
      plan.edits ??= { prepend: [], append: [], deleted: [] };
      plan.edits.prepend.push(...r.headerEdits.prepend);
      plan.edits.append.push(...r.headerEdits.append);
      plan.edits.deleted.push(...r.headerEdits.deleted);
    }
  }
  if (implicitKeep && !plan.rejects.length) addStore(keepMailbox, keepFlags);
  return plan;
}

async function alreadyDeliveredTo(src: MessageSource, rcpt: string): Promise<boolean> {
  const want = rcpt.toLowerCase();
  return (await sieveMessage(src)).header('delivered-to').some((v) => v.trim().toLowerCase() === want);
}

/** Runs `tasks` with at most `limit` at a time. */
async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < tasks.length) await tasks[next++]!(); };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** prefix + (edited header + body | whole message), pulled chunk by chunk. */
function concat(prefix: Buffer[], src: MessageSource, edits: HeaderEdits | null): Readable {
  return Readable.from((async function* () {
    for (const p of prefix) yield p;
    if (!edits) { yield* src.open(); return; }
    const { raw, bodyOffset } = await src.header();
    yield applyHeaderEdits(raw, edits);
    yield* src.open(bodyOffset);
  })(), { objectMode: false });
}

/** A short unique id for a transaction (logs, Received). */
export function transactionId(): string {
  return randomBytes(9).toString('base64url');
}
