/**
 * Test harness (not a test): a private OpenLDAP slapd from Debian on a loopback port, with the
 * UCS-compatible mail schema (deploy/ldap/univention-mail.ldif) and the given entries (LDIF;
 * default deploy/ldap/sample.ldif). Root DN cn=admin,<suffix> with password "secret".
 * stop() and start() again keep the data (for "LDAP goes down mid-test").
 * A missing slapd is a failure with a clear message (scripts/test-deps.sh installs it).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { freePort } from './ports.js';

export const SLAPD_BIN = '/usr/sbin/slapd';
export const SLAPADD_BIN = '/usr/sbin/slapadd';
export const ADMIN_PASSWORD = 'secret';

/** The default suffix and its cn=users container, the start of a test's own LDIF (users and groups follow). */
export const BASE_LDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=users,dc=example,dc=org
objectClass: organizationalRole
cn: users
`;

export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('project root not found');
    d = up;
  }
  return d;
}

export interface SlapdOptions {
  suffix?: string;
  /** LDIF text of the entries; default deploy/ldap/sample.ldif. */
  ldif?: string;
  port?: number;
  /** PEM certificate and key: slapd also listens with ldaps:// on a second port and offers StartTLS. */
  tls?: { cert: string; key: string };
}

export interface Slapd {
  readonly url: string;
  readonly port: number;
  /** ldaps:// URL when started with tls, else null. */
  readonly ldapsUrl: string | null;
  readonly suffix: string;
  readonly adminDn: string;
  readonly dir: string;
  /** Running slapd's PID (null when stopped). */
  pid(): number | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A client bound as the root DN (caller unbinds). */
  admin(): Promise<Client>;
  /** stop() and remove the data. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (tiny race until the server binds it; fine for tests). */
export { freePort };

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.once('error', reject);
    p.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)));
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function configLdif(dir: string, suffix: string, schema: string, tls: boolean): string {
  // slappasswd is not needed: a cleartext olcRootPW works for simple binds.
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcArgsFile: ${dir}/slapd.args
olcLogLevel: none
${tls ? `olcTLSCertificateFile: ${dir}/cert.pem\nolcTLSCertificateKeyFile: ${dir}/key.pem\n` : ''}
dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file://${schema}

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${suffix}
olcRootDN: cn=admin,${suffix}
olcRootPW: ${ADMIN_PASSWORD}
olcDbDirectory: ${dir}/data
olcDbMaxSize: 268435456
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,mailPrimaryAddress,mailAlternativeAddress eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read
`;
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  for (const bin of [SLAPD_BIN, SLAPADD_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: install Debian package slapd (scripts/test-deps.sh)`);
  }
  const root = projectRoot();
  const suffix = opts.suffix ?? 'dc=example,dc=org';
  const ldif = opts.ldif ?? await readFile(join(root, 'deploy', 'ldap', 'sample.ldif'), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'slapd-'));
  const port = opts.port ?? await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  await run('mkdir', ['-p', join(dir, 'slapd.d'), join(dir, 'data')]);
  const tlsPort = opts.tls ? await freePort() : null;
  if (opts.tls) {
    await writeFile(join(dir, 'cert.pem'), opts.tls.cert);
    await writeFile(join(dir, 'key.pem'), opts.tls.key, { mode: 0o600 });
  }
  await writeFile(join(dir, 'config.ldif'), configLdif(dir, suffix, join(root, 'deploy', 'ldap', 'univention-mail.ldif'), opts.tls !== undefined));
  await run(SLAPADD_BIN, ['-n0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif'), '-q']);
  await writeFile(join(dir, 'data.ldif'), ldif);
  await run(SLAPADD_BIN, ['-b', suffix, '-F', join(dir, 'slapd.d'), '-l', join(dir, 'data.ldif'), '-q']);

  let pid: number | null = null;
  const self: Slapd = {
    url, port, suffix, dir, adminDn: `cn=admin,${suffix}`,
    ldapsUrl: tlsPort === null ? null : `ldaps://127.0.0.1:${tlsPort}`,
    pid: () => pid,
    async start() {
      if (pid !== null) return;
      // slapd forks and returns once it listens; its PID is in the pid file.
      await run(SLAPD_BIN, ['-F', join(dir, 'slapd.d'), '-h', tlsPort === null ? `${url}/` : `${url}/ ldaps://127.0.0.1:${tlsPort}/`]);
      for (let i = 0; i < 100; i++) {
        const text = await readFile(join(dir, 'slapd.pid'), 'utf8').catch(() => '');
        if (/^\d+/.test(text)) { pid = Number.parseInt(text, 10); break; }
        await sleep(20);
      }
      if (pid === null) throw new Error('slapd did not write its pid file');
      for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>((r) => {
          const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
          s.once('error', () => r(false));
        });
        if (ok) return;
        await sleep(20);
      }
      throw new Error(`slapd did not listen on ${url}`);
    },
    async stop() {
      if (pid === null) return;
      const p = pid;
      pid = null;
      try { process.kill(p, 'SIGTERM'); } catch { return; }
      for (let i = 0; i < 250 && alive(p); i++) await sleep(20);
      if (alive(p)) process.kill(p, 'SIGKILL');
      for (let i = 0; i < 100 && alive(p); i++) await sleep(20);
    },
    async admin() {
      const c = new Client({ url, timeout: 5000, connectTimeout: 5000 });
      await c.bind(`cn=admin,${suffix}`, ADMIN_PASSWORD);
      return c;
    },
    async close() {
      await self.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await self.start();
  } catch (e) {
    await self.close();
    throw e;
  }
  return self;
}
