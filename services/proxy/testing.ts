/**
 * Helpers for the proxy's end-to-end tests (not a test file): a two-site cluster on loopback
 * (two backend mail nodes as processes, users homed on each site) and proxy processes in front.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { BASE_LDIF, startSlapd, freePort, type Slapd } from '../../libs/testing/src/slapd.js';
import { mailFiles } from '../../libs/testing/src/maildir.js';
import { LOOPBACK, loopbackBackends, mailNode, nodeYaml, parseSections, proxyNode, type NodeConfig } from '../../libs/testing/src/node-config.js';

const here = dirname(fileURLToPath(import.meta.url));

export const MASTER = { user: 'proxy', password: 'master-secret' };
export const USERS = {
  alice: { user: 'alice@example.org', password: 'alicepw', home: 'site-a.test' },
  bob: { user: 'bob@example.org', password: 'bobpw', home: 'site-b.test' },
  carol: { user: 'carol@example.org', password: 'carolpw', home: null },
} as const;

export interface Proc {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** First stdout match after the previous waitFor's match; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  port(name: string): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a compiled service main (services/<name>/main.js) with a config file. */
export function startProc(service: 'mail' | 'proxy', config: string, env: NodeJS.ProcessEnv = {}): Proc {
  const script = join(here, '..', service, 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', script, '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); for (const w of waiters) w(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<void>((r) => child.on('exit', () => { for (const w of waiters) w(); r(); }));
  let from = 0;
  return {
    child, out: () => out, err: () => err,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timeout waiting for ${re}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err}`)); }, timeoutMs);
        const check = () => {
          const m = re.exec(out.slice(from));
          if (m) { from += (m.index ?? 0) + m[0].length; clearTimeout(timer); waiters.delete(check); resolve(m); return; }
          if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer); waiters.delete(check);
            reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${re}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    port(name) {
      const m = new RegExp(`^listening ${name} [^\\n]*:(\\d+)$`, 'm').exec(out);
      if (!m) throw new Error(`no "listening ${name}" line in:\n${out}`);
      return Number(m[1]);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function writeUsers(dir: string): string {
  const path = join(dir, 'users.yaml');
  const lines = ['users:'];
  for (const u of Object.values(USERS)) {
    lines.push(`  ${u.user}:`, `    password: "${hashPassword(u.password)}"`);
    if (u.home) lines.push(`    homeServer: ${u.home}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * A backend mail node's config: own data dir and mail root, master user for the proxies from
 * 127.0.0.0/8, the listeners in `ports` besides IMAP; `sections` replace or add whole sections.
 */
export function writeBackendConfig(dir: string, name: string, imapPort = 0,
  ports: { pop3?: number | null; sieve?: number | null; lmtp?: number | null } = {}, sections: NodeConfig = {}): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, nodeYaml({
    ...mailNode({
      hostname: name, dataDir: data, users: join(dir, 'users.yaml'), imap: imapPort, ...ports,
      master: { user: MASTER.user, hash: hashPassword(MASTER.password) },
    }),
    ...sections,
  }));
  return path;
}

/**
 * A proxy node's config: IMAP (plain and TLS) in front of `backends`, POP3/ManageSieve/LMTP in front
 * of theirs when given; `extra` is YAML of whole sections that replace or add to the defaults.
 */
export function writeProxyConfig(dir: string, name: string, backends: Record<string, number>, extra = '',
  more: { pop3Backends?: Record<string, number>; sieveBackends?: Record<string, number>; lmtpBackends?: Record<string, number>; sections?: NodeConfig } = {}): string {
  const map = (key: string, m: Record<string, number> | undefined) => (m ? { [`${key}Port`]: 0, [`${key}Backends`]: loopbackBackends(m) } : {});
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, nodeYaml({
    ...proxyNode({
      hostname: name, dataDir: data, users: join(dir, 'users.yaml'),
      proxy: {
        imapPort: 0, imapTlsPort: 0, masterUser: MASTER.user, masterPassword: MASTER.password,
        connectTimeout: '1000ms', breakerFailures: 3, breakerCoolDown: '1500ms', backends: loopbackBackends(backends),
        ...map('pop3', more.pop3Backends), ...map('sieve', more.sieveBackends), ...map('lmtp', more.lmtpBackends),
      },
    }),
    http: { host: LOOPBACK, port: 0 },
    ...parseSections(extra),
    ...more.sections,
  }));
  return path;
}

export { mailFiles };

/**
 * The cluster's directory for slapd (UCS schema): alice homed on site-a.test, bob on site-b.test,
 * the group team@ with both (a group the LMTP proxy must split across the two backends).
 */
export const CLUSTER_LDIF = `${BASE_LDIF}
dn: cn=groups,dc=example,dc=org
objectClass: organizationalRole
cn: groups

dn: cn=mail,dc=example,dc=org
objectClass: organizationalRole
cn: mail

dn: cn=domain,cn=mail,dc=example,dc=org
objectClass: organizationalRole
cn: domain

dn: cn=example.org,cn=domain,cn=mail,dc=example,dc=org
objectClass: univentionMailDomainname
cn: example.org
${[['alice', 2001, 'site-a.test'], ['bob', 2002, 'site-b.test']].map(([u, n, home]) => `
dn: uid=${u},cn=users,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: shadowAccount
objectClass: univentionMail
uid: ${u}
cn: ${u}
sn: Example
uidNumber: ${n}
gidNumber: 5001
homeDirectory: /home/${u}
userPassword: ${u}pw
mailPrimaryAddress: ${u}@example.org
univentionMailHomeServer: ${home}
`).join('')}
dn: cn=team,cn=groups,dc=example,dc=org
objectClass: posixGroup
objectClass: univentionMail
cn: team
gidNumber: 5001
memberUid: alice
memberUid: bob
mailPrimaryAddress: team@example.org
`;

export interface Cluster {
  readonly dir: string;
  readonly slapd: Slapd;
  siteA: Proc;
  siteB: Proc;
  p1: Proc;
  p2: Proc;
  /** Starts backend B again on its ports (after a stop or kill), resolves when it is ready. */
  restartSiteB(): Promise<Proc>;
  /** Starts proxy 1 or 2 again with its config (new ephemeral ports), resolves when it is ready. */
  restartProxy(n: 1 | 2): Promise<Proc>;
  /** A user's Maildir root on a backend (site-a.test / site-b.test). */
  mailbox(site: string, local: string): string;
  /** Kills every process, stops slapd, removes the cluster's Redis keys. Does not remove `dir`. */
  close(): Promise<void>;
}

/**
 * A two-site cluster on loopback: real slapd (CLUSTER_LDIF), the machine's Redis under `prefix`,
 * two backend mail nodes (IMAP and LMTP on fixed free ports, so a restarted backend comes back on
 * the same address) and two proxy processes (IMAP, LMTP with both backends) in front.
 */
export async function startCluster(dir: string, prefix: string, redisUrl = 'redis://127.0.0.1:6379'): Promise<Cluster> {
  const slapd = await startSlapd({ ldif: CLUSTER_LDIF });
  const sections: NodeConfig = {
    directory: { type: 'ldap', ldapUris: [slapd.url], ldapBase: slapd.suffix },
    redis: { url: redisUrl, prefix },
  };
  const [ia, ib, la, lb] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const backend = (name: string, imap: number, lmtp: number) => writeBackendConfig(dir, name, imap, { lmtp }, sections);
  const proxy = (name: string) => writeProxyConfig(dir, name, { 'site-a.test': ia, 'site-b.test': ib }, '',
    { lmtpBackends: { 'site-a.test': la, 'site-b.test': lb }, sections });
  const configB = backend('site-b.test', ib, lb);
  const proxyConfigs = { 1: proxy('proxy-1'), 2: proxy('proxy-2') };
  const c: Cluster = {
    dir, slapd,
    siteA: startProc('mail', backend('site-a.test', ia, la)),
    siteB: startProc('mail', configB),
    p1: null as unknown as Proc,
    p2: null as unknown as Proc,
    async restartSiteB() {
      await c.siteB.stop('SIGKILL');
      c.siteB = startProc('mail', configB);
      await c.siteB.waitFor(/ready/);
      return c.siteB;
    },
    async restartProxy(n) {
      const key = n === 1 ? 'p1' : 'p2';
      await c[key].stop('SIGKILL');
      c[key] = startProc('proxy', proxyConfigs[n]);
      await c[key].waitFor(new RegExp(`^proxy node proxy-${n} ready`, 'm'));
      return c[key];
    },
    mailbox: (site, local) => join(dir, site, 'mail', 'example.org', local),
    async close() {
      await Promise.all([c.siteA, c.siteB, c.p1, c.p2].filter(Boolean).map((p) => p.stop('SIGKILL')));
      await slapd.close();
      const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await r.connect().catch(() => undefined);
      const keys = await r.keys(`${prefix}*`).catch(() => [] as string[]);
      if (keys.length) await r.del(...keys).catch(() => undefined);
      r.disconnect();
    },
  };
  try {
    await Promise.all([c.siteA.waitFor(/ready/), c.siteB.waitFor(/ready/)]);
    c.p1 = startProc('proxy', proxyConfigs[1]);
    c.p2 = startProc('proxy', proxyConfigs[2]);
    await Promise.all([c.p1.waitFor(/^proxy node proxy-1 ready/m), c.p2.waitFor(/^proxy node proxy-2 ready/m)]);
  } catch (e) {
    await c.close();
    throw e;
  }
  return c;
}

/** The Message-ID of every message file under a Maildir root (one entry per file, so a duplicate shows twice). */
export function messageIds(root: string): string[] {
  return mailFiles(root).map((f) => {
    const head = readFileSync(f, 'latin1').split(/\r?\n\r?\n/, 1)[0]!;
    return /^Message-ID:\s*(<[^>\r\n]*>)/im.exec(head)?.[1] ?? '';
  });
}
