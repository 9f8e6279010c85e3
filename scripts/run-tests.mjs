#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's built-in test runner.
// Node 20's runner takes no globs, so we collect the files here. The runner's closing
// summary ("# pass N", "# fail N") is what CI reads.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/', import.meta.url).pathname;
const only = process.argv.slice(2);   // optional path fragments to filter on
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (only.length === 0 || only.some((f) => p.includes(f)))) files.push(p);
  }
})(root);
files.sort();
if (files.length === 0) { console.error('no test files found under dist/'); process.exit(1); }
const args = ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
