/**
 * A minimal private Postfix for tests (not a test): loopback SMTP port, virtual domain example.org,
 * `check_policy_service` pointing at a given policy port, no SASL, no outbound mail. Written here
 * because libs/testing/src/postfix.ts did not exist yet; follows /work/shared/notes/real-components.md §4.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const run = promisify(execFile);
export const POSTFIX_BIN = '/usr/sbin/postfix';
export const POSTMAP_BIN = '/usr/sbin/postmap';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

export interface Postfix { dir: string; smtpPort: number; stop(): Promise<void>; log(): Promise<string> }

export async function startPostfix(opts: { policyPort: number; lmtpPort?: number; mailboxes: string[] }): Promise<Postfix> {
  if (!existsSync(POSTFIX_BIN)) throw new Error(`${POSTFIX_BIN} is missing: run scripts/test-deps.sh (apt-get install postfix)`);
  const dir = await mkdtemp(join(tmpdir(), 'pf-'));
  await chmod(dir, 0o755);
  const etc = join(dir, 'etc');
  for (const d of ['etc', 'queue', 'data']) await mkdir(join(dir, d), { recursive: true });
  await chmod(etc, 0o755);
  await chmod(join(dir, 'queue'), 0o755);
  await run('chown', ['postfix:postfix', join(dir, 'data')]);
  await chmod(join(dir, 'data'), 0o700);
  const smtpPort = await freePort();
  const lmtp = opts.lmtpPort ?? 1;
  await writeFile(join(etc, 'main.cf'), `compatibility_level = 3.6
config_directory = ${etc}
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
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
relayhost =
default_transport = error:outbound mail disabled in tests
relay_transport = error:outbound mail disabled in tests
virtual_mailbox_domains = example.org
virtual_mailbox_maps = hash:${etc}/vmailbox
virtual_alias_maps =
virtual_transport = lmtp:inet:127.0.0.1:${lmtp}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:${opts.policyPort}
smtpd_tls_security_level = none
service_throttle_time = 1s
`);
  await writeFile(join(etc, 'master.cf'), `127.0.0.1:${smtpPort} inet  n       -      n      -      -       smtpd
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
  await writeFile(join(etc, 'vmailbox'), opts.mailboxes.map((m) => `${m} x\n`).join(''));
  // A fresh main.cf makes every postfix command wait ~2.5 s (notes §4): back-date the files.
  const past = new Date(Date.now() - 10_000);
  for (const f of ['main.cf', 'master.cf', 'vmailbox']) await utimes(join(etc, f), past, past);
  await run(POSTMAP_BIN, ['-c', etc, join(etc, 'vmailbox')]);
  await run(POSTFIX_BIN, ['-c', etc, 'check']);
  await run(POSTFIX_BIN, ['-c', etc, 'start']);
  return {
    dir, smtpPort,
    async log() { return readFile(join(dir, 'maillog'), 'utf8').catch(() => ''); },
    async stop() {
      let pid = 0;
      try { pid = Number((await readFile(join(dir, 'queue', 'pid', 'master.pid'), 'utf8')).trim()); } catch { /* not running */ }
      await run(POSTFIX_BIN, ['-c', etc, 'stop']).catch(() => undefined);
      for (let i = 0; i < 100 && pid > 0; i++) {
        try { process.kill(pid, 0); } catch { break; }
        await new Promise((r) => setTimeout(r, 50));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
