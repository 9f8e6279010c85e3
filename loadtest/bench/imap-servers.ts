/**
 * The two servers under comparison behind one small interface: ours (a child process running
 * imap-server-proc.js, so its RSS is its own) and a private Dovecot 2.3 in its default
 * process-per-connection mode (loadtest/lib/dovecot.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chownTree, startDovecot } from '../lib/dovecot.js';
import { freePort } from '../../libs/testing/src/ports.js';

export type ServerName = 'ours' | 'dovecot';

export interface BenchServer {
  name: ServerName;
  port: number;
  /** Every process whose memory counts for this server. */
  pids(): number[];
  /** Before a memory sample: ours runs a full GC (Dovecot has nothing to collect). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  mailRoot: string;
  /** Scratch dir for Dovecot's config, state and log. */
  dir: string;
  fsync: boolean;
  users: string[];
  password: string;
  /** Extra node flags for our process (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Ours: worker processes (libs/workers, the mail node's node.workers); 1 = one process. */
  workers?: number;
}

export async function startOurs(o: StartOptions): Promise<BenchServer> {
  const script = new URL('./imap-server-proc.js', import.meta.url).pathname;
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', ...(o.nodeFlags ?? []), script, '--root', o.mailRoot, '--fsync', o.fsync ? '1' : '0', '--workers', String(o.workers ?? 1)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => { rl.close(); resolve(l); });
    child.once('exit', (code) => reject(new Error(`our server exited early (code ${code})`)));
  });
  const { port, pids } = JSON.parse(line) as { port: number; pids: number[] };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: 'ours',
    port,
    // With workers: the primary and every worker (CPU and memory of all of them count).
    pids: () => pids,
    settle: async () => { child.kill('SIGUSR2'); await new Promise((r) => setTimeout(r, 1000)); },
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function startDovecotServer(o: StartOptions): Promise<BenchServer> {
  chownTree(o.mailRoot);
  const port = await freePort();
  const d = await startDovecot({
    dir: o.dir,
    mailRoot: o.mailRoot,
    port,
    users: o.users.map((user) => ({ user, password: o.password })),
    // Same durability as ours: fsync on = Dovecot's default (mail_fsync = optimized), off = never.
    fsyncNever: !o.fsync,
  });
  return { name: 'dovecot', port, pids: () => d.pids(), settle: async () => {}, stop: () => d.stop() };
}
