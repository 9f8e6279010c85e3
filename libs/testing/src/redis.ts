/**
 * Test harness (not a test): a private redis-server on a loopback port (for tests that stop
 * Redis; others use the machine's Redis on 6379 with their own key prefix).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './slapd.js';

export const REDIS_BIN = '/usr/bin/redis-server';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  pid(): number | null;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedis(): Promise<PrivateRedis> {
  if (!existsSync(REDIS_BIN)) throw new Error(`${REDIS_BIN} not found: install Debian package redis-server (scripts/test-deps.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'redis-'));
  const port = await freePort();
  let child: ReturnType<typeof spawn> | null = null;
  const self: PrivateRedis = {
    port, url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid ?? null,
    async start() {
      if (child) return;
      const c = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      child = c;
      for (let i = 0; i < 200; i++) {
        const ok = await new Promise<boolean>((r) => {
          const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
          s.once('error', () => r(false));
        });
        if (ok) return;
        if (c.exitCode !== null) break;
        await sleep(20);
      }
      throw new Error(`redis-server did not listen on ${port}`);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async close() {
      await self.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
