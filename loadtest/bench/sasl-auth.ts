/**
 * SASL auth service throughput: AUTH PLAIN requests per second and latency over the Dovecot auth
 * protocol (what Postfix's smtpd sends for each SMTP AUTH), against our libs/dovecot-auth service
 * and against Dovecot 2.3's own auth service, same users, same password scheme, same client.
 * Our service runs in a child process (this file with --serve) so the load generator does not
 * share its event loop. Every request is a success (a failure would measure the failure delay).
 *
 *   npm run build && node dist/loadtest/bench/sasl-auth.js [--users 200] [--requests 20000] [--connections 16]
 *        [--scheme plain|sha512-crypt] [--target both|ours|dovecot] [--json out.json]
 *   smoke:  node dist/loadtest/bench/sasl-auth.js --users 20 --requests 500 --connections 4
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileDirectory } from '../../libs/directory/src/file/file-directory.js';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { DovecotAuthServer, directoryAuthenticator } from '../../libs/dovecot-auth/src/index.js';
import { RawAuthClient, b64, startReferenceDovecotAuth } from '../../libs/dovecot-auth/src/testing.js';
import { freePort } from '../../libs/testing/src/postfix.js';
import { newHistogram, summarize, type CommandSummary } from '../lib/stats.js';
import { arg } from '../lib/bench-args.js';

const USERS = Number(arg('users', '200'));
const REQUESTS = Number(arg('requests', '20000'));
const CONNECTIONS = Number(arg('connections', '16'));
const SCHEME = arg('scheme', 'plain');
const TARGET = arg('target', 'both');
const JSON_OUT = arg('json', '');

const user = (i: number) => `user${i}@example.org`;
const pw = (i: number) => `pw-${i}-secret`;
const stored = (i: number) => (SCHEME === 'plain' ? `{PLAIN}${pw(i)}` : hashPassword(pw(i)));

/** --serve DIR: our auth service over DIR/users.yaml on an ephemeral port; prints "port N". */
async function serve(dir: string): Promise<void> {
  const directory = await FileDirectory.open({ path: join(dir, 'users.yaml') });
  const authenticator = directoryAuthenticator(directory, {
    allowPlaintext: true, trustedNetworks: [], masterSeparator: '*', masterUsers: {}, masterNetworks: [],
  });
  const server = new DovecotAuthServer({ authenticator, logger: { info() {}, warn() {}, debug() {} } });
  const port = await server.listenTcp('127.0.0.1', 0);
  process.stdout.write(`port ${port}\n`);
  process.on('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
}

async function startOurs(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); const m = /port (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.once('exit', (c) => reject(new Error(`auth service exited ${c}`)));
  });
  return { port, child };
}

interface Result { target: string; requests: number; failed: number; seconds: number; perSecond: number; latency: CommandSummary }

async function load(target: string, port: number): Promise<Result> {
  const h = newHistogram();
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, k) => {
    const c = await RawAuthClient.connect({ port });
    await c.handshake();
    let id = 1;
    for (;;) {
      const n = next++;
      if (n >= REQUESTS) break;
      const i = (n * 7919 + k) % USERS;
      const t0 = process.hrtime.bigint();
      c.send(`AUTH\t${id}\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=${b64(`\0${user(i)}\0${pw(i)}`)}\n`);
      const reply = await c.next(30_000);
      h.recordValue(Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n)));
      if (reply?.type !== 'OK') failed++;
      id++;
    }
    c.end();
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { target, requests: REQUESTS, failed, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(REQUESTS / seconds), latency: summarize(h, REQUESTS, failed) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve(arg('serve', '.'));
  const dir = await mkdtemp(join(tmpdir(), 'bench-sasl-'));
  const hashes = Array.from({ length: USERS }, (_, i) => stored(i));
  await writeFile(join(dir, 'users.yaml'), `users:\n${hashes.map((h, i) => `  ${user(i)}:\n    password: "${h}"\n`).join('')}`);
  const results: Result[] = [];
  try {
    if (TARGET === 'both' || TARGET === 'ours') {
      const ours = await startOurs(dir);
      try { await load('ours', ours.port); results.push(await load('ours', ours.port)); } finally { ours.child.kill('SIGTERM'); }
    }
    if (TARGET === 'both' || TARGET === 'dovecot') {
      const dv = await startReferenceDovecotAuth(hashes.map((h, i) => `${user(i)}:${h}\n`).join(''), await freePort());
      try { await load('dovecot', dv.port); results.push(await load('dovecot', dv.port)); } finally { await dv.close(); }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(`sasl-auth: ${REQUESTS} AUTH PLAIN, ${CONNECTIONS} connections, ${USERS} users, scheme ${SCHEME} (second of two runs; the first warms up)\n`);
  process.stdout.write('target    auth/s   p50 ms   p99 ms   max ms  failed\n');
  for (const r of results) {
    process.stdout.write(`${r.target.padEnd(8)} ${String(r.perSecond).padStart(7)} ${r.latency.p50Ms.toFixed(2).padStart(8)} ${r.latency.p99Ms.toFixed(2).padStart(8)} ${r.latency.maxMs.toFixed(2).padStart(8)} ${String(r.failed).padStart(7)}\n`);
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ users: USERS, connections: CONNECTIONS, scheme: SCHEME, results }, null, 2));
  if (results.some((r) => r.failed > 0)) process.exitCode = 1;
}

main().catch((e: unknown) => { process.stderr.write(`sasl-auth: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`); process.exit(1); });
