/**
 * Helpers for the service's end-to-end tests (not a test file itself): run main/deliver as child
 * processes, from source (tsx) when the tests run from source, from dist/ when they run compiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

export function projectRoot(): string {
  let d = here;
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

function command(script: 'main' | 'deliver', args: string[]): string[] {
  return fromSource ? ['--import', 'tsx', join(here, `${script}.ts`), ...args] : [join(here, `${script}.js`), ...args];
}

export interface Service {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout match (checking what came before too); rejects on exit/timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Every TCP listener of a node: section -> its port keys. */
const LISTENERS: Record<string, string[]> = {
  imap: ['port', 'tlsPort'], pop3: ['port', 'tlsPort'], managesieve: ['port'], quotaStatus: ['port'], lmtp: ['port'],
  sasl: ['port'], http: ['port'], admin: ['port'],
};

/**
 * Tests listen on loopback only, and only where they ask to: every listener host becomes 127.0.0.1,
 * and a listener whose port the test's config file does not set is turned off (instead of taking a
 * standard port such as 110 or 12340 that parallel test files would fight over).
 */
export function testListenerEnv(args: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const i = args.indexOf('--config');
  let file: Record<string, Record<string, unknown> | undefined> = {};
  if (i >= 0 && args[i + 1]) {
    try { file = (parseYaml(readFileSync(args[i + 1]!, 'utf8')) ?? {}) as typeof file; } catch { /* the service reports it */ }
  }
  const out: NodeJS.ProcessEnv = {};
  for (const [section, ports] of Object.entries(LISTENERS)) {
    const up = section.toUpperCase();
    out[`MAIL_${up}__HOST`] = '127.0.0.1';
    for (const key of ports) if (!(key in (file[section] ?? {}))) out[`MAIL_${up}__${key.toUpperCase()}`] = 'null';
  }
  return { ...out, ...env };
}

export function startService(args: string[], env: NodeJS.ProcessEnv = {}): Service {
  const child = spawn(process.execPath, command('main', args), {
    cwd: projectRoot(), env: { ...process.env, ...testListenerEnv(args, env) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); for (const w of waiters) w(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { for (const w of waiters) w(); resolve(code); }));
  let from = 0;
  return {
    child, exited,
    stdout: () => out,
    stderr: () => err,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timeout waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`)); }, timeoutMs);
        const check = () => {
          const m = re.exec(out.slice(from));
          if (m) { from += (m.index ?? 0) + m[0].length; clearTimeout(timer); waiters.delete(check); resolve(m); return; }
          if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer); waiters.delete(check);
            reject(new Error(`service exited (${child.exitCode ?? child.signalCode}) before ${re}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export function runDeliver(args: string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, command('deliver', args), { cwd: projectRoot(), env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('exit', (code) => resolve({ code, stderr: err }));
    child.stdin!.end(input);
  });
}

export function runMain(args: string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, command('main', args), { cwd: projectRoot(), env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('exit', (code) => resolve({ code, stdout: out, stderr: err }));
    child.stdin!.end(input);
  });
}
