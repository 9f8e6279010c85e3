/**
 * LMTP deliveries per second with fsync, ours vs Dovecot's dovecot-lmtpd + Pigeonhole, side by
 * side on this machine: 1 and 8 connections, 4 KB and 100 KB messages, each recipient with a
 * small active Sieve script (UCS layout: ~/.dovecot.sieve -> sieve/bench.sieve; half of the
 * messages are filed into a folder by it). Each connection sends MAIL, RCPT and DATA pipelined,
 * then the body, and waits for the per-recipient reply before the next message.
 *
 *   npm run build && node dist/loadtest/bench/lmtp-compare.js [--seconds 10] [--conns 1,8]
 *       [--sizes 4096,102400] [--users 8] [--servers ours,dovecot] [--json out.json]
 *   smoke: node dist/loadtest/bench/lmtp-compare.js --seconds 1 --sizes 4096 --conns 1
 *
 * Needs root for Dovecot (its mail processes run as nobody; the tree is chowned).
 * Env: BENCH_FSYNC=0 turns our fsync off (diagnosis only), BENCH_PROF=<dir> writes a CPU profile of
 * our server, UV_THREADPOOL_SIZE (our server, like the node, uses 16 unless set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chownTree, dovecotVersion, startDovecot, type DovecotInstance } from '../lib/dovecot.js';
import { arg, numbers } from '../lib/bench-args.js';

const seconds = Number(arg('seconds', '10'));
const connsList = numbers('conns', '1,8');
const sizes = numbers('sizes', '4096,102400');
const nUsers = Number(arg('users', '8'));
const servers = arg('servers', 'ours,dovecot').split(',');
const jsonOut = arg('json', '');
const users = Array.from({ length: nUsers }, (_, i) => `bench${i}@bench.example`);

const SIEVE = `require ["fileinto", "imap4flags"];
# small UCS-style user filter
if header :contains "subject" "[list]" {
  fileinto "Lists";
  stop;
}
if address :is "from" "boss@bench.example" {
  addflag "\\\\Flagged";
}
`;

function prepareRoot(root: string): void {
  for (const u of users) {
    const [local, domain] = u.split('@');
    const home = join(root, domain!, local!);
    mkdirSync(join(home, 'sieve'), { recursive: true });
    mkdirSync(join(home, 'Maildir', '.Lists', 'cur'), { recursive: true });
    for (const s of ['new', 'tmp']) mkdirSync(join(home, 'Maildir', '.Lists', s), { recursive: true });
    for (const s of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', s), { recursive: true });
    writeFileSync(join(home, 'sieve', 'bench.sieve'), SIEVE);
    symlinkSync('sieve/bench.sieve', join(home, '.dovecot.sieve'));
  }
}

function message(size: number, n: number): Buffer {
  const head = `From: Sender <sender@remote.example>\r\nTo: bench@bench.example\r\nSubject: ${n % 2 ? '[list] ' : ''}message ${n}\r\n`
    + `Message-ID: <${n}.${Date.now()}@remote.example>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n`;
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';
  let body = '';
  while (head.length + body.length + line.length <= size) body += line;
  return Buffer.from(head + body + '.'.repeat(0));
}

/** Minimal pipelining LMTP client: reply lines are counted, not parsed beyond the code. */
class Conn {
  private buf = '';
  private want: Array<{ n: number; resolve: (codes: number[]) => void; codes: number[] }> = [];
  private constructor(private readonly s: Socket) {
    s.setNoDelay(true);
    s.on('data', (d) => { this.buf += d.toString('latin1'); this.pump(); });
  }
  static async open(port: number): Promise<Conn> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('error', j); });
    const c = new Conn(s);
    await c.read(1);
    await c.send('LHLO bench.client\r\n', 1);
    return c;
  }
  private pump(): void {
    for (;;) {
      const w = this.want[0];
      if (!w) return;
      const m = /^(\d{3})([ -])[^\r\n]*\r\n/.exec(this.buf);
      if (!m) return;
      this.buf = this.buf.slice(m[0].length);
      if (m[2] === '-') continue;
      w.codes.push(Number(m[1]));
      if (w.codes.length === w.n) { this.want.shift(); w.resolve(w.codes); }
    }
  }
  read(n: number): Promise<number[]> {
    return new Promise((resolve) => { this.want.push({ n, resolve, codes: [] }); this.pump(); });
  }
  send(data: string | Buffer, replies: number): Promise<number[]> {
    const p = this.read(replies);
    this.s.write(data);
    return p;
  }
  async deliver(rcpt: string, body: Buffer): Promise<boolean> {
    const env = await this.send(`MAIL FROM:<sender@remote.example>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`, 3);
    if (env[0] !== 250 || env[1] !== 250 || env[2] !== 354) throw new Error(`envelope refused: ${env.join(',')}`);
    const [code] = await this.send(Buffer.concat([body, Buffer.from('\r\n.\r\n')]), 1);
    return code === 250;
  }
  close(): void { this.s.end('QUIT\r\n'); }
}

interface Row { server: string; conns: number; size: number; msgs: number; seconds: number; perSec: number; failed: number }

async function runCase(server: string, port: number, conns: number, size: number): Promise<Row> {
  const cs = await Promise.all(Array.from({ length: conns }, () => Conn.open(port)));
  const bodies = [message(size, 0), message(size, 1)];
  let n = 0;
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(cs.map(async (c, ci) => {
    for (let i = 0; Date.now() < end; i++) {
      const ok = await c.deliver(users[(ci + i * conns) % users.length]!, bodies[i % 2]!);
      if (ok) n++; else failed++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of cs) c.close();
  return { server, conns, size, msgs: n, seconds: secs, perSec: n / secs, failed };
}

function countFiles(root: string): number {
  let n = 0;
  for (const u of users) {
    const [local, domain] = u.split('@');
    const md = join(root, domain!, local!, 'Maildir');
    for (const d of ['new', 'cur', '.Lists/new', '.Lists/cur']) { try { n += readdirSync(join(md, d)).length; } catch { /* none */ } }
  }
  return n;
}

async function startOurs(root: string, dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []), new URL('./lmtp-server-proc.js', import.meta.url).pathname, '--root', root, '--spool', join(dir, 'spool'), '--fsync', process.env.BENCH_FSYNC ?? '1'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`our LMTP server exited (${c})`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return { port, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); } };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const base = mkdtempSync(join(tmpdir(), 'lmtp-bench-'));
  chmodSync(base, 0o755);
  try {
    for (const server of servers) {
      const dir = join(base, server);
      const root = join(dir, 'mail');
      mkdirSync(root, { recursive: true });
      prepareRoot(root);
      let port: number;
      let stop: () => Promise<void>;
      if (server === 'dovecot') {
        if (!dovecotVersion()) { console.error('dovecot not installed: skipping the Dovecot side'); continue; }
        chownTree(dir);
        const lmtpPort = 20000 + Math.floor(Math.random() * 20000);
        const inst: DovecotInstance = await startDovecot({
          dir: join(dir, 'dovecot'), mailRoot: root, port: lmtpPort + 1, lmtpPort, lmtpSieve: true,
          users: users.map((u) => ({ user: u, password: 'pass' })),
        });
        port = lmtpPort;
        stop = () => inst.stop();
      } else {
        const o = await startOurs(root, dir);
        port = o.port;
        stop = o.stop;
      }
      try {
        for (const size of sizes) for (const conns of connsList) {
          const r = await runCase(server, port, conns, size);
          rows.push(r);
          console.log(`${server.padEnd(8)} conns=${String(conns).padStart(2)} size=${String(size).padStart(6)}  ${r.perSec.toFixed(0).padStart(6)} msgs/s  (${r.msgs} in ${r.seconds.toFixed(1)} s${r.failed ? `, ${r.failed} FAILED` : ''})`);
        }
      } finally { await stop(); }
      const stored = countFiles(root);
      const sent = rows.filter((r) => r.server === server).reduce((a, r) => a + r.msgs, 0);
      console.log(`${server}: ${stored} files stored for ${sent} accepted deliveries${stored === sent ? '' : '  <-- MISMATCH'}`);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ seconds, rows }, null, 2));
  console.log(JSON.stringify({ bench: 'lmtp-compare', rows }));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
