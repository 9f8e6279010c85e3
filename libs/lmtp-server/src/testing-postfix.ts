/**
 * Test helper: a private Postfix 3.7 (Debian) on loopback, after /work/shared/notes/real-components.md §4.
 * Mail for example.org goes to our LMTP (`virtual_transport = lmtp:unix:<socket>`), everything else
 * to `relayhost` (an SMTP sink in tests), so forwards, redirects and vacation replies we hand to
 * this Postfix end up there. No SASL, no policy service. Needs root (queue ownership) and the
 * postfix user. Written here because libs/testing/src/postfix.ts did not exist yet.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';

const run = promisify(execFile);

export interface PostfixOptions {
  dir: string;
  /** LMTP target: a UNIX socket path or a TCP port on 127.0.0.1. */
  lmtp: { socket: string } | { port: number };
  /** Where non-local mail goes (127.0.0.1:port). */
  relayPort: number;
  /** Recipient addresses Postfix accepts for example.org. */
  recipients: string[];
}

export interface PostfixInstance {
  smtpPort: number;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function uidOf(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`user ${name} missing: install postfix (scripts/test-deps.sh)`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export function postfixMissing(): string | null {
  for (const bin of ['/usr/sbin/postfix', '/usr/bin/swaks', '/usr/sbin/postmap']) if (!existsSync(bin)) return `${bin} not installed (apt-get install postfix swaks; scripts/test-deps.sh)`;
  if (process.getuid?.() !== 0) return 'the private Postfix needs root (queue directory ownership)';
  return null;
}

export async function startPostfix(o: PostfixOptions): Promise<PostfixInstance> {
  const D = o.dir;
  const smtpPort = await freePort();
  for (const d of [D, join(D, 'etc'), join(D, 'queue')]) { mkdirSync(d, { recursive: true }); chownSync(d, 0, 0); chmodSync(d, 0o755); }
  mkdirSync(join(D, 'data'), { recursive: true });
  const pf = uidOf('postfix');
  chownSync(join(D, 'data'), pf.uid, pf.gid);
  chmodSync(join(D, 'data'), 0o700);
  const transport = 'socket' in o.lmtp ? `lmtp:unix:${o.lmtp.socket}` : `lmtp:inet:127.0.0.1:${o.lmtp.port}`;
  writeFileSync(join(D, 'etc', 'main.cf'), `compatibility_level = 3.6
config_directory = ${D}/etc
queue_directory = ${D}/queue
data_directory = ${D}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${D}/maillog
maillog_file_prefixes = ${D}
myhostname = mx.example.org
mydomain = example.org
myorigin = $mydomain
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtputf8_enable = no
biff = no
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:${o.relayPort}
smtp_tls_security_level = none
virtual_mailbox_domains = example.org
virtual_mailbox_maps = hash:${D}/etc/vmailbox
virtual_alias_maps =
virtual_transport = ${transport}
lmtp_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
service_throttle_time = 1s
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`);
  writeFileSync(join(D, 'etc', 'master.cf'), `127.0.0.1:${smtpPort} inet  n       -      n      -      -       smtpd
pickup          unix  n       -      n      60     1       pickup
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
`);
  writeFileSync(join(D, 'etc', 'vmailbox'), o.recipients.map((r) => `${r} x\n`).join(''));
  // A main.cf younger than 1 s makes every postfix command wait for it to settle (notes §4).
  const past = new Date(Date.now() - 10_000);
  for (const f of ['main.cf', 'master.cf', 'vmailbox']) utimesSync(join(D, 'etc', f), past, past);
  await run('postmap', ['-c', join(D, 'etc'), join(D, 'etc', 'vmailbox')]);
  await run('postfix', ['-c', join(D, 'etc'), 'check']);
  await run('postfix', ['-c', join(D, 'etc'), 'start']);
  const pidFile = join(D, 'queue', 'pid', 'master.pid');
  return {
    smtpPort,
    log: () => { try { return readFileSync(join(D, 'maillog'), 'utf8'); } catch { return ''; } },
    stop: async () => {
      let pid = 0;
      try { pid = Number(readFileSync(pidFile, 'utf8').trim()); } catch { /* not running */ }
      try { execFileSync('postfix', ['-c', join(D, 'etc'), 'stop'], { stdio: 'ignore' }); } catch { /* already stopped */ }
      for (let i = 0; pid && i < 100; i++) {
        try { process.kill(pid, 0); } catch { return; }
        await sleep(100);
      }
    },
  };
}

/** swaks: one message into the Postfix under test. Resolves with swaks' transcript; rejects on a non-zero exit. */
export async function swaks(port: number, from: string, to: string, subject: string, extraHeaders: string[] = []): Promise<string> {
  const args = ['--server', `127.0.0.1:${port}`, '--from', from, '--to', to, '--header', `Subject: ${subject}`,
    ...extraHeaders.flatMap((h) => ['--add-header', h]), '--body', `Test body for ${subject}`, '--timeout', '20'];
  const r = await run('swaks', args);
  return r.stdout;
}
