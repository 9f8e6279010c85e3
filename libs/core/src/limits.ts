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
  /** IDLE hibernation (imap.hibernateTimeout; Dovecot imap_hibernate_timeout, whose default 0 is off): see libs/imap-server/src/hibernate.ts. */
  imapHibernateTimeoutMs: 30_000,
  /** How often one per-server sweep runs the autologout of hibernated sessions (no timer per session; the RFC 3501 §5.4 timer is ≥ 30 min). */
  imapHibernateSweepMs: 1000,
  /**
   * Hibernated sessions re-opening their folders at once (a wake reads the index, the directories
   * and the uidlist through the thread pool): more wait their turn in arrival order, so a burst of
   * wakes is served first come, first served instead of all finishing together at its end.
   */
  imapWakeConcurrency: 32,
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
  /**
   * IDLE: how often a session re-checks its mailbox on disk anyway (Dovecot mailbox_idle_check_interval,
   * 30 s). Changes by other processes on this host arrive at once through inotify (libs/maildir
   * dir-watch.ts); this check is for what inotify cannot see (NFS writes from another host). It bounds
   * the cost of many idle sessions: 100,000 of them cost ~3,300 stat rounds a second, not 200,000.
   */
  idlePollMs: 30_000,
  /** A failed login answers no sooner than this after the attempt began: same timing for unknown user and wrong password, slows guessing. */
  authFailureDelayMs: 300,
  /** Messages between output backpressure checks during one FETCH/SEARCH response. */
  imapOutputCheckEvery: 64,
  /** IMAP output text batched per session before one socket write (fewer syscalls for big FETCHes). */
  imapOutputBatchChars: 16 * 1024,
  /** FETCH: messages whose structure / file is prepared ahead of the one being sent (overlapping I/O). */
  imapFetchLookahead: 8,
  /** SEARCH: messages whose content is read ahead of the one being matched (overlapping I/O). */
  imapSearchLookahead: 8,
  /** A long FETCH/SEARCH gives other sessions an event-loop turn after this much busy time (ms). */
  imapBusySliceMs: 10,
  /**
   * A folder's disk check (stat, and a rescan when something changed) this recent is reused by
   * the sync at the end of each IMAP command and by writes: bounds how late another process's
   * change shows up (IDLE still reports within a second); this process's changes are seen at once.
   */
  maildirSyncMaxStaleMs: 250,
  /** A folder changed only by this process is still read in full at least this often (finds others' changes made meanwhile). */
  maildirOwnChangeVerifyMs: 1000,
  /**
   * The same, while inotify has watched the folder since its last full read (libs/maildir
   * dir-watch.ts reports every change by another process on this host). Left for what inotify
   * cannot see (NFS writes from another host), bounded like IDLE's idlePollMs.
   */
  maildirWatchedOwnChangeVerifyMs: 30_000,
  /**
   * POP3 command line, octets with CRLF. RFC 2449 §4 says 255, but an AUTH PLAIN initial response
   * (RFC 5034 §4) and its continuation lines can be longer; Dovecot allows lines far above 255.
   */
  pop3MaxLineLength: 8 * 1024,
  /** RFC 1939 §3: the POP3 inactivity autologout timer must be at least 10 minutes. (config) */
  pop3IdleTimeoutMs: 10 * 60 * 1000,
  /** Before login a POP3 client gets less patience (Dovecot's login processes). */
  pop3PreAuthTimeoutMs: 60 * 1000,
  /** Bad commands in a row before the POP3 connection is closed (Dovecot pop3 CLIENT_MAX_BAD_COMMANDS = 20). */
  pop3MaxBadCommands: 20,
  /** Failed logins on one POP3 connection before it is closed (slows password guessing). */
  pop3MaxAuthFailures: 3,
  /** Listing lines (LIST/UIDL) written between output backpressure checks. */
  pop3ListChunk: 512,
  /** Sieve script size in characters (Pigeonhole sieve_max_script_size default 1M). (config) */
  sieveMaxScriptSize: 1024 * 1024,
  /** Sieve actions one run may produce (Pigeonhole sieve_max_actions default 32). (config) */
  sieveMaxActions: 32,
  /** Sieve redirects one message may cause: bounds mail loops and amplification (Pigeonhole sieve_max_redirects 4). (config) */
  sieveMaxRedirects: 4,
  /** Sieve include nesting depth (RFC 6609 §3.2; Pigeonhole sieve_include_max_nesting_depth 10). */
  sieveMaxIncludeDepth: 10,
  /** Distinct scripts one run may include (Pigeonhole sieve_include_max_includes 255). */
  sieveMaxIncludes: 255,
  /** Interpreter steps per run: the pure lib has no clock, so a step budget stops a huge script (Pigeonhole sieve_max_cpu_time spirit). */
  sieveMaxSteps: 200_000,
  /** Block/test nesting depth the Sieve parser follows: stops stack exhaustion by hostile scripts. */
  sieveMaxNesting: 64,
  /** Characters in one Sieve variable value (Pigeonhole sieve_variables_max_variable_size 4096). */
  sieveMaxVariableSize: 4096,
  /** Variables one Sieve scope may define (Pigeonhole sieve_variables_max_scope_size 255). */
  sieveMaxVariables: 255,
  /** Characters of one string a Sieve :regex is run against: bounds backtracking time on huge headers/bodies. */
  sieveMaxRegexSubject: 64 * 1024,
  /** LMTP command line, octets without CRLF. RFC 5321 §4.5.3.1.4 asks for at least 512; Dovecot's lib-smtp allows 4 KiB-ish lines with parameters. */
  lmtpMaxLineLength: 4096,
  /** RCPTs per LMTP transaction before 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100; Postfix sends lmtp_destination_recipient_limit = 50). */
  lmtpMaxRecipients: 1000,
  /** Largest message LMTP accepts (SIZE, RFC 1870): above UCS Postfix's message_size_limit (10 MB). (config) */
  lmtpMaxMessageSize: 64 * 1024 * 1024,
  /** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command or data block. (config) */
  lmtpIdleTimeoutMs: 5 * 60 * 1000,
  /** Bad commands in a row before the LMTP connection is closed (Dovecot CLIENT_MAX_BAD_COMMANDS spirit). */
  lmtpMaxBadCommands: 20,
  /** Group / list nesting followed when resolving a recipient: stops group loops and runaway expansion. */
  deliveryMaxGroupDepth: 16,
  /** Copies of one message stored (or relayed) at the same time: the users of a transaction wait for their fsyncs in parallel, bounded. */
  deliveryConcurrency: 8,
  /** Distinct addresses one recipient may expand to (all groups together). */
  deliveryMaxExpansion: 10_000,
  /** Body bytes the Sieve `body` test sees (the rest is not matched): bounds memory per delivery. */
  sieveMaxBodyBytes: 1024 * 1024,
  /** Vacation response records kept per user (oldest dropped first). */
  vacationMaxRecords: 10_000,
  /** An LMTP message up to this size is spooled in memory; a larger one goes to a temp file (never a whole big message in RAM). */
  lmtpSpoolMemoryBytes: 128 * 1024,
  /** ManageSieve command line (without literals), octets: Dovecot managesieve allows 64 KiB lines. */
  manageSieveMaxLineLength: 64 * 1024,
  /** Arguments in one ManageSieve command (the longest, PUTSCRIPT/RENAMESCRIPT, has two). */
  manageSieveMaxArgs: 8,
  /** Scripts one user may store (Pigeonhole sieve_quota_max_scripts; 0 there = unlimited, we bound it). (config) */
  manageSieveMaxScripts: 100,
  /** Total bytes of one user's scripts (Pigeonhole sieve_quota_max_storage). (config) */
  manageSieveMaxStorage: 10 * 1024 * 1024,
  /** Script name length in characters (RFC 5804 §1.6 leaves it to the server): names become file names, so well under NAME_MAX. */
  manageSieveMaxNameLength: 128,
  /** Bad commands in a row before the ManageSieve connection is closed (Dovecot CLIENT_MAX_BAD_COMMANDS = 20). */
  manageSieveMaxBadCommands: 20,
  /** Failed AUTHENTICATEs on one ManageSieve connection before it is closed. */
  manageSieveMaxAuthFailures: 3,
  /** ManageSieve idle timeout (Dovecot managesieve client idle timeout 30 min). (config) */
  manageSieveIdleTimeoutMs: 30 * 60 * 1000,
  /** Before AUTHENTICATE a ManageSieve client gets less patience (Dovecot's login processes). */
  manageSievePreAuthTimeoutMs: 60 * 1000,
  /** quota-status: one Postfix policy request, all attribute lines together (Postfix sends well under 4 KiB). */
  quotaStatusMaxRequestBytes: 64 * 1024,
  /** quota-status: idle time before a policy connection is closed (Postfix smtpd_policy_service_timeout is 100 s; it reuses connections). */
  quotaStatusIdleTimeoutMs: 5 * 60 * 1000,
  /** quota-status on a proxy: connect + answer of the home backend; past it the proxy answers quotaStatus.fail (Postfix waits 100 s at most). */
  quotaStatusBackendTimeoutMs: 3_000,
  /** Quota warning thresholds state file size cap (one small JSON per user). */
  quotaWarningStateMaxBytes: 4096,
  /** LDAP connections per pool (searches; user binds have a second pool of the same size). (config) */
  ldapPoolSize: 8,
  /** One LDAP operation; past it the login gets a temporary failure, not a hang. (config) */
  ldapTimeoutMs: 5_000,
  /** TCP/TLS connect to one LDAP URI before the next URI is tried. (config) */
  ldapConnectTimeoutMs: 2_000,
  /** Members read for one group address (uniqueMember/memberUid): bounds one resolve's LDAP work and memory. */
  ldapMaxGroupMembers: 10_000,
  /** Login name and password lengths accepted before asking LDAP (Dovecot auth limits logins to a few hundred bytes). */
  authMaxLoginLength: 320,
  authMaxPasswordLength: 1024,
  /** In-process auth cache entries (Dovecot auth_cache_size is in bytes; we count entries). (config) */
  authCacheMaxEntries: 10_000,
  /** Auth cache TTLs (UCS mail/dovecot/auth/cache_ttl 3600 s, cache_negative_ttl 3600 s; we keep negatives shorter). (config) */
  authCacheTtlMs: 3_600_000,
  authCacheNegativeTtlMs: 300_000,
  /**
   * Successful master-password checks a node remembers (proxies log in as the master user on every
   * connection; a {SHA512-CRYPT} check costs milliseconds of CPU). Few master users exist; kept for authCacheTtlMs.
   */
  masterAuthCacheEntries: 64,
  /** Redis commands of the auth layer: a dead Redis must cost a login little, never hang it. */
  authRedisCommandTimeoutMs: 250,
  /** Dovecot auth penalty: 2 s after the first failure, doubling per failure, at most 15 s (AUTH_PENALTY_MAX_SECS). */
  authPenaltyInitMs: 2_000,
  authPenaltyMaxMs: 15_000,
  /** How long an IP's failure count lives without new failures (Dovecot AUTH_PENALTY_TIMEOUT 3600 s). */
  authPenaltyTimeoutMs: 3_600_000,
  /** Dovecot auth protocol line, octets (Dovecot AUTH_CLIENT_MAX_LINE_LENGTH = 16 KiB; a PLAIN resp= is far smaller). */
  dovecotAuthMaxLineLength: 16 * 1024,
  /** AUTH requests one auth client may have open at once (Postfix has one; bounds memory per connection). */
  dovecotAuthMaxPending: 64,
  /** Auth client connections at once (Dovecot service auth client_limit spirit). (config) */
  dovecotAuthMaxConnections: 1000,
  /** A client must send VERSION within this time after connecting. */
  dovecotAuthHandshakeTimeoutMs: 30 * 1000,
  /** An AUTH waiting for the client's CONT is dropped after this (Dovecot AUTH_REQUEST_TIMEOUT_SECS spirit). */
  dovecotAuthRequestTimeoutMs: 3 * 60 * 1000,
  /** Output buffered to an auth client that does not read before the connection is dropped. */
  dovecotAuthMaxOutputBytes: 256 * 1024,
  /** Login proxy: connect + greeting + master login to a backend (Dovecot proxy_timeout spirit). (config) */
  proxyConnectTimeoutMs: 5_000,
  /** Consecutive backend connect failures that open its circuit breaker, and how long it stays open. (config) */
  proxyBreakerFailures: 3,
  proxyBreakerCoolDownMs: 10_000,
  /** Pre-login: bad commands before the proxy drops a client, and how long a client may stay unauthenticated. */
  proxyMaxBadCommands: 10,
  proxyLoginTimeoutMs: 60_000,
  /** Backend lines the proxy reads before relaying (greeting, ID, login replies): bounded. */
  proxyMaxBackendLine: 64 * 1024,
  /** LMTP proxy: wait for one backend reply (the one after the data includes Sieve and fsyncs); Dovecot's proxy_timeout is 125 s. */
  lmtpProxyReplyTimeoutMs: 125_000,
  /** LMTP proxy: group members remembered as delivered after a partial failure, so Postfix's retry skips them (entries, age). */
  lmtpProxyDedupEntries: 100_000,
  lmtpProxyDedupTtlMs: 5 * 24 * 3600_000, // Postfix maximal_queue_lifetime
  /** Login processes per service (Dovecot process_limit; UCS ships 400 IMAP and 400 POP3 connections) and clients per process in high-performance mode (Dovecot default_client_limit). */
  loginProcessLimit: 400,
  loginClientLimit: 1000,
  /** "process_limit reached" is logged at most this often per service (Dovecot logs it once per throttle period too). */
  limitWarningIntervalMs: 60_000,
  /** A login process that does not say it is ready within this is killed and counted as failed. */
  loginProcessStartTimeoutMs: 20_000,
  /** Mail node workers (libs/workers): a worker not ready within this is killed; restarts of workers that die back off up to the max delay. */
  workerStartTimeoutMs: 20_000,
  workerRestartMaxDelayMs: 30_000,
  /** A request between the primary and a worker (reload, metrics, auth cache flush, registry) that gets no answer within this fails. */
  workerCallTimeoutMs: 10_000,
  /** XCLIENT SESSION= longer than this is ignored (Dovecot LOGIN_MAX_SESSION_ID_LEN). */
  xclientMaxSessionIdLength: 64,
} as const;

export type Limits = typeof LIMITS;
