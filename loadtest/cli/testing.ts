/**
 * Helpers for the harness's own tests (not a test file): start the embedded single node with N
 * users on ephemeral loopback ports, and run the compiled CLI as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type Service } from '../../services/mail/testing.js';
import { LOOPBACK, LOOPBACK_IMAP, nodeYaml, singleNode } from '../../libs/testing/src/node-config.js';

export interface TestNode {
  dir: string;
  mailRoot: string;
  imap: number;
  imaps: number;
  /** Listeners of services that may not exist yet in the node (null when absent). */
  pop3: number | null;
  lmtp: number | null;
  sieve: number | null;
  cert: string;
  svc: Service;
  stop(): Promise<void>;
}

/** Starts our node with user1..userN@example.org (password "pass"); plaintext LOGIN allowed only if asked. */
export async function startNode(users: number, allowPlaintextAuth = false): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-node-'));
  const lines = ['users:'];
  for (let i = 1; i <= users; i++) lines.push(`  user${i}@example.org:`, '    password: "{PLAIN}pass"');
  writeFileSync(join(dir, 'users.yaml'), lines.join('\n') + '\n');
  const plaintext = { allowPlaintextAuth };
  writeFileSync(join(dir, 'node.yaml'), nodeYaml({
    ...singleNode('loadtest.test'),
    imap: { ...LOOPBACK_IMAP, ...plaintext },
    pop3: { ...LOOPBACK_IMAP, ...plaintext },
    lmtp: { host: LOOPBACK, port: 0, socket: false },
    managesieve: { host: LOOPBACK, port: 0 },
    quotaStatus: { port: null },
    log: { level: 'warn' },
  }));
  const svc = startService(['--config', join(dir, 'node.yaml')]);
  const imap = Number((await svc.waitFor(/^listening imap 127\.0\.0\.1:(\d+)$/m))[1]);
  const imaps = Number((await svc.waitFor(/^listening imaps 127\.0\.0\.1:(\d+)$/m))[1]);
  await svc.waitFor(/ready/);
  const opt = (name: string) => { const m = new RegExp(`^listening ${name} 127\\.0\\.0\\.1:(\\d+)$`, 'm').exec(svc.stdout()); return m ? Number(m[1]) : null; };
  return {
    dir, mailRoot: join(dir, 'data', 'mail'), imap, imaps, pop3: opt('pop3'), lmtp: opt('lmtp'), sieve: opt('managesieve'), cert: readFileSync(join(dir, 'data', 'tls', 'cert.pem'), 'utf8'), svc,
    async stop() {
      if (svc.child.exitCode === null && svc.child.signalCode === null) {
        svc.child.kill('SIGTERM');
        const t = setTimeout(() => svc.child.kill('SIGKILL'), 10_000);
        await svc.exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliRun { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> }

/** Runs dist/loadtest/cli/main.js with args. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const main = new URL('./main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout: out, stderr: err })));
  return { child, done };
}

/** Message files (cur/ and new/) under a mail root whose content has `needle`, oldest first. */
export function messageFiles(root: string, needle: string): string[] {
  const out: { p: string; t: number }[] = [];
  const walk = (d: string) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\/(cur|new)$/.test(d)) {
        try { if (readFileSync(p, 'latin1').includes(needle)) out.push({ p, t: statSync(p).mtimeMs }); } catch { /* renamed meanwhile */ }
      }
    }
  };
  walk(root);
  return out.sort((a, b) => a.t - b.t).map((x) => x.p);
}
