import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, runCli, type TestNode } from './testing.js';
import { parseCli, parseMix, parseDuration, UsageError } from './args.js';

let node: TestNode;
before(async () => { node = await startNode(2); });
after(async () => { await node?.stop(); });

test('--help prints usage with profiles, exit codes and examples; exit 0', async () => {
  const r = await runCli(['--help']).done;
  assert.equal(r.code, 0);
  for (const s of ['imap-mixed', 'lmtp', 'pop3', 'login-storm', 'idle-soak', 'proxy-vs-direct', 'Examples:', 'Exit codes', '--coordinator']) assert.ok(r.stdout.includes(s), s);
});

test('usage errors exit 2 with a message naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [[], /no profile given/],
    [['imap-fast'], /unknown profile "imap-fast"/],
    [['imap-mixed', '--tls', 'sometimes'], /--tls: expected none, starttls, implicit or auto/],
    [['imap-mixed', '--host', '192.0.2.1'], /not a loopback address; add --allow-remote/],
    [['imap-mixed', '--imap-port', '70000'], /--imap-port: must be between 1 and 65535/],
    [['imap-mixed', '--mix', 'FETCH=200'], /percentages/],
    [['imap-mixed', '--mix', 'FLY=10'], /unknown state "FLY"/],
    [['imap-mixed', '--duration', 'soon'], /bad duration/],
    [['imap-mixed', '--users', 'alice@example.org'], /needs a %d/],
    [['imap-mixed', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['imap-mixed', '--workers', '2'], /--workers needs --coordinator/],
    [['proxy-vs-direct'], /needs --direct-port and --proxy-port/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args).done;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('argument parsing: imaptest-style mix, durations, defaults', () => {
  assert.deepEqual(parseMix('LIST=0,FETCH2=100/30 idle=20'), { LIST: [0, 0], FETCH2: [100, 30], IDLE: [20, 0] });
  assert.equal(parseDuration('1.5m', 'x'), 90_000);
  assert.equal(parseDuration('250ms', 'x'), 250);
  const o = parseCli(['imap-mixed']);
  assert.equal(o.target.host, '127.0.0.1');
  assert.equal(o.target.tls, 'auto');
  assert.equal(o.profileOpts.clients, 10);
  assert.equal(o.profileOpts.msgs, 30);
  assert.equal(o.creds[0]!.user, 'user1@example.org');
  assert.throws(() => parseCli(['imap-mixed', '--mix', 'LIST=0,STATUS=0,SELECT=0,FETCH=0,FETCH2=0,COPY=0,STORE=0,DELETE=0,EXPUNGE=0,APPEND=0,LOGOUT=0']), UsageError);
});

test('before the run: wrong port, wrong password, wrong TLS mode each exit 3 with a clear message', async () => {
  const common = ['imap-mixed', '--user-range', '1-2', '--password', 'pass', '--duration', '2s', '--quiet'];
  // A port nothing listens on: the node's HTTP port was closed (ephemeral, then released); use port 1.
  let r = await runCli([...common, '--imap-port', '1']).done;
  assert.equal(r.code, 3, r.stderr); assert.match(r.stderr, /IMAP 127\.0\.0\.1:1: connection refused/);
  r = await runCli([...common, '--imap-port', String(node.imap), '--password', 'wrong']).done;
  assert.equal(r.code, 3, r.stderr); assert.match(r.stderr, /login as user1@example\.org refused: NO/);
  r = await runCli([...common, '--imap-port', String(node.imap), '--tls', 'implicit']).done;
  assert.equal(r.code, 3, r.stderr); assert.match(r.stderr, /TLS handshake failed.*--tls starttls/);
  r = await runCli([...common, '--imap-port', String(node.imap), '--tls', 'none']).done;
  assert.equal(r.code, 3, r.stderr); assert.match(r.stderr, /LOGINDISABLED/);
  r = await runCli([...common, '--imap-port', String(node.imaps), '--tls', 'starttls', '--connect-timeout', '1s']).done;
  assert.equal(r.code, 3, r.stderr); assert.match(r.stderr, /no greeting|timed out/);
});

test('implicit TLS port with the node certificate as CA: a short run passes', async () => {
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const d = mkdtempSync(join(tmpdir(), 'loadtest-ca-'));
  try {
    writeFileSync(join(d, 'ca.pem'), node.cert);
    const r = await runCli(['imap-mixed', '--imap-port', String(node.imaps), '--tls', 'implicit', '--ca', join(d, 'ca.pem'), '--user-range', '1-2', '--password', 'pass', '--clients', '2', '--duration', '2s']).done;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /PASS/);
    assert.match(r.stdout, /LOGIN\s+\d+/);
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('proxy-vs-direct runs the inner profile against both ports and reports both runs and the ratios', async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const d = mkdtempSync(join(tmpdir(), 'loadtest-pvd-'));
  try {
    // No proxy in this test: the same port stands in for both paths; what is checked is the comparison itself.
    const r = await runCli(['proxy-vs-direct', '--direct-port', String(node.imap), '--proxy-port', String(node.imap), '--inner', 'login-storm',
      '--user-range', '1-2', '--password', 'pass', '--clients', '2', '--duration', '2s', '--quiet', '--output', join(d, 'p.json'), '--html', join(d, 'p.html')]).done;
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(readFileSync(join(d, 'p.json'), 'utf8'));
    assert.equal(res.profile, 'proxy-vs-direct');
    assert.ok(res.runs.direct.commands.LOGIN.count > 0 && res.runs.proxy.commands.LOGIN.count > 0);
    assert.equal(typeof res.extra.ratioProxyOverDirect.throughput, 'number');
    assert.equal(typeof res.extra.ratioProxyOverDirect.latency.LOGIN.p99, 'number');
    assert.match(readFileSync(join(d, 'p.html'), 'utf8'), /direct: 127\.0\.0\.1/);
  } finally { rmSync(d, { recursive: true, force: true }); }
});
