/** What every profile gets and gives back. */
import type { Target, Protocol } from '../lib/target.js';
import type { UserSource, Credential } from '../lib/users.js';
import type { Stats } from '../lib/stats.js';
import type { Ledger, VerifyCounts } from '../lib/ledger.js';
import type { SizeDist } from '../lib/tracked-message.js';

export interface ProfileOptions {
  clients: number;
  durationMs: number;
  /** imap-mixed: state → [probability %, again %] overrides (imaptest "STATE=n,m"). */
  mix: Record<string, [number, number]>;
  /** imap-mixed: keep about this many messages in the mailbox (imaptest msgs=, default 30). */
  msgs: number;
  box: string;
  copybox: string | null;
  idleMs: number;
  sizes: SizeDist;
  /** lmtp: deliveries per second over all clients; 0 = as fast as possible. */
  rate: number;
  rcptsPerMessage: number;
  /** pop3: messages seeded per user before the run. */
  seedPerUser: number;
  pop3Delete: boolean;
  /** login-storm: which protocol. */
  protocol: Protocol;
  /** idle-soak: sessions to hold; ramp = new sessions per second (0 = all at once). */
  sessions: number;
  ramp: number;
  serverPids: number[];
  /** Verify (read back) at the end. */
  verify: boolean;
}

export interface RunContext {
  target: Target;
  users: UserSource;
  passwordOf: (user: string) => string;
  stats: Stats;
  ledger: Ledger;
  rand: () => number;
  opts: ProfileOptions;
  /** Resolves when the run must stop (duration reached or interrupted). */
  stopped: Promise<void>;
  isStopping: () => boolean;
  /** Open sessions right now (for the progress line and the timeline). */
  sessions: { open: number };
  /** Every live connection, so a hard stop can close them all. */
  live: Set<{ destroy(): void }>;
  log: (msg: string) => void;
}

export interface ProfileOutcome {
  /** Profile-specific figures for the report (e.g. memory per session). */
  extra?: Record<string, unknown>;
}

export interface Profile {
  name: string;
  summary: string;
  /** Ports that must answer before the run starts. */
  needs: (o: ProfileOptions) => Protocol[];
  /** Before the clock starts (seeding): may fill the ledger; its stats are not reported. */
  prepare?(ctx: RunContext): Promise<void>;
  run(ctx: RunContext): Promise<ProfileOutcome>;
  /** Read everything back and compare with the ledger. */
  verify?(ctx: RunContext): Promise<VerifyCounts & { readErrors: string[] }>;
}

export type { Credential };
