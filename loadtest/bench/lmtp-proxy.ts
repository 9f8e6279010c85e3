/**
 * LMTP proxy overhead: deliveries per second straight to a backend mail node vs through the proxy
 * node (services/proxy, LMTP section), and a cross-site message (one recipient on each of two
 * backends, the proxy runs both transactions in parallel). Real processes on loopback: two backend
 * mail nodes (site A, site B, fsync on unless BENCH_FSYNC=0) and one proxy node. Each connection
 * sends MAIL, RCPT(s) and DATA pipelined, then the body, and waits for the per-recipient replies.
 *
 *   npm run build && node dist/loadtest/bench/lmtp-proxy.js [--seconds 10] [--conns 1,8] [--sizes 4096,102400] [--json out.json]
 *   smoke: node dist/loadtest/bench/lmtp-proxy.js --seconds 1 --conns 1 --sizes 4096
 */
import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProc, type Proc } from '../../services/proxy/testing.js';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { loopbackBackends, mailNode, nodeYaml, proxyNode } from '../../libs/testing/src/node-config.js';
import { arg, numbers } from '../lib/bench-args.js';

const seconds = Number(arg('seconds', '10'));
const connsList = numbers('conns', '1,8');
const sizes = numbers('sizes', '4096,102400');
const jsonOut = arg('json', '');
const fsync = process.env.BENCH_FSYNC !== '0';
const USERS = 8;

class Conn {
  private buf = '';
  private want = 0;
  private got: number[] = [];
  private done: ((codes: number[]) => void) | null = null;
  private constructor(private readonly s: Socket) {
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      let i;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        if (line[3] === '-') continue;
        this.got.push(Number(line.slice(0, 3)));
        if (this.got.length === this.want && this.done) { const d2 = this.done; this.done = null; d2(this.got.splice(0)); }
      }
    });
  }
  static async open(port: number): Promise<Conn> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('error', j); });
    const c = new Conn(s);
    await c.send('LHLO bench\r\n', 2);
    return c;
  }
  send(data: string | Buffer, replies: number): Promise<number[]> {
    const p = new Promise<number[]>((r) => { this.want = replies; this.done = r; });
    this.s.write(data);
    return p;
  }
  close(): void { this.s.destroy(); }
}

function message(size: number, n: number): Buffer {
  const head = `From: bench@example.net\r\nSubject: bench ${n}\r\nMessage-ID: <${n}.${Date.now()}@bench>\r\n\r\n`;
  const line = 'the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz\r\n';
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))) + '.\r\n');
}

interface Row { target: string; conns: number; size: number; rcpts: number; msgs: number; perSec: number; p50ms: number; p99ms: number; failures: number }

async function runCase(target: string, port: number, conns: number, size: number, rcptsOf: (i: number) => string[]): Promise<Row> {
  const cs = await Promise.all(Array.from({ length: conns }, () => Conn.open(port)));
  const lat: number[] = [];
  let failures = 0;
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(cs.map(async (c, ci) => {
    while (Date.now() < end) {
      const i = n++;
      const rcpts = rcptsOf(i + ci);
      const t0 = performance.now();
      const head = await c.send(`MAIL FROM:<bench@example.net>\r\n${rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`, 2 + rcpts.length);
      if (head[head.length - 1] !== 354) { failures++; continue; }
      const codes = await c.send(message(size, i), rcpts.length);
      lat.push(performance.now() - t0);
      failures += codes.filter((x) => x !== 250).length;
    }
  }));
  for (const c of cs) c.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : 0;
  return { target, conns, size, rcpts: rcptsOf(0).length, msgs: lat.length, perSec: lat.length / seconds, p50ms: q(0.5), p99ms: q(0.99), failures };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-lmtp-proxy-'));
  const procs: Proc[] = [];
  try {
    const pw = hashPassword('pw');
    const lines = ['users:'];
    for (let i = 0; i < USERS; i++) {
      lines.push(`  a${i}@bench.example: { password: "${pw}", homeServer: site-a }`, `  b${i}@bench.example: { password: "${pw}", homeServer: site-b }`);
    }
    writeFileSync(join(dir, 'users.yaml'), lines.join('\n') + '\n');
    const users = join(dir, 'users.yaml');
    const backend = (name: string) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, `${name}.yaml`), nodeYaml(mailNode({ hostname: name, dataDir: join(dir, name), users, fsync, lmtp: 0, logLevel: 'warn' })));
      const p = startProc('mail', join(dir, `${name}.yaml`));
      procs.push(p);
      return p;
    };
    const [A, B] = [backend('site-a'), backend('site-b')];
    const aPort = Number((await A.waitFor(/^listening lmtp 127\.0\.0\.1:(\d+)$/m))[1]);
    const bPort = Number((await B.waitFor(/^listening lmtp 127\.0\.0\.1:(\d+)$/m))[1]);
    mkdirSync(join(dir, 'proxy'), { recursive: true });
    writeFileSync(join(dir, 'proxy.yaml'), nodeYaml(proxyNode({
      hostname: 'proxy', dataDir: join(dir, 'proxy'), users, logLevel: 'warn',
      proxy: { masterUser: 'proxy', masterPassword: 'unused', lmtpPort: 0, lmtpSocket: false, lmtpBackends: loopbackBackends({ 'site-a': aPort, 'site-b': bPort }) },
    })));
    const P = startProc('proxy', join(dir, 'proxy.yaml'));
    procs.push(P);
    await P.waitFor(/proxy node .* ready/);
    const pPort = P.port('lmtp');
    const rows: Row[] = [];
    const a = (i: number) => [`a${i % USERS}@bench.example`];
    const ab = (i: number) => [`a${i % USERS}@bench.example`, `b${i % USERS}@bench.example`];
    for (const size of sizes) for (const conns of connsList) {
      rows.push(await runCase('direct A', aPort, conns, size, a));
      rows.push(await runCase('proxy -> A', pPort, conns, size, a));
      rows.push(await runCase('proxy -> A+B', pPort, conns, size, ab));
    }
    console.log(`LMTP proxy benchmark (fsync ${fsync ? 'on' : 'off'}, ${seconds}s per case)`);
    console.log('target          conns    size  rcpts   msgs   msgs/s   p50 ms   p99 ms  failures');
    for (const r of rows) {
      console.log(`${r.target.padEnd(14)} ${String(r.conns).padStart(6)} ${String(r.size).padStart(7)} ${String(r.rcpts).padStart(6)} ${String(r.msgs).padStart(6)} ${r.perSec.toFixed(1).padStart(8)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)} ${String(r.failures).padStart(9)}`);
    }
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ fsync, seconds, rows }, null, 2));
    if (rows.some((r) => r.failures > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
