/**
 * The four set-ups of bench:proxy (loadtest/bench/proxy-compare.ts), started side by side on loopback:
 * our backend mail node + our proxy in front of it, a private Dovecot backend + a second private Dovecot
 * as `proxy=y` in front of it. Both proxies authenticate the user themselves and log in to their
 * backend as a master user (AUTHENTICATE PLAIN, authzid = user), so each login costs one user password
 * check at the proxy and one master password check at the backend on both sides, with the same scheme.
 * Also: password hashes both servers read, and CPU time of a process tree from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { shaCryptHash } from '../../libs/directory/src/file/sha-crypt.js';
import { loopbackBackends, mailNode, nodeYaml, proxyNode } from '../../libs/testing/src/node-config.js';
import { descendants, startDovecot, type DovecotInstance } from '../lib/dovecot.js';
import { freePort } from '../lib/target.js';

export type Scheme = 'SSHA512' | 'SHA512-CRYPT' | 'PLAIN';
export const SCHEMES: readonly Scheme[] = ['SSHA512', 'SHA512-CRYPT', 'PLAIN'];

/** "{SCHEME}..." as Dovecot's doveadm pw writes it; both our directory and Dovecot's passwd-file read it. */
export function hashFor(scheme: Scheme, password: string): string {
  switch (scheme) {
    case 'PLAIN': return `{PLAIN}${password}`;
    // Dovecot "Password Schemes": SSHA512 = base64(sha512(password . salt) . salt).
    case 'SSHA512': {
      const salt = randomBytes(8);
      return `{SSHA512}${Buffer.concat([createHash('sha512').update(password).update(salt).digest(), salt]).toString('base64')}`;
    }
    case 'SHA512-CRYPT': return `{SHA512-CRYPT}${shaCryptHash(password, '6')}`;
  }
}

/** (a) (b) (c) (d) of the issue, in the order each round runs them. */
export const SETUPS = ['ours-direct', 'ours-proxy', 'dovecot-direct', 'dovecot-proxy'] as const;
export type SetupName = typeof SETUPS[number];

export const MASTER = { user: 'proxy', password: 'master-secret' };
export const BACKEND_NAME = 'backend.test';

/** CPU seconds (user, system) of a process and all its descendants, the exited ones included. */
export function treeCpu(root: number): { user: number; sys: number } {
  // utime/stime of every live process, plus cutime/cstime: what its reaped children (and theirs) used.
  // Short-lived processes (Dovecot's per-connection imap-login/imap, our login workers) are thereby
  // counted once they are reaped; a process exited but not yet reaped still shows its own stat.
  const hz = 100; // USER_HZ: 100 on every Linux architecture Node supports
  let user = 0, sys = 0;
  for (const pid of descendants(root, true)) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      // fields after ")": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
      user += Number(f[11]) + Number(f[13]);
      sys += Number(f[12]) + Number(f[14]);
    } catch { /* exited meanwhile */ }
  }
  return { user: user / hz, sys: sys / hz };
}

export function treeCpuSeconds(root: number): number { const c = treeCpu(root); return c.user + c.sys; }

export interface NodeProc {
  child: ChildProcess;
  pid: number;
  ports: Record<string, number>;
  stop(): Promise<void>;
}

/** Runs a compiled service main with --config, waits for its ready line, collects "listening X host:port". */
async function startService(service: 'mail' | 'proxy', config: string, execArgv: string[] = []): Promise<NodeProc> {
  const main = new URL(`../../services/${service}/main.js`, import.meta.url).pathname;
  const child = spawn(process.execPath, [...execArgv, main, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-4000); });
  const ports: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${service} did not get ready in 60 s: ${err}`)), 60_000);
    rl.on('line', (l) => {
      const m = /^listening (\S+) [^\s]*:(\d+)$/.exec(l);
      if (m) ports[m[1]!] = Number(m[2]);
      if (/ ready \(config/.test(l)) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${service} exited early (code ${code}): ${err}`)); });
  });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => { if (child.exitCode !== null) r(); else child.once('exit', () => r()); });
  return {
    child, pid: child.pid!, ports,
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface SetupOptions {
  dir: string;
  oursRoot: string;
  doveRoot: string;
  users: { user: string; password: string; hash: string }[];
  masterHash: string;
  fsync: boolean;
  /** Directory for --cpu-prof of our proxy (parent and login processes); null = none. */
  cpuProfDir: string | null;
  /** auth_cache_size for both Dovecot instances (null = Dovecot's default, off). */
  dovecotAuthCache: string | null;
}

export interface Setups {
  oursBackend: NodeProc;
  oursProxy: NodeProc;
  doveBackend: DovecotInstance;
  doveProxy: DovecotInstance;
  stop(): Promise<void>;
}

export async function startSetups(o: SetupOptions): Promise<Setups> {
  const ours = join(o.dir, 'ours');
  mkdirSync(join(ours, 'backend-data'), { recursive: true });
  mkdirSync(join(ours, 'proxy-data'), { recursive: true });
  writeFileSync(join(ours, 'users.yaml'), `users:\n${o.users.map((u) => `  ${u.user}:\n    password: "${u.hash}"\n    homeServer: ${BACKEND_NAME}\n`).join('')}`);
  // Both our processes log at warn, as Dovecot logs only errors and warnings by default.
  const users = join(ours, 'users.yaml');
  const imapLimits = { allowPlaintextAuth: true, maxUserIpConnections: 100000 };
  const backend = mailNode({
    hostname: BACKEND_NAME, dataDir: join(ours, 'backend-data'), users, mailRoot: o.oursRoot, fsync: o.fsync, imap: 0, logLevel: 'warn',
    master: { user: MASTER.user, hash: o.masterHash },
  });
  writeFileSync(join(ours, 'backend.yaml'), nodeYaml({ ...backend, imap: { ...backend.imap, ...imapLimits } }));
  const oursBackend = await startService('mail', join(ours, 'backend.yaml'));
  writeFileSync(join(ours, 'proxy.yaml'), nodeYaml({
    ...proxyNode({
      hostname: 'proxy.test', dataDir: join(ours, 'proxy-data'), users, logLevel: 'warn',
      proxy: {
        imapPort: 0, imapTlsPort: null, masterUser: MASTER.user, masterPassword: MASTER.password,
        backends: loopbackBackends({ [BACKEND_NAME]: oursBackend.ports.imap! }),
      },
    }),
    imap: imapLimits,
    quotaStatus: { port: null },
  }));
  const profArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  let oursProxy: NodeProc;
  try { oursProxy = await startService('proxy', join(ours, 'proxy.yaml'), profArgs); } catch (e) { await oursBackend.stop(); throw e; }
  let doveBackend: DovecotInstance | null = null;
  try {
    const bport = await freePort();
    doveBackend = await startDovecot({
      dir: join(o.dir, 'dovecot-backend'), mailRoot: o.doveRoot, port: bport, fsyncNever: !o.fsync,
      users: o.users, masterUsers: [{ user: MASTER.user, hash: o.masterHash }], authCacheSize: o.dovecotAuthCache ?? undefined,
    });
    const doveProxy = await startDovecot({
      dir: join(o.dir, 'dovecot-proxy'), mailRoot: join(o.dir, 'dovecot-proxy-mail'), port: await freePort(),
      users: o.users, proxyTo: { host: '127.0.0.1', port: bport, master: MASTER }, authCacheSize: o.dovecotAuthCache ?? undefined,
    });
    const b = doveBackend;
    return {
      oursBackend, oursProxy, doveBackend: b, doveProxy,
      stop: async () => { await Promise.all([oursProxy.stop(), doveProxy.stop()]); await Promise.all([oursBackend.stop(), b.stop()]); },
    };
  } catch (e) {
    await Promise.all([oursProxy.stop(), oursBackend.stop(), doveBackend?.stop()]);
    throw e;
  }
}
