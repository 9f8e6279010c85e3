/**
 * Quota warnings: after mail was added to a mailbox, compare its usage with the thresholds and,
 * when one is newly crossed upward, queue a warning. The job delivers a real message into the
 * user's INBOX through libs/delivery, past the quota (as UCS's script runs dovecot-lda with the
 * quota set to noenforcing), so the warning itself can never bounce for being over quota.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Directory, UserRecord } from '../../directory/src/types.js';
import type { AccountRef, MailAccount, MailStore } from '../../mailstore/src/types.js';
import { deliverMessage } from '../../delivery/src/deliver.js';
import { userQuota } from './usage.js';
import { decideWarning, readCrossed, writeCrossed } from './warning-state.js';
import { warningMessage, type WarningTexts } from './warning-message.js';
import type { WarningJob, WarningQueue } from './warning-queue.js';

export interface QuotaWarningDeps {
  store: MailStore;
  directory: Directory;
  mailHome(user: UserRecord): string;
  texts: WarningTexts;
  logger: Logger;
  fsync: boolean;
}

/** The job function, shared by the in-process and the bullmq queue. */
export function warningJob(deps: QuotaWarningDeps): (job: WarningJob) => Promise<void> {
  // The same user record without a limit: the warning is delivered past the quota.
  const unlimited: Directory = {
    ...deps.directory,
    authenticate: (l, p, c) => deps.directory.authenticate(l, p, c),
    resolve: (a) => deps.directory.resolve(a),
    sharedFolders: () => deps.directory.sharedFolders(),
    domains: () => deps.directory.domains(),
    close: () => deps.directory.close(),
    lookup: async (a) => {
      const u = await deps.directory.lookup(a);
      return u ? { ...u, quotaBytes: null } : null;
    },
  };
  return async (job) => {
    const msg = warningMessage(deps.texts, job.user, job.threshold);
    const r = await deliverMessage(deps.store, unlimited, { mailHome: deps.mailHome }, job.user, Readable.from([msg]));
    deps.logger.info({ user: job.user, threshold: job.threshold, percent: job.percent, uid: r.uid }, 'quota warning delivered');
  };
}

/** Whose usage to check: the account's user, mail home and limit (an AccountRef fits). */
export interface WarningTarget { readonly user: string; readonly home: string; readonly quotaBytes?: number | null }

export class QuotaWarner {
  /** Per-user chain: checks of one user run one after another (the state file is read-modify-write). */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: QuotaWarningDeps, private readonly queue: WarningQueue) {}

  get thresholds(): number[] {
    return Object.keys(this.deps.texts.texts).map(Number).filter((n) => n > 0 && n <= 100);
  }

  /**
   * Call after mail was added to (or removed from) the user's mailbox. Never throws: a warning
   * problem is logged and must not fail the delivery. Returns the threshold queued, if any.
   */
  async check(user: WarningTarget): Promise<number | null> {
    if (!user.quotaBytes || this.thresholds.length === 0) return null;
    const prev = this.chains.get(user.user) ?? Promise.resolve();
    const run = prev.then(() => this.checkNow(user));
    const tail = run.catch(() => undefined);
    this.chains.set(user.user, tail);
    try {
      return await run;
    } catch (err) {
      this.deps.logger.warn({ err, user: user.user }, 'quota warning check failed');
      return null;
    } finally {
      if (this.chains.get(user.user) === tail) this.chains.delete(user.user);
    }
  }

  /** Resolves when no check is running (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async checkNow(user: WarningTarget): Promise<number | null> {
    const home = user.home;
    const q = await userQuota(home, user.quotaBytes ?? null, this.deps.fsync);
    if (q.percent === null) return null;
    const before = await readCrossed(home);
    const d = decideWarning(this.thresholds, before, q.percent);
    if (d.crossed.join(',') !== [...before].sort((a, b) => a - b).join(',')) await writeCrossed(home, d.crossed, this.deps.fsync);
    if (d.warn === null) return null;
    await this.queue.add({ user: user.user, threshold: d.warn, percent: q.percent });
    return d.warn;
  }
}

/**
 * The node's store with warnings: after every successful append (LMTP delivery, IMAP APPEND) of
 * an account with a limit, the warner checks that user's usage. Fire and forget: the check never
 * delays or fails the append. The warning job itself must use the plain store.
 */
export function storeWithQuotaWarnings(store: MailStore, warner: QuotaWarner): MailStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'openAccount') {
        return async (ref: AccountRef) => {
          const account = await target.openAccount(ref);
          if (!ref.quotaBytes) return account;
          return new Proxy(account, {
            get(acc, p) {
              if (p === 'append') {
                return async (...args: Parameters<MailAccount['append']>) => {
                  const r = await acc.append(...args);
                  void warner.check(ref);
                  return r;
                };
              }
              const v: unknown = Reflect.get(acc, p);
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(acc) : v;
            },
          });
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
