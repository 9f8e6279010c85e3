/**
 * Parser CPU benchmark (not a test): the structure of every file of a Maildir folder, parsed from
 * memory, so only the parser is measured (no I/O). CPU time includes GC.
 *   node dist/loadtest/bench/mime-parse.js [dir] [rounds]
 * dir defaults to the IMAP benchmark's cached 5,000-message folder (npm run bench -- --messages 5000).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StructureParser } from '../../libs/mime/src/structure.js';

const dir = process.argv[2] ?? '/var/tmp/imap-bench-data/big-5000-seed1/cur';
const rounds = Number(process.argv[3] ?? 5);

const bufs = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
if (bufs.length === 0) throw new Error(`no files in ${dir}`);
const bytes = bufs.reduce((n, b) => n + b.length, 0);

function round(): number {
  let parts = 0;
  for (const b of bufs) {
    const p = new StructureParser();
    p.write(b);
    parts += p.end().body.children?.length ?? 1;
  }
  return parts;
}

round(); // warm-up (JIT)
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let k = 0; k < rounds; k++) round();
const cpu = process.cpuUsage(c0);
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const n = bufs.length * rounds;
console.log(JSON.stringify({
  messages: bufs.length, rounds, avgBytes: Math.round(bytes / bufs.length),
  cpuUsPerMessage: +((cpu.user + cpu.system) / n).toFixed(1),
  wallUsPerMessage: +((wallMs * 1000) / n).toFixed(1),
}));
