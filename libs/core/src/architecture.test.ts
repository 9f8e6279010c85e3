// Dependency direction (docs/development.md, shared notes "Dependency direction"): codecs are pure.
// They may not import I/O modules, so they can be fed byte by byte, fuzzed and property-tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

const PURE_LIBS = ['core', 'imap-codec', 'mime', 'sasl', 'sieve', 'pop3-codec', 'lmtp-codec', 'managesieve-codec', 'routing'];
const FORBIDDEN = /from\s+['"](node:)?(net|tls|fs|fs\/promises|child_process|dgram|http|https|dns|timers|worker_threads)['"]|from\s+['"](ioredis|bullmq|ldapts|undici|pino|prom-client)['"]/;

function sources(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'testing.ts') out.push(p);
  }
  return out;
}

test('pure libs (codecs, core, sasl) import no I/O modules', () => {
  const root = projectRoot();
  const offenders: string[] = [];
  let checked = 0;
  for (const lib of PURE_LIBS) {
    for (const file of sources(join(root, 'libs', lib, 'src'))) {
      checked++;
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n')) if (FORBIDDEN.test(line)) offenders.push(`${file}: ${line.trim()}`);
    }
  }
  assert.ok(checked > 0, 'found no source files to check');
  assert.deepEqual(offenders, []);
});

test('pure libs import only core and each other, never servers or storage', () => {
  const root = projectRoot();
  const offenders: string[] = [];
  for (const lib of PURE_LIBS) {
    for (const file of sources(join(root, 'libs', lib, 'src'))) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /from\s+['"](\.\.\/\.\.\/([\w-]+)\/)/.exec(line);
        if (m && !PURE_LIBS.includes(m[2]!)) offenders.push(`${file}: ${line.trim()}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
