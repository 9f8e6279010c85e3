/**
 * Helpers for the proxy's end-to-end tests (not a test file): a two-site cluster on loopback
 * (two backend mail nodes as processes, users homed on each site) and proxy processes in front.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../libs/directory/src/file/password.js';

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

/** A backend mail node's config: own data dir and mail root, master user for the proxies from 127.0.0.0/8. */
export function writeBackendConfig(dir: string, name: string, imapPort = 0, ports: { pop3?: number | null; sieve?: number | null } = {}): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `node: { hostname: ${name}, dataDir: ${data} }
directory: { path: ${join(dir, 'users.yaml')} }
storage: { fsync: false }
imap: { host: 127.0.0.1, port: ${imapPort}, tlsPort: null }
pop3: { host: 127.0.0.1, port: ${ports.pop3 ?? null}, tlsPort: null }
lmtp: { port: null, socket: false }
managesieve: { host: 127.0.0.1, port: ${ports.sieve ?? null} }
quotaStatus: { port: null }
http: { port: null }
admin: { port: null }
log: { level: info }
sasl:
  port: null
  socket: false
  trustedNetworks: [127.0.0.0/8]
  masterUsers: { ${MASTER.user}: "${hashPassword(MASTER.password)}" }
  masterNetworks: [127.0.0.0/8]
`);
  return path;
}

export function writeProxyConfig(dir: string, name: string, backends: Record<string, number>, extra = '',
  more: { pop3Backends?: Record<string, number>; sieveBackends?: Record<string, number> } = {}): string {
  const map = (key: string, m: Record<string, number> | undefined) => (m ? `  ${key}Port: 0\n  ${key}Backends:\n${Object.entries(m).map(([n, p]) => `    ${n}: 127.0.0.1:${p}`).join('\n')}\n` : '');
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `node: { hostname: ${name}, dataDir: ${data} }
directory: { path: ${join(dir, 'users.yaml')} }
http: { host: 127.0.0.1, port: 0 }
log: { level: info }
sasl: { port: null, socket: false, trustedNetworks: [127.0.0.0/8] }
${/^admin:/m.test(extra) ? '' : 'admin: { port: null }\n'}${extra}
proxy:
  host: 127.0.0.1
  imapPort: 0
  imapTlsPort: 0
  masterUser: ${MASTER.user}
  masterPassword: ${MASTER.password}
  connectTimeout: 1000ms
  breakerFailures: 3
  breakerCoolDown: 1500ms
  backends:
${Object.entries(backends).map(([n, p]) => `    ${n}: 127.0.0.1:${p}`).join('\n')}
${map('pop3', more.pop3Backends)}${map('sieve', more.sieveBackends)}`);
  return path;
}

/** Message files (new/ and cur/ of every folder) under a mail root. */
export function mailFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\/(new|cur)$/.test(d)) out.push(p);
    }
  };
  walk(root);
  return out;
}
