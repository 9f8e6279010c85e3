/**
 * POP3 side by side: our server (a separate process, pop3-server-proc.ts) and Debian's
 * dovecot-pop3d (private instance, loadtest/lib/dovecot.ts) on copies of the same generated Maildir.
 *
 * Workloads (each: connect, USER/PASS, ..., QUIT; no DELE, so every run sees the same mailbox):
 *   retr  — STAT + UIDL + RETR of every message of a `--messages` (1,000) INBOX, one RETR at a time
 *   uidl  — STAT + UIDL on a `--big` (50,000) INBOX (index only: no message file should be opened)
 * The first session of each server builds its index ("cold"); then `--runs` warm sessions, median shown.
 * Results also checked: both servers must return the same STAT, LIST sizes and UIDLs.
 *
 *   npm run build && node dist/loadtest/bench/pop3-compare.js [--messages 1000] [--big 50000] [--runs 5] [--json out.json]
 *   smoke:  node dist/loadtest/bench/pop3-compare.js --messages 100 --big 2000 --runs 2
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chownTree, startDovecot, type DovecotInstance } from '../lib/dovecot.js';
import { copyMaildir, generateMaildir } from '../lib/maildir-gen.js';
import { arg } from '../lib/bench-args.js';

const MESSAGES = Number(arg('messages', '1000'));
const BIG = Number(arg('big', '50000'));
const RUNS = Number(arg('runs', '5'));
const JSON_OUT = arg('json', '');
const DOMAIN = 'bench.example';

/** A minimal, fast POP3 client: one-line and multi-line replies as Buffers. */
class Client {
  private chunks: Buffer[] = [];
  private len = 0;
  private waiter: (() => void) | null = null;
  private closed = false;
  private constructor(private sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => { this.chunks.push(d); this.len += d.length; this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }
  private wake(): void { const w = this.waiter; this.waiter = null; w?.(); }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  private buf(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.len)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
  private take(n: number): Buffer {
    const b = this.buf();
    const out = b.subarray(0, n);
    const rest = b.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.len = rest.length;
    return out;
  }
  private async until(find: (b: Buffer, from: number) => number): Promise<Buffer> {
    let from = 0;
    for (;;) {
      const b = this.buf();
      const i = find(b, from);
      if (i >= 0) return this.take(i);
      from = Math.max(0, b.length - 5);
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => { this.waiter = r; });
    }
  }
  async line(): Promise<string> {
    return (await this.until((b, f) => { const i = b.indexOf('\r\n', f); return i < 0 ? -1 : i + 2; })).toString('latin1').trimEnd();
  }
  /** First line; on +OK also the body up to "\r\n.\r\n" (body returned without the terminator). */
  async multi(cmd: string): Promise<{ first: string; body: Buffer }> {
    this.sock.write(cmd + '\r\n');
    const first = await this.line();
    if (!first.startsWith('+OK')) return { first, body: Buffer.alloc(0) };
    const b = await this.until((buf, f) => {
      if (buf.length >= 3 && buf[0] === 0x2e && buf[1] === 0x0d && buf[2] === 0x0a) return 3;
      const i = buf.indexOf('\r\n.\r\n', f);
      return i < 0 ? -1 : i + 5;
    });
    return { first, body: b.length === 3 ? Buffer.alloc(0) : b.subarray(0, b.length - 3) };
  }
  async cmd(c: string): Promise<string> { this.sock.write(c + '\r\n'); return this.line(); }
  close(): void { this.sock.destroy(); }
}

async function login(port: number, user: string): Promise<Client> {
  const c = await Client.connect(port);
  await c.line();
  if (!(await c.cmd(`USER ${user}`)).startsWith('+OK')) throw new Error('USER refused');
  const r = await c.cmd('PASS pass');
  if (!r.startsWith('+OK')) throw new Error(`PASS refused: ${r}`);
  return c;
}

interface Listing { stat: string; uidl: string; list: string }

async function retrWorkload(port: number, user: string): Promise<{ ms: number; bytes: number; check: Listing }> {
  const t0 = performance.now();
  const c = await login(port, user);
  const stat = await c.cmd('STAT');
  const uidl = await c.multi('UIDL');
  const n = Number(stat.split(' ')[1]);
  let bytes = 0;
  for (let i = 1; i <= n; i++) {
    const r = await c.multi(`RETR ${i}`);
    if (!r.first.startsWith('+OK')) throw new Error(`RETR ${i}: ${r.first}`);
    bytes += r.body.length;
  }
  await c.cmd('QUIT');
  c.close();
  const ms = performance.now() - t0;
  const c2 = await login(port, user);
  const list = await c2.multi('LIST');
  await c2.cmd('RSET');
  c2.close();
  return { ms, bytes, check: { stat, uidl: uidl.body.toString('latin1'), list: list.body.toString('latin1') } };
}

async function uidlWorkload(port: number, user: string): Promise<{ ms: number; check: Listing }> {
  const t0 = performance.now();
  const c = await login(port, user);
  const stat = await c.cmd('STAT');
  const uidl = await c.multi('UIDL');
  const list = await c.multi('LIST');
  await c.cmd('QUIT');
  c.close();
  return { ms: performance.now() - t0, check: { stat, uidl: uidl.body.toString('latin1'), list: list.body.toString('latin1') } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

async function startOurs(root: string): Promise<{ port: number; child: ChildProcess }> {
  const script = new URL('./pop3-server-proc.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [script, '--root', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`pop3-server-proc exited ${code}`)));
  });
  return { port: (JSON.parse(first) as { port: number }).port, child };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pop3-bench-'));
  chmodSync(dir, 0o755);
  const src = join(dir, 'src');
  const t0 = performance.now();
  generateMaildir({ dir: join(src, 'small'), messages: MESSAGES, seed: 1 });
  generateMaildir({ dir: join(src, 'big'), messages: BIG, seed: 2 });
  const roots = { ours: join(dir, 'ours'), dovecot: join(dir, 'dovecot-mail') };
  for (const r of Object.values(roots)) {
    copyMaildir(join(src, 'small'), join(r, DOMAIN, 'small', 'Maildir'));
    copyMaildir(join(src, 'big'), join(r, DOMAIN, 'big', 'Maildir'));
  }
  chownTree(roots.dovecot);
  console.log(`generated ${MESSAGES} + ${BIG} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const base = 30000 + Math.floor(Math.random() * 20000);
  let dovecot: DovecotInstance | null = null;
  let ours: { port: number; child: ChildProcess } | null = null;
  const users = ['small', 'big'].map((u) => ({ user: `${u}@${DOMAIN}`, password: 'pass' }));
  try {
    dovecot = await startDovecot({ dir: join(dir, 'dovecot'), mailRoot: roots.dovecot, port: base, pop3Port: base + 1, users, fsyncNever: true });
    ours = await startOurs(roots.ours);
    const servers = [['ours', ours.port], [`dovecot ${dovecot.version.split(' ')[0]}`, base + 1]] as const;
    const results: Record<string, Record<string, number>> = {};
    const checks: Record<string, Listing[]> = {};
    for (const [name, port] of servers) {
      const r: Record<string, number> = {};
      const cold = await retrWorkload(port, `small@${DOMAIN}`);
      r.retrColdMs = cold.ms;
      const warm: number[] = [];
      for (let i = 0; i < RUNS; i++) warm.push((await retrWorkload(port, `small@${DOMAIN}`)).ms);
      r.retrWarmMs = median(warm);
      r.retrMBps = cold.bytes / 1024 / 1024 / (r.retrWarmMs / 1000);
      const ucold = await uidlWorkload(port, `big@${DOMAIN}`);
      r.uidlColdMs = ucold.ms;
      const uw: number[] = [];
      for (let i = 0; i < RUNS; i++) uw.push((await uidlWorkload(port, `big@${DOMAIN}`)).ms);
      r.uidlWarmMs = median(uw);
      results[name] = r;
      checks[name] = [cold.check, ucold.check];
    }
    const [a, b] = Object.values(checks);
    // Each server indexes its own copy, so UIDVALIDITY (the last 8 hex digits) is each one's own
    // choice; the UID part and everything else must agree (dovecot-diff.test.ts checks full UIDLs on one copy).
    const norm = (l: Listing[]) => JSON.stringify(l.map((x) => ({ ...x, uidl: x.uidl.replace(/^(\d+ [0-9a-f]{8})[0-9a-f]{8}$/gm, '$1') })));
    const same = norm(a!) === norm(b!);
    console.log(`\nPOP3, ${MESSAGES} messages (STAT+UIDL+RETR each) and ${BIG} messages (STAT+UIDL+LIST); warm = median of ${RUNS}`);
    console.log('server'.padEnd(22) + ['retr cold ms', 'retr warm ms', 'MB/s warm', 'uidl cold ms', 'uidl warm ms'].map((h) => h.padStart(14)).join(''));
    for (const [name, r] of Object.entries(results)) {
      console.log(name.padEnd(22) + [r.retrColdMs, r.retrWarmMs, r.retrMBps, r.uidlColdMs, r.uidlWarmMs].map((v) => v!.toFixed(1).padStart(14)).join(''));
    }
    console.log(`\nSTAT, LIST and UIDL (UID part) replies identical on both servers: ${same ? 'yes' : 'NO'}`);
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ messages: MESSAGES, big: BIG, runs: RUNS, results, identical: same }, null, 2));
    if (!same) {
      process.exitCode = 1;
      for (const [k, [x, y]] of [['retr', [a![0]!, b![0]!]], ['uidl', [a![1]!, b![1]!]]] as const) {
        for (const f of ['stat', 'list', 'uidl'] as const) {
          if (x[f] !== y[f]) console.log(`${k} ${f} differs:\n  ours:    ${x[f].slice(0, 300)}\n  dovecot: ${y[f].slice(0, 300)}`);
        }
      }
    }
  } finally {
    ours?.child.kill('SIGTERM');
    await dovecot?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
