/**
 * Test helpers (not tests): a raw auth-protocol client over a real socket, and an auth service
 * over a FileDirectory in a temp dir with alice (alicepw), a disabled user and a master user.
 */
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDirectory } from '../../directory/src/file/file-directory.js';
import { hashPassword } from '../../directory/src/file/password.js';
import type { SaslPolicyConfig } from '../../sasl/src/index.js';
import { LineSplitter, parseServerLine, type ServerLine } from './codec.js';
import { directoryAuthenticator } from './directory-authenticator.js';
import { DovecotAuthServer } from './server.js';

export class RawAuthClient {
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly splitter = new LineSplitter(1 << 20);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => { this.lines.push(...this.splitter.push(b)); this.wake(); });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  static connect(to: { path: string } | { port: number; host?: string }): Promise<RawAuthClient> {
    return new Promise((resolve, reject) => {
      const s = 'path' in to ? net.createConnection(to.path) : net.createConnection(to.port, to.host ?? '127.0.0.1');
      s.once('error', reject);
      s.once('connect', () => { s.off('error', reject); resolve(new RawAuthClient(s)); });
    });
  }

  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }

  send(text: string): void { this.socket.write(text); }

  /** Next raw line, or null when the server closed; fails after `ms`. */
  async line(ms = 5000): Promise<string | null> {
    const deadline = Date.now() + ms;
    while (this.lines.length === 0) {
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a line from the auth server');
      await new Promise<void>((r) => { this.waiter = r; setTimeout(r, left); });
    }
    return this.lines.shift()!;
  }

  async next(ms?: number): Promise<ServerLine | null> {
    const l = await this.line(ms);
    return l === null ? null : parseServerLine(l);
  }

  /** Reads the server handshake up to DONE and answers VERSION + CPID as Postfix does. */
  async handshake(): Promise<ServerLine[]> {
    const got: ServerLine[] = [];
    for (;;) {
      const m = await this.next();
      if (!m) throw new Error('closed during handshake');
      got.push(m);
      if (m.type === 'DONE') break;
    }
    this.send(`VERSION\t1\t0\nCPID\t${process.pid}\n`);
    return got;
  }

  /** Resolves once the server has closed the connection. */
  async closed(ms = 5000): Promise<boolean> {
    for (;;) { const l = await this.line(ms); if (l === null) return true; }
  }

  end(): void { this.socket.destroy(); }
}

export const MASTER_PASSWORD = 'masterpw';

export interface TestAuthService {
  dir: string;
  usersPath: string;
  server: DovecotAuthServer;
  socketPath: string;
  port: number;
  directory: FileDirectory;
  close(): Promise<void>;
}

/** Starts the auth service on a UNIX socket (mode 0666, dir 0755 so Postfix can reach it) and a TCP port. */
export async function startTestAuthService(policy: Partial<SaslPolicyConfig> = {}, failureDelayMs = 50): Promise<TestAuthService> {
  const dir = await mkdtemp(join(tmpdir(), 'dovecot-auth-'));
  await chmod(dir, 0o755);
  const usersPath = join(dir, 'users.yaml');
  await writeFile(usersPath, `users:
  alice@example.org:
    password: "{PLAIN}alicepw"
    aliases: [a.example@example.org]
  bob@example.org:
    password: "${hashPassword('bobpw')}"
  dis@example.org:
    password: "{PLAIN}dispw"
    disabled: true
`);
  const directory = await FileDirectory.open({ path: usersPath });
  const authenticator = directoryAuthenticator(directory, {
    allowPlaintext: false, trustedNetworks: ['127.0.0.0/8'], masterSeparator: '*',
    masterUsers: { proxy: hashPassword(MASTER_PASSWORD) }, masterNetworks: ['127.0.0.2/32'], ...policy,
  });
  const quiet = { info() {}, warn() {}, debug() {} };
  const server = new DovecotAuthServer({ authenticator, logger: quiet, failureDelayMs });
  const socketPath = await server.listenUnix(join(dir, 'auth'), 0o666);
  const port = await server.listenTcp('127.0.0.1', 0);
  return {
    dir, usersPath, server, socketPath, port, directory,
    async close() { await server.close(); await directory.close(); await rm(dir, { recursive: true, force: true }); },
  };
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export const DOVECOT_BIN = '/usr/sbin/dovecot';

export interface ReferenceDovecotAuth { port: number; dir: string; log(): string; close(): Promise<void> }

/**
 * A private Dovecot 2.3 (Debian) running only its auth service on a loopback TCP port, users from a
 * passwd-file ("user:{SCHEME}hash" lines), as the reference peer for differential tests and benchmarks.
 * A missing dovecot is an Error naming scripts/test-deps.sh.
 */
export async function startReferenceDovecotAuth(passwd: string, port: number, opts: { failureDelay?: string } = {}): Promise<ReferenceDovecotAuth> {
  if (!existsSync(DOVECOT_BIN)) throw new Error(`${DOVECOT_BIN} is not installed: run scripts/test-deps.sh (apt-get install dovecot-core)`);
  const dir = await mkdtemp(join(tmpdir(), 'dovecot-auth-ref-'));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'passwd'), passwd);
  // Each "{" on its own line (Dovecot's parser); no protocols: only the auth service runs.
  await writeFile(join(dir, 'dovecot.conf'), `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = auth-ref-${port}
listen = 127.0.0.1
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = ${opts.failureDelay ?? '0'}
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u
}
service auth {
  client_limit = 5000
  inet_listener {
    address = 127.0.0.1
    port = ${port}
  }
}
`);
  const log = () => { try { return readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000); } catch { return '(no log)'; } };
  const close = async () => {
    let pid = 0;
    try { pid = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8').trim()); } catch { /* not running */ }
    spawnSync(DOVECOT_BIN, ['-c', join(dir, 'dovecot.conf'), 'stop'], { stdio: 'ignore', timeout: 10_000 });
    for (let i = 0; pid > 0 && i < 100; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((res) => setTimeout(res, 100));
    }
    await rm(dir, { recursive: true, force: true });
  };
  // stdio ignored: the daemon keeps inherited pipes open, and spawnSync would wait for it.
  const r = spawnSync(DOVECOT_BIN, ['-c', join(dir, 'dovecot.conf')], { stdio: 'ignore', timeout: 10_000 });
  if (r.status !== 0) { const l = log(); await close(); throw new Error(`dovecot did not start (exit ${r.status}): ${l}`); }
  for (let i = 0; i < 100; i++) {
    try { (await RawAuthClient.connect({ port })).end(); return { port, dir, log, close }; } catch { await new Promise((res) => setTimeout(res, 50)); }
  }
  const l = log();
  await close();
  throw new Error(`dovecot auth listener did not come up: ${l}`);
}
