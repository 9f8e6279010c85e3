// The start/reload warnings about limits that cannot hold together (Dovecot's config checker style).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLoginLimits, fdLimit, LOGIN_PROCESS_RSS } from './checks.js';

const GB = 1024 ** 3;
const node2c4g = { cpus: 2, totalMem: 4 * GB, fdLimit: 20_000 };
const ucs = [{ service: 'imap-login', processLimit: 400, clientLimit: 1000 }, { service: 'pop3-login', processLimit: 400, clientLimit: 1000 }];

test('high-security with UCS\'s 400 + 400 login processes on a 4 GB node: warned with the memory it needs', () => {
  const w = checkLoginLimits('high-security', 0, ucs, node2c4g);
  assert.equal(w.length, 1, w.join('\n'));
  assert.match(w[0]!, /^high-security login mode: service\(imap-login\) \{ process_limit=400 \}, service\(pop3-login\) \{ process_limit=400 \} need about \d+\.\d GB under max\. load \(800 login processes of ~\d+ MB\), more than 80% of this node's memory \(4\.0 GB\)/);
  assert.equal(checkLoginLimits('high-security', 0, [{ service: 'imap-login', processLimit: 20, clientLimit: 1 }], node2c4g).length, 0, '20 processes fit');
  assert.ok(20 * LOGIN_PROCESS_RSS < 0.8 * 4 * GB);
});

test('high-performance: client_limit needing more open files than a process may hold is warned (2 per proxied connection)', () => {
  assert.deepEqual(checkLoginLimits('high-performance', 0, ucs, node2c4g), []);
  const w = checkLoginLimits('high-performance', 0, [{ service: 'imap-login', processLimit: 100, clientLimit: 15_000 }], node2c4g);
  assert.equal(w.length, 1);
  assert.equal(w[0], 'service(imap-login) { client_limit=15000 } needs 30064 open files per login process under max. load, more than the process limit (20000); raise LimitNOFILE or lower client_limit to 9968');
  assert.deepEqual(checkLoginLimits('high-performance', 0, [{ service: 'imap-login', processLimit: 100, clientLimit: 15_000 }], { ...node2c4g, fdLimit: null }), [], 'unknown fd limit: no guess');
});

test('process_min_avail above process_limit is warned', () => {
  const w = checkLoginLimits('high-performance', 8, [{ service: 'imap-login', processLimit: 4, clientLimit: 10 }], node2c4g);
  assert.deepEqual(w, ['service(imap-login) { process_min_avail=8 } is higher than process_limit=4; only 4 login processes are started']);
});

test('the per-process open files limit is read from /proc (Linux)', () => {
  const n = fdLimit();
  assert.ok(n !== null && n > 0, String(n));
});
