/**
 * Every protocol and storage limit in one place, each with the reason it exists.
 * Config may override the ones marked (config); the rest are hard safety bounds.
 */
export const LIMITS = {
  /** RFC 2683 §3.2.1.5 recommends servers accept lines of at least 8000 octets; Dovecot uses 64 KiB. */
  imapMaxLineLength: 64 * 1024,
  /** APPENDLIMIT (RFC 7889) and the largest literal we accept (config). Dovecot default is unlimited; we bound it. */
  imapMaxLiteralSize: 64 * 1024 * 1024,
  /** Non-synchronising literal (LITERAL+ / RFC 7888) size above which we still accept but count against the line budget. */
  imapMaxNonSyncLiteral: 64 * 1024 * 1024,
  /** Parenthesised list nesting depth: stops stack exhaustion by hostile input (Dovecot list_count_limit spirit). */
  imapMaxNesting: 32,
  /** Number of atoms/strings in one command: bounds memory of one parsed command. */
  imapMaxArgs: 100_000,
  /** Total bytes of all inline strings + small literals buffered in one command (not APPEND message literals). */
  imapMaxCommandBytes: 8 * 1024 * 1024,
  /** RFC 3501 §5.4: autologout timer at least 30 minutes; applies before and after login. (config) */
  imapIdleTimeoutMs: 30 * 60 * 1000,
  /** Pre-login clients get less patience: Dovecot's login processes drop idle clients after 60 s–3 min. (config) */
  imapPreAuthTimeoutMs: 3 * 60 * 1000,
  /** A client that does not read our output for this long is dropped (slow-client guard, Aedes drainTimeout). */
  outputDrainTimeoutMs: 5 * 60 * 1000,
  /** Output buffered above this pauses command processing until the socket drains (Dovecot CLIENT_OUTPUT_OPTIMAL_SIZE). */
  outputHighWaterMark: 256 * 1024,
  /** Commands per second per connection before we slow down (bursts are fine; this stops floods). (config) */
  imapCommandRatePerSec: 2000,
  /** Bad commands in a row before the connection is closed (Dovecot CLIENT_MAX_BAD_COMMANDS = 20). */
  imapMaxBadCommands: 20,
  /** Mailbox name length in octets (UTF-8); keeps Maildir++ dir names under NAME_MAX 255 after mUTF-7. */
  mailboxNameMaxLength: 200,
  /** Hierarchy depth of mailbox names. */
  mailboxMaxDepth: 16,
  /** Keywords per mailbox: Maildir keeps them as letters a..z (26). */
  maildirMaxKeywords: 26,
  /** MIME nesting depth the structure parser follows before treating deeper parts as opaque. */
  mimeMaxDepth: 40,
  /** Number of MIME parts in one message the parser records. */
  mimeMaxParts: 10_000,
  /** Bytes of one header block (per part) the MIME parser keeps for parsing; rest is skipped. */
  mimeMaxHeaderBytes: 256 * 1024,
  /** Stale dotlock age after which a lock is broken (Dovecot dotlock stale_timeout default 2 min for uidlist). */
  dotlockStaleMs: 2 * 60 * 1000,
  /** How long we wait for a dotlock before failing with TEMP. */
  dotlockWaitMs: 30 * 1000,
  /** IDLE: how often a session re-checks the mailbox on disk for changes made by other processes. */
  idlePollMs: 500,
  /** A failed login answers no sooner than this after the attempt began: same timing for unknown user and wrong password, slows guessing. */
  authFailureDelayMs: 300,
  /** Messages between output backpressure checks during one FETCH/SEARCH response. */
  imapOutputCheckEvery: 64,
} as const;

export type Limits = typeof LIMITS;
