/**
 * Test harness (not a test): a PRIVATE Postfix from Debian on loopback, in its own temp dir
 * (config_directory, queue_directory, data_directory, maillog_file), touching no system mail setup.
 * After /work/shared/notes/real-components.md §4. General: the caller adds or overrides any main.cf
 * setting and appends master.cf lines, so one helper serves SASL (smtpd_sasl_type = dovecot),
 * LMTP transport (virtual_transport = lmtp:...) and policy services (check_policy_service).
 *
 *   const pf = await startPostfix({
 *     recipients: ['alice@example.org'],
 *     main: { virtual_transport: `lmtp:inet:127.0.0.1:${lmtpPort}`,
 *             smtpd_recipient_restrictions: `reject_unauth_destination, check_policy_service inet:127.0.0.1:${policyPort}` },
 *   });
 *   const r = await swaks(['--server', `127.0.0.1:${pf.smtpPort}`, '--to', 'alice@example.org']);
 *   await pf.close();
 *
 * Start the services Postfix talks to (SASL, policy, LMTP) BEFORE the first SMTP connection:
 * smtpd dies without a SASL server and master throttles it (service_throttle_time = 1s here).
 * Needs root (queue_directory must be root-owned) and the postfix user; a missing tool or user is
 * an Error with a clear message (scripts/test-deps.sh installs them), never a skipped test.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PostfixOptions {
  /** main.cf settings added to or overriding the defaults (name -> value, written verbatim). */
  main?: Readonly<Record<string, string>>;
  /** Lines appended to master.cf (another smtpd listener with -o overrides, a spawn service...). */
  masterLines?: readonly string[];
  /** Addresses accepted in the virtual domains (a hash: virtual_mailbox_maps). */
  recipients?: readonly string[];
  /** virtual_mailbox_domains; default example.org. */
  virtualDomains?: readonly string[];
  /** Extra files written into the config dir before start (e.g. ldap-*.cf maps), name -> content. */
  files?: Readonly<Record<string, string>>;
  /** Port of the default smtpd on 127.0.0.1; default a free one. */
  smtpPort?: number;
}

export interface PostfixInstance {
  /** The temp dir holding etc/, queue/, data/ and maillog. */
  readonly dir: string;
  readonly configDir: string;
  readonly smtpPort: number;
  /** The whole maillog so far ('' before the first line). */
  log(): string;
  /** Waits until the maillog matches `re`; rejects after `ms` with the log tail. */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  /** `postqueue -p` output. */
  queue(): Promise<string>;
  /** `postqueue -f`: retry deferred mail now. */
  flush(): Promise<void>;
  /** `postqueue -j`: one entry per queued message, with each recipient's delay_reason. */
  queueJson(): Promise<QueueEntry[]>;
  /** Changes main.cf settings (`postconf -e`) and `postfix reload`s; in-flight deliveries finish on the old settings. */
  reconfigure(main: Readonly<Record<string, string>>): Promise<void>;
  /** A main.cf parameter as Postfix sees it (`postconf -h`). */
  postconf(name: string): Promise<string>;
  /** `postfix stop` and wait until master is gone. Idempotent. */
  stop(): Promise<void>;
  /** stop() and remove the temp dir. */
  close(): Promise<void>;
}

/** One message of `postqueue -j` (Postfix 3.1+; showq(8) "JSON OUTPUT FORMAT"). */
export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  sender: string;
  recipients: Array<{ address: string; delay_reason?: string }>;
}

const BINARIES = ['/usr/sbin/postfix', '/usr/sbin/postmap', '/usr/sbin/postconf', '/usr/sbin/postqueue'];

/** Why a private Postfix cannot run here, or null. */
export function postfixMissing(): string | null {
  for (const b of BINARIES) if (!existsSync(b)) return `${b} is not installed: run scripts/test-deps.sh (apt-get install postfix)`;
  if (process.getuid?.() !== 0) return 'a private Postfix needs root (its queue_directory must be owned by root)';
  if (!passwdEntry('postfix')) return 'the postfix user does not exist: install the postfix package (scripts/test-deps.sh)';
  return null;
}

function passwdEntry(name: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export { freePort };

const MASTER_CF = `pickup          unix  n       -      n      60     1       pickup
cleanup         unix  n       -      n      -      0       cleanup
qmgr            unix  n       -      n      300    1       qmgr
tlsmgr          unix  -       -      n      1000?  1       tlsmgr
rewrite         unix  -       -      n      -      -       trivial-rewrite
bounce          unix  -       -      n      -      0       bounce
defer           unix  -       -      n      -      0       bounce
trace           unix  -       -      n      -      0       bounce
verify          unix  -       -      n      -      1       verify
flush           unix  n       -      n      1000?  0       flush
proxymap        unix  -       -      n      -      -       proxymap
smtp            unix  -       -      n      -      -       smtp
relay           unix  -       -      n      -      -       smtp
showq           unix  n       -      n      -      -       showq
error           unix  -       -      n      -      -       error
retry           unix  -       -      n      -      -       error
discard         unix  -       -      n      -      -       discard
lmtp            unix  -       -      n      -      -       lmtp
anvil           unix  -       -      n      -      1       anvil
scache          unix  -       -      n      -      1       scache
postlog         unix-dgram n  -      n      -      1       postlogd
`;

function defaultMain(D: string): Record<string, string> {
  return {
    compatibility_level: '3.6',
    config_directory: `${D}/etc`,
    queue_directory: `${D}/queue`,
    data_directory: `${D}/data`,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    // No syslog on test machines: the maillog file is the only log (needs the postlog service).
    maillog_file: `${D}/maillog`,
    maillog_file_prefixes: D,
    myhostname: 'mx.example.org',
    mydomain: 'example.org',
    myorigin: '$mydomain',
    mydestination: '',
    inet_interfaces: 'loopback-only',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtputf8_enable: 'no',
    biff: 'no',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    relayhost: '',
    default_transport: 'error:outbound mail disabled in tests',
    relay_transport: 'error:outbound mail disabled in tests',
    virtual_mailbox_maps: `hash:${D}/etc/vmailbox`,
    virtual_alias_maps: '',
    virtual_transport: 'error:no virtual_transport given to the test Postfix',
    smtpd_relay_restrictions: 'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
    smtpd_tls_security_level: 'none',
    smtp_tls_security_level: 'none',
    lmtp_tls_security_level: 'none',
    // Fast retries and restarts in tests (defaults are minutes).
    service_throttle_time: '1s',
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    delay_warning_time: '0',
  };
}

export async function startPostfix(o: PostfixOptions = {}): Promise<PostfixInstance> {
  const why = postfixMissing();
  if (why) throw new Error(`cannot start a private Postfix: ${why}`);
  const pf = passwdEntry('postfix')!;
  const D = await mkdtemp(join(tmpdir(), 'postfix-'));
  const etc = join(D, 'etc');
  // Every ancestor must be searchable by the postfix user; mkdtemp makes 0700 dirs.
  for (const d of [D, etc, join(D, 'queue')]) { await mkdir(d, { recursive: true }); await chown(d, 0, 0); await chmod(d, 0o755); }
  await mkdir(join(D, 'data'));
  await chown(join(D, 'data'), pf.uid, pf.gid);
  await chmod(join(D, 'data'), 0o700);
  const smtpPort = o.smtpPort ?? await freePort();
  const main = { ...defaultMain(D), virtual_mailbox_domains: (o.virtualDomains ?? ['example.org']).join(', '), ...o.main };
  await writeFile(join(etc, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}\n`).join(''));
  await writeFile(join(etc, 'master.cf'),
    `127.0.0.1:${smtpPort} inet  n       -      n      -      -       smtpd\n${MASTER_CF}${(o.masterLines ?? []).map((l) => `${l}\n`).join('')}`);
  await writeFile(join(etc, 'vmailbox'), (o.recipients ?? []).map((r) => `${r} x\n`).join(''));
  const files = ['main.cf', 'master.cf', 'vmailbox'];
  for (const [name, text] of Object.entries(o.files ?? {})) { await writeFile(join(etc, name), text); files.push(name); }
  // A main.cf younger than 1 s makes every postfix command wait ~2.5 s for it to settle (notes §4).
  const past = new Date(Date.now() - 10_000);
  for (const f of files) await utimes(join(etc, f), past, past);
  const pidFile = join(D, 'queue', 'pid', 'master.pid');
  let stopped = false;
  try {
    await run('/usr/sbin/postmap', ['-c', etc, join(etc, 'vmailbox')]);
    await run('/usr/sbin/postfix', ['-c', etc, 'check']);
    await run('/usr/sbin/postfix', ['-c', etc, 'start']);
  } catch (e) {
    const log = await readFile(join(D, 'maillog'), 'utf8').catch(() => '');
    await rm(D, { recursive: true, force: true });
    throw new Error(`private Postfix did not start: ${(e as Error).message}\n${log.slice(-2000)}`);
  }
  const log = () => { try { return readFileSync(join(D, 'maillog'), 'utf8'); } catch { return ''; } };
  const inst: PostfixInstance = {
    dir: D, configDir: etc, smtpPort, log,
    async waitForLog(re, ms = 10_000) {
      const end = Date.now() + ms;
      for (;;) {
        const text = log();
        if (re.test(text)) return text;
        if (Date.now() > end) throw new Error(`maillog did not match ${re} within ${ms} ms; tail:\n${text.slice(-2000)}`);
        await sleep(100);
      }
    },
    async queue() { return (await run('/usr/sbin/postqueue', ['-c', etc, '-p'])).stdout; },
    async flush() { await run('/usr/sbin/postqueue', ['-c', etc, '-f']); },
    async queueJson() {
      const out = (await run('/usr/sbin/postqueue', ['-c', etc, '-j'])).stdout;
      return out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as QueueEntry);
    },
    async reconfigure(settings) {
      await run('/usr/sbin/postconf', ['-c', etc, '-e', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
      const old = new Date(Date.now() - 10_000); // see the main.cf age note in startPostfix
      await utimes(join(etc, 'main.cf'), old, old);
      await run('/usr/sbin/postfix', ['-c', etc, 'reload']);
    },
    async postconf(name) { return (await run('/usr/sbin/postconf', ['-c', etc, '-h', name])).stdout.trim(); },
    async stop() {
      if (stopped) return;
      stopped = true;
      let pid = 0;
      try { pid = Number(readFileSync(pidFile, 'utf8').trim()); } catch { /* not running */ }
      await run('/usr/sbin/postfix', ['-c', etc, 'stop']).catch(() => undefined);
      for (let i = 0; pid > 0 && i < 100; i++) {
        try { process.kill(pid, 0); } catch { return; }
        await sleep(100);
      }
      if (pid > 0) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    },
    async close() { await inst.stop(); await rm(D, { recursive: true, force: true }); },
  };
  return inst;
}

export interface SwaksResult { code: number; stdout: string; stderr: string }

/**
 * Runs swaks with `args` (no shell). Never rejects on a non-zero exit: swaks exits 28 when AUTH
 * fails, 24+ for other SMTP refusals; the caller checks `code` and the transcript.
 */
export async function swaks(args: readonly string[], timeoutMs = 30_000): Promise<SwaksResult> {
  if (!existsSync('/usr/bin/swaks')) throw new Error('/usr/bin/swaks is not installed: run scripts/test-deps.sh (apt-get install swaks)');
  try {
    const r = await run('/usr/bin/swaks', [...args], { timeout: timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof x.code !== 'number') throw e;
    return { code: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

export interface SmtpMessage { from: string; to: readonly string[]; /** Header and body, LF or CRLF line ends. */ text: string }

/**
 * Submits messages over ONE SMTP session (RFC 5321), one after the other, each waiting for its
 * 250: much faster than a swaks process per message when a test needs a stream of mail. Rejects
 * on any reply that is not the expected one (with the reply), so a refused message is never silent.
 * `onSent(i)` runs after message i was queued (e.g. to act mid-stream).
 */
export async function smtpSendMany(port: number, messages: readonly SmtpMessage[], onSent?: (i: number) => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const sock = connect({ host: '127.0.0.1', port });
  sock.setNoDelay(true);
  let buf = '';
  let failure: Error | null = null;
  const replies: string[] = [];
  let wake: (() => void) | null = null;
  let multi: string[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
      const l = buf.slice(0, i); buf = buf.slice(i + 2);
      multi.push(l);
      if (/^\d{3}-/.test(l)) continue; // a multi-line reply ends with "code SP"
      replies.push(multi.join('\n')); multi = [];
    }
    wake?.();
  });
  sock.on('error', (e) => { failure = e; wake?.(); });
  sock.on('close', () => { failure ??= new Error('SMTP server closed the connection'); wake?.(); });
  const expect = async (code: number, what: string): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (replies.length === 0) {
      if (failure) throw failure;
      if (Date.now() > end) throw new Error(`SMTP: no reply to ${what} within ${timeoutMs} ms`);
      await new Promise<void>((r) => { const t = setTimeout(r, 100); wake = () => { clearTimeout(t); r(); }; });
      wake = null;
    }
    const r = replies.shift()!;
    if (!r.startsWith(String(code))) throw new Error(`SMTP: ${what} answered ${r}`);
  };
  try {
    await expect(220, 'greeting');
    sock.write('EHLO client.test\r\n'); await expect(250, 'EHLO');
    for (const [i, m] of messages.entries()) {
      sock.write(`MAIL FROM:<${m.from}>\r\n`); await expect(250, `MAIL (message ${i})`);
      for (const r of m.to) { sock.write(`RCPT TO:<${r}>\r\n`); await expect(250, `RCPT ${r} (message ${i})`); }
      sock.write('DATA\r\n'); await expect(354, `DATA (message ${i})`);
      // Dot-stuffing (RFC 5321 §4.5.2), CRLF line ends.
      const body = m.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      sock.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`); await expect(250, `end of data (message ${i})`);
      await onSent?.(i);
    }
    sock.write('QUIT\r\n'); await expect(221, 'QUIT');
  } finally {
    sock.destroy();
  }
}
