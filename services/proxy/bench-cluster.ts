#!/usr/bin/env node
/**
 * Starts a backend mail node and a proxy in front of it (both as processes, loopback, temp dir) for the
 * proxy-overhead benchmark, prints their IMAP ports and the loadtest command, and runs until Ctrl-C.
 *
 *   node dist/services/proxy/bench-cluster.js [--users 100] [--fsync 0]
 *   npm run loadtest -- proxy-vs-direct --direct-port <backend> --proxy-port <proxy> --tls none \
 *       --users 'user%d@example.org' --user-range 1-100 --password pass --clients 20 --duration 60s
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../libs/directory/src/file/password.js';
import { startProc, writeBackendConfig, writeProxyConfig } from './testing.js';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] ?? def : def; };
const n = Number(arg('users', '100'));
const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
const hash = hashPassword('pass');
writeFileSync(join(dir, 'users.yaml'), `users:\n${Array.from({ length: n }, (_, i) => `  user${i + 1}@example.org:\n    password: "${hash}"\n    homeServer: backend.test\n`).join('')}`);
const backend = startProc('mail', writeBackendConfig(dir, 'backend.test'));
await backend.waitFor(/ready/);
const proxy = startProc('proxy', writeProxyConfig(dir, 'proxy.test', { 'backend.test': backend.port('imap') }));
await proxy.waitFor(/ready/);
const b = backend.port('imap');
const p = proxy.port('imap');
process.stdout.write(`backend imap 127.0.0.1:${b}\nproxy imap 127.0.0.1:${p}\n\nnpm run loadtest -- proxy-vs-direct --direct-port ${b} --proxy-port ${p} --tls none --users 'user%d@example.org' --user-range 1-${n} --password pass --clients 20 --duration 60s\n`);
const stop = async () => { await Promise.all([proxy.stop(), backend.stop()]); rmSync(dir, { recursive: true, force: true }); process.exit(0); };
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
