/** The --help text (kept beside the parser so both change together). */
export const USAGE = `usage: loadtest <profile> [options]
       loadtest merge --coordinator URL --run-id ID [--output FILE] [--html FILE]

Drives any IMAP / POP3 / LMTP / ManageSieve server (ours or anyone's) and proves nothing was lost:
every message it puts in carries a unique X-Loadtest-Id and a checksum, and is read back at the end.

Profiles:
  imap-mixed       imaptest's default mix and counting (LOGIN LIST STATUS SELECT FETCH FETCH2 STORE
                   DELETE EXPUNGE APPEND LOGOUT; COPY with --copybox; SEARCH MOVE IDLE NOOP via --mix)
  lmtp             deliveries at --rate per second (0 = as fast as possible), sizes from --sizes
  pop3             seeds --seed-per-user messages per user, then USER/PASS, STAT, UIDL, RETR, DELE, QUIT
  login-storm      connect, (STARTTLS), login, logout as fast as possible (--protocol imap|pop3|sieve)
  idle-soak        holds --sessions IMAP IDLE sessions (from --source-addresses), samples --server-pid RSS
  proxy-vs-direct  runs --inner (default imap-mixed) against --direct-port then --proxy-port and compares

Target:
  --host HOST            server address (loopback only)                         [127.0.0.1]
  --imap-port N          IMAP port                                              [143]
  --pop3-port N          POP3 port                                              [110]
  --lmtp-port N          LMTP port                                              [24]
  --sieve-port N         ManageSieve port                                       [4190]
  --tls MODE             none | starttls | implicit | auto (STARTTLS when offered)  [auto]
  --ca FILE              PEM CA to verify the server certificate (default: not verified)
  --source-addresses R   connect from these addresses, e.g. 127.0.0.2-127.0.0.60
  --connect-timeout T    connect + greeting timeout                              [5s]
  --allow-remote         allow a non-loopback --host / --coordinator (or LOADTEST_ALLOW_REMOTE=1)

Users:
  --users PATTERN        user name pattern with %d                              [user%d@example.org]
  --user-range A-B       numbers for %d                                          [1-10]
  --password PASS        password of every pattern user                          [pass]
  --credentials FILE     user:password lines instead of the pattern

Run:
  --clients N            concurrent clients                                      [10]
  --duration T           run time (s, m; e.g. 30s, 5m)                           [30s]
  --seed N               random seed (repeatable command sequences)
  --mix LIST             imap-mixed probabilities STATE=P[/AGAIN],... e.g. LIST=0,FETCH2=100/30,IDLE=20
  --msgs N               imap-mixed: keep about N messages in the mailbox        [30]
  --box NAME             mailbox to work in                                      [INBOX]
  --copybox NAME         COPY destination (enables COPY 33%/5% like imaptest)
  --idle-ms N            IDLE state: how long to stay idle                       [1000]
  --sizes LIST           message sizes SIZE:WEIGHT,...                           [2k:50,8k:30,32k:15,128k:5]
  --rate N               lmtp: deliveries per second, 0 = max; idle-soak: APPENDs
                         per second to idling users, timed until IDLE shows them  [0]
  --rcpts N              lmtp: recipients per message                            [1]
  --seed-per-user N      pop3: messages seeded per user                          [20]
  --keep                 pop3: RETR without DELE
  --protocol P           login-storm: imap | pop3 | sieve                        [imap]
  --sessions N           idle-soak: sessions to hold                             [100]
  --ramp N               idle-soak: new sessions per second, 0 = all at once      [0]
  --server-pid PID[,..]  sample these processes' (and their children's) RSS every second
  --inner PROFILE        proxy-vs-direct: profile to run twice                   [imap-mixed]
  --direct-port N        proxy-vs-direct: the backend's port
  --proxy-port N         proxy-vs-direct: the proxy's port
  --no-verify            skip the read-back (lost/duplicated/corrupted are then not known)

Output:
  --output FILE          JSON result                                             [none]
  --html FILE            self-contained HTML report with charts                  [none]
  --quiet                no progress line and no summary

Several generators (one run, one report):
  --coordinator URL      Redis URL, e.g. redis://127.0.0.1:6379
  --run-id ID            the shared run id (all workers give the same)
  --workers N            how many workers take part; each takes every N-th user
  --key-prefix P         Redis key prefix                                        [loadtest:]

Exit codes: 0 passed · 1 correctness failure (lost, duplicated, corrupted, unexpected, protocol errors,
unreadable mailbox) · 2 usage error · 3 target unreachable, wrong TLS mode or login refused (checked
before the run starts) · 4 internal or coordination error.

Examples:
  loadtest imap-mixed --imap-port 1143 --users 'user%d@example.org' --user-range 1-100 --password pw --duration 60s
  loadtest imap-mixed --imap-port 1993 --tls implicit --clients 50 --copybox Archive --html report.html
  loadtest lmtp --lmtp-port 2424 --imap-port 1143 --rate 200 --sizes 4k:70,64k:25,1m:5 --output lmtp.json
  loadtest pop3 --pop3-port 1110 --imap-port 1143 --credentials users.txt
  loadtest idle-soak --imap-port 1143 --sessions 5000 --ramp 500 --source-addresses 127.0.0.2-127.0.0.40 --server-pid 4242
  loadtest proxy-vs-direct --direct-port 1143 --proxy-port 2143 --duration 60s --html compare.html
  # two generators, one report (run both; the last to finish writes the merged files):
  loadtest imap-mixed --coordinator redis://127.0.0.1:6379 --run-id nightly-1 --workers 2 --output merged.json
`;
