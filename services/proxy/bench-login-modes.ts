#!/usr/bin/env node
/**
 * What each login mode costs per connection (docs/login-modes.md): a backend mail node and a proxy in
 * high-security and in high-performance mode (processes, loopback, temp dir); N clients connect and log
 * in (one user each, so the user+IP limit does not interfere), and stay connected. Reports the login
 * latency (connect -> tagged OK of LOGIN: p50/p99), the connection rate, and the proxy's memory (parent
 * + login processes; RSS and PSS, which counts shared pages once) idle and with the N connections.
 *
 *   node dist/services/proxy/bench-login-modes.js [--connections 200] [--concurrency 10] [--mode both|high-security|high-performance]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { startProc, writeBackendConfig, writeProxyConfig, type Proc } from './testing.js';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] ?? def : def; };
const n = Number(arg('connections', '200'));
const concurrency = Number(arg('concurrency', '10'));
const modeArg = arg('mode', 'both');
const modes = modeArg === 'both' ? ['high-performance', 'high-security'] as const : [modeArg as 'high-security' | 'high-performance'];

/** The process and its descendants (Linux /proc). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch { /* gone */ }
  }
  return out;
}

function memory(pid: number): { processes: number; rssMB: number; pssMB: number } {
  let rss = 0;
  let pss = 0;
  const pids = tree(pid);
  for (const p of pids) {
    try {
      const r = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(r)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(r)?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return { processes: pids.length, rssMB: rss / 1024, pssMB: pss / 1024 };
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'login-modes-bench-'));
const hash = hashPassword('pass');
writeFileSync(join(dir, 'users.yaml'), `users:\n${Array.from({ length: n }, (_, i) => `  user${i + 1}@example.org:\n    password: "${hash}"\n    homeServer: backend.test\n`).join('')}`);
const backend = startProc('mail', writeBackendConfig(dir, 'backend.test'));
await backend.waitFor(/ready/);
const results: Record<string, unknown> = {};
for (const mode of modes) {
  let proxy: Proc | null = null;
  const clients: RawClient[] = [];
  try {
    proxy = startProc('proxy', writeProxyConfig(dir, `proxy-${mode}`, { 'backend.test': backend.port('imap') }), {
      MAIL_PROXY__LOGINMODE: mode, MAIL_PROXY__IMAPPROCESSLIMIT: String(n + 10), MAIL_LOG__LEVEL: 'warn',
    });
    await proxy.waitFor(/ready/, 60_000);
    await sleep(1000);
    const idle = memory(proxy.child.pid!);
    const lat: number[] = [];
    const started = Date.now();
    let next = 0;
    let failed = 0;
    const port = proxy.port('imap');
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = ++next;
        const t0 = performance.now();
        try {
          const c = await RawClient.connect(port);
          clients.push(c);
          await c.line(30_000);
          const r = (await c.cmd('a', `LOGIN user${i}@example.org pass`, 30_000)).at(-1)!;
          if (!r.startsWith('a OK')) { failed++; continue; }
          lat.push(performance.now() - t0);
        } catch { failed++; }
      }
    }));
    const elapsed = (Date.now() - started) / 1000;
    await sleep(1000);
    const loaded = memory(proxy.child.pid!);
    const r = {
      connections: lat.length, failed, seconds: +elapsed.toFixed(2), perSecond: +(lat.length / elapsed).toFixed(1),
      loginMs: { p50: +pct(lat, 50).toFixed(1), p99: +pct(lat, 99).toFixed(1), max: +pct(lat, 100).toFixed(1) },
      idle, loaded,
      perConnectionKB: { rss: +(((loaded.rssMB - idle.rssMB) * 1024) / Math.max(1, lat.length)).toFixed(0), pss: +(((loaded.pssMB - idle.pssMB) * 1024) / Math.max(1, lat.length)).toFixed(0) },
    };
    results[mode] = r;
    process.stdout.write(`${mode}: ${JSON.stringify(r)}\n`);
  } finally {
    for (const c of clients) c.close();
    await proxy?.stop();
  }
}
await backend.stop();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ connections: n, concurrency, results }, null, 2)}\n`);
