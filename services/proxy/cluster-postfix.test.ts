/**
 * The cluster behind a REAL Postfix (issue 6 "Tests and proof"): swaks / SMTP -> a private Postfix
 * (Debian, loopback) whose transport for example.org is LMTP to a proxy node -> the LMTP proxy ->
 * the user's home backend. Real slapd, the machine's Redis (own prefix), two backend processes
 * (site A: alice, site B: bob; team@ has both) and two proxy processes.
 *
 * 1. Backend B down: A's mail is delivered at once, Postfix keeps B's recipients deferred with
 *    451 4.4.x, B's users get NO [UNAVAILABLE] over IMAP; B back + `postqueue -f` lets the queued
 *    mail in exactly once, and A's user gets no second copy of the split group's retry (even though
 *    the retry goes through the OTHER proxy: the delivered-member record is in Redis).
 * 2. kill -9 of proxy 1 during a stream of 200 messages (Postfix falls back to proxy 2 with
 *    lmtp_fallback_relay): every message Postfix logged as sent is in its Maildir at once, the queue
 *    drains, every message arrives, and a duplicate exists only for a message whose end of data was
 *    in flight at the kill (LMTP is at-least-once there, as with Dovecot: the backend stored it, the
 *    250 died with the proxy, Postfix retries).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient } from '../../libs/imap-server/src/testing.js';
import { postfixMissing, smtpSendMany, startPostfix, swaks, type PostfixInstance, type SmtpMessage } from '../../libs/testing/src/postfix.js';
import { messageIds, startCluster, type Cluster, type Proc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-cluster-pf-'));
chmodSync(dir, 0o755);
const PREFIX = `test:cluster-pf:${randomBytes(4).toString('hex')}:`;
const ALICE = { user: 'alice@example.org', password: 'alicepw' };
const BOB = { user: 'bob@example.org', password: 'bobpw' };
let cl: Cluster;
let pf: PostfixInstance;

const lmtpPort = (p: Proc) => p.port('lmtp');
const inbox = { alice: () => cl.mailbox('site-a.test', 'alice'), bob: () => cl.mailbox('site-b.test', 'bob') };
const copies = (root: string, id: string) => messageIds(root).filter((m) => m === id).length;
/** Copies per Message-ID in a Maildir, read once (the stream checks ask about hundreds of messages). */
function countIds(root: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of messageIds(root)) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 30_000, state: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${state()}\n--- postfix log tail ---\n${pf.log().slice(-4000)}`);
    await sleep(100);
  }
}

async function imapLogin(port: number, u: { user: string; password: string }): Promise<string> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const c = new RawClient(sock);
  try {
    await c.line(10_000);
    return (await c.cmd('a', `LOGIN ${u.user} ${u.password}`, 15_000)).at(-1)!;
  } finally {
    c.close();
  }
}

/** The maillog as events, in order: which queue id holds which Message-ID, and every delivery attempt. */
interface Attempt { qid: string; to: string; relayPort: number | null; status: string; reason: string; messageId: string }
function attempts(log: string): Attempt[] {
  const idOf = new Map<string, string>();
  const out: Attempt[] = [];
  for (const line of log.split('\n')) {
    const mid = /postfix\/cleanup\[\d+\]: (\w+): message-id=(<[^>]*>)/.exec(line);
    if (mid) { idOf.set(mid[1]!, mid[2]!); continue; }
    const a = /postfix\/\w+\[\d+\]: (\w+): to=<([^>]+)>,.*? relay=([^,]+),.*? status=(\w+) \((.*)\)$/.exec(line);
    if (a) {
      const port = /\]:(\d+)$/.exec(a[3]!);
      out.push({ qid: a[1]!, to: a[2]!, relayPort: port ? Number(port[1]) : null, status: a[4]!, reason: a[5]!, messageId: idOf.get(a[1]!) ?? '' });
    }
  }
  return out;
}

/**
 * Message-IDs whose end of data was sent but whose reply never came ("lost connection ... while
 * sending end of data -- message may be sent more than once"): the proxy may have had the backend
 * store them already. The lmtp(8) client logs this on its own line; the recipient's line may then
 * say "relay=none" or be a sent line through the fallback relay.
 */
function endOfDataLost(log: string): Set<string> {
  const idOf = new Map<string, string>();
  const out = new Set<string>();
  for (const line of log.split('\n')) {
    const mid = /postfix\/cleanup\[\d+\]: (\w+): message-id=(<[^>]*>)/.exec(line);
    if (mid) { idOf.set(mid[1]!, mid[2]!); continue; }
    const lost = /postfix\/lmtp\[\d+\]: (\w+): lost connection with .* may be sent more than once/.exec(line);
    if (lost) out.add(idOf.get(lost[1]!) ?? '');
  }
  return out;
}

const relayedBy = (p: Proc) => (p.out().match(/lmtp-proxy: relayed/g) ?? []).length;

/**
 * An LMTP transaction to a proxy left half-done: the body (larger than the in-memory spool, so the
 * proxy spools it to a file) is sent without its final dot. Resolves once the proxy's 354 came.
 */
async function halfSentLmtp(port: number, rcpt: string, messageId: string): Promise<net.Socket> {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined); // the proxy is killed under it
  let got = '';
  sock.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  await until('the proxy\'s greeting', () => /^220 /m.test(got), 10_000);
  // RFC 2920: DATA may end a pipelined group.
  sock.write(`LHLO half.test\r\nMAIL FROM:<half@remote.test>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`);
  await until('354 from the proxy', () => /^354 /m.test(got), 10_000);
  sock.write(`Message-ID: ${messageId}\r\nSubject: half-sent\r\n\r\n${`${'y'.repeat(78)}\r\n`.repeat(4000)}`);
  return sock;
}

const spoolFiles = (proxy: string) => { try { return readdirSync(join(dir, proxy, 'lmtp-proxy-spool')); } catch { return []; } };

const mailboxesOf = (rcpt: string): Array<() => string> =>
  rcpt === 'alice@example.org' ? [inbox.alice] : rcpt === 'bob@example.org' ? [inbox.bob] : [inbox.alice, inbox.bob];

before(async () => {
  const missing = postfixMissing();
  assert.equal(missing, null, `real Postfix test cannot run: ${missing}`);
  cl = await startCluster(dir, PREFIX);
  pf = await startPostfix({
    recipients: ['alice@example.org', 'bob@example.org', 'team@example.org'],
    main: { virtual_transport: `lmtp:inet:127.0.0.1:${lmtpPort(cl.p1)}` },
  });
});

after(async () => {
  // PF_DEBUG_LOG=<file> keeps Postfix's maillog of a run (the temp dir is removed below).
  if (process.env.PF_DEBUG_LOG) (await import('node:fs')).writeFileSync(process.env.PF_DEBUG_LOG, pf?.log() ?? '');
  await pf?.close();
  await cl?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('backend B down: A delivered at once, B deferred 451 4.4.x in Postfix, IMAP NO [UNAVAILABLE]; B back: queued mail once, no second copy for A', async () => {
  await cl.siteB.stop('SIGKILL');
  for (const p of [cl.p1, cl.p2]) {
    assert.match(await imapLogin(p.port('imap'), BOB), /^a NO \[UNAVAILABLE\] /, 'B\'s user through a proxy');
    assert.match(await imapLogin(p.port('imap'), ALICE), /^a OK /, 'A\'s user unaffected');
  }
  const send = async (to: string, id: string) => {
    const r = await swaks(['--server', `127.0.0.1:${pf.smtpPort}`, '--from', 'sender@remote.test', '--to', to,
      '--header', `Message-Id: ${id}`, '--header', `Subject: ${id}`, '--body', `body of ${id}`, '--timeout', '20']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };
  const pair = `<down-pair-${PREFIX.slice(-9, -1)}@test>`;
  const group = `<down-group-${PREFIX.slice(-9, -1)}@test>`;
  await send('alice@example.org,bob@example.org', pair);
  await send('team@example.org', group);

  await until('alice has both messages', () => copies(inbox.alice(), pair) === 1 && copies(inbox.alice(), group) === 1, 20_000);
  await until('Postfix defers bob and team', () => {
    const log = attempts(pf.log());
    return log.some((a) => a.to === 'bob@example.org' && a.status === 'deferred') && log.some((a) => a.to === 'team@example.org' && a.status === 'deferred');
  }, 20_000);
  for (const a of attempts(pf.log()).filter((x) => x.status === 'deferred')) {
    assert.ok(a.to === 'bob@example.org' || a.to === 'team@example.org', `only B's recipients are deferred: ${JSON.stringify(a)}`);
    assert.match(a.reason, /\b451 4\.4\.\d\b/, 'the proxy answered 451 4.4.x');
  }
  assert.ok(attempts(pf.log()).some((a) => a.to === 'alice@example.org' && a.status === 'sent' && a.messageId === pair));
  // What Postfix still holds: bob (pair) and team (group), each with the 451 as the reason. Polled:
  // while qmgr retries a message it sits in the active queue, where showq gives no delay_reason.
  let held = '';
  await until('postqueue -j: bob and team deferred with 451 4.4.x', async () => {
    const q = await pf.queueJson();
    held = JSON.stringify(q);
    const rcpts = q.flatMap((e) => e.recipients);
    return rcpts.map((r) => r.address).sort().join() === 'bob@example.org,team@example.org' && rcpts.every((r) => /451 4\.4\.\d/.test(r.delay_reason ?? ''));
  }, 15_000, () => held);
  assert.equal(copies(inbox.bob(), pair) + copies(inbox.bob(), group), 0);

  // The retry goes through proxy 2: it learns from Redis that alice already has the group's copy.
  await pf.reconfigure({ virtual_transport: `lmtp:inet:127.0.0.1:${lmtpPort(cl.p2)}` });
  await cl.restartSiteB();
  let flushed = 0;
  await until('the queued mail reaches bob and the queue drains', async () => {
    if (copies(inbox.bob(), pair) === 1 && copies(inbox.bob(), group) === 1 && (await pf.queueJson()).length === 0) return true;
    if (Date.now() - flushed > 1500) { flushed = Date.now(); await pf.flush(); }
    return false;
  }, 30_000);
  // A late second delivery would show up here: one more flush and a moment for it.
  await pf.flush();
  await sleep(1000);
  assert.equal(copies(inbox.bob(), pair), 1, 'bob: the queued message exactly once');
  assert.equal(copies(inbox.bob(), group), 1, 'bob: the group message exactly once');
  assert.equal(copies(inbox.alice(), pair), 1, 'alice: not delivered twice');
  assert.equal(copies(inbox.alice(), group), 1, 'alice: the group retry skipped her (delivered-member record in Redis)');
  const retried = attempts(pf.log()).filter((a) => a.status === 'sent' && (a.messageId === pair || a.messageId === group) && a.to !== 'alice@example.org');
  assert.ok(retried.length === 2 && retried.every((a) => a.relayPort === lmtpPort(cl.p2)), `retries delivered through proxy 2: ${JSON.stringify(retried)}`);
});

test('kill -9 of proxy 1 during a 200-message stream: nothing acknowledged is lost, the queue drains, duplicates only for in-flight messages', async (t) => {
  const P1 = lmtpPort(cl.p1);
  const P2 = lmtpPort(cl.p2);
  // Proxy 2 as the fallback: Postfix tries it when proxy 1 does not answer (postconf(5) lmtp_fallback_relay).
  await pf.reconfigure({ virtual_transport: `lmtp:inet:127.0.0.1:${P1}`, lmtp_fallback_relay: `127.0.0.1:${P2}` });
  const tag = PREFIX.slice(-9, -1);
  const isStream = (id: string) => id.startsWith('<stream-') && id.endsWith(`-${tag}@test>`);
  const rcptOf = (i: number) => ['alice@example.org', 'bob@example.org', 'team@example.org'][i % 3]!;
  const filler = Array.from({ length: 200 }, (_, k) => `line ${k} ${'x'.repeat(70)}`).join('\n'); // ~16 KB: data takes a moment
  const messages: SmtpMessage[] = Array.from({ length: 200 }, (_, i) => ({
    from: 'stream@remote.test', to: [rcptOf(i)],
    text: `From: stream@remote.test\nTo: ${rcptOf(i)}\nMessage-ID: <stream-${i}-${tag}@test>\nSubject: stream ${i}\n\n${filler}\n`,
  }));
  // A transaction cut off by the kill before its end of data: spooled to a file, never delivered.
  const halfId = `<half-${tag}@test>`;
  const p1Pid = cl.p1.child.pid!;
  const half = await halfSentLmtp(P1, 'alice@example.org', halfId);
  await until('proxy 1 spools the half-sent body to a file', () => spoolFiles('proxy-1').some((f) => f.startsWith(`lmtp-${p1Pid}-`)), 10_000);
  const sentVia = (port: number) => attempts(pf.log()).filter((a) => a.status === 'sent' && a.relayPort === port && isStream(a.messageId)).length;
  let killedAt = -1;
  let sentAtKill: Attempt[] = [];
  let p2Before = 0;
  await smtpSendMany(pf.smtpPort, messages, async (i) => {
    if (i !== 99) return;
    // Mid-stream: half submitted, and proxy 1 is demonstrably delivering (some already sent through it).
    await until('deliveries through proxy 1', () => sentVia(P1) >= 10, 20_000);
    await cl.p1.stop('SIGKILL');
    killedAt = Date.now();
    p2Before = relayedBy(cl.p2);
    sentAtKill = attempts(pf.log()).filter((a) => a.status === 'sent' && isStream(a.messageId));
  });
  assert.ok(killedAt > 0);
  // Acknowledged means stored: every delivery Postfix logged as sent before/at the kill is in its Maildir now.
  const atKill = new Map([inbox.alice, inbox.bob].map((box) => [box, countIds(box())]));
  for (const a of sentAtKill) for (const box of mailboxesOf(a.to)) assert.ok((atKill.get(box)!.get(a.messageId) ?? 0) >= 1, `acknowledged but missing: ${JSON.stringify(a)}`);

  let flushed = 0;
  let progress = '';
  const want = messages.length;
  await until('every stream message sent and the queue empty', async () => {
    const sent = new Set(attempts(pf.log()).filter((a) => a.status === 'sent' && isStream(a.messageId)).map((a) => a.messageId));
    const queued = await pf.queueJson();
    if (sent.size === want && queued.length === 0) return true;
    progress = `${sent.size}/${want} sent; queue: ${JSON.stringify(queued.slice(0, 5))}; other: ${JSON.stringify(attempts(pf.log()).filter((a) => a.status !== 'sent' && isStream(a.messageId)).slice(-5))}`;
    if (Date.now() - flushed > 2000) { flushed = Date.now(); await pf.flush(); }
    return false;
  }, 60_000, () => progress);

  // After the kill everything went through proxy 2 (counted in its own log: Postfix's relay= on a
  // cached connection opened to the fallback relay names the primary destination).
  const viaP2 = relayedBy(cl.p2) - p2Before;
  assert.ok(viaP2 > 0, 'the rest went through proxy 2');
  // In flight at the kill: only a message whose end of data had reached proxy 1 can have been stored.
  const inFlight = endOfDataLost(pf.log());
  const dups: string[] = [];
  const final = new Map([inbox.alice, inbox.bob].map((box) => [box, countIds(box())]));
  for (const [i, m] of messages.entries()) {
    const id = `<stream-${i}-${tag}@test>`;
    for (const box of mailboxesOf(m.to[0]!)) {
      const n = final.get(box)!.get(id) ?? 0;
      assert.ok(n >= 1, `${id} missing in ${box()}`);
      if (n > 1) dups.push(`${id} x${n} in ${box().split('/').slice(-3).join('/')}`);
    }
  }
  for (const d of dups) assert.ok(inFlight.has(d.split(' ')[0]!), `duplicate of a message that was not in flight at the kill: ${d}; in flight: ${[...inFlight].join(' ')}`);
  // The cut-off transaction: nothing delivered; its spool file outlived the kill and a restarted
  // proxy removes it (libs/lmtp-proxy stale-spool.ts).
  half.destroy();
  assert.equal(copies(inbox.alice(), halfId), 0, 'a transaction without end of data is not delivered');
  assert.ok(spoolFiles('proxy-1').some((f) => f.startsWith(`lmtp-${p1Pid}-`)), 'the killed proxy left its spool file');
  await cl.restartProxy(1);
  assert.deepEqual(spoolFiles('proxy-1'), [], 'the restarted proxy removed the stale spool file');
  t.diagnostic(`logged sent before the kill: ${sentAtKill.length} (via proxy 1); end of data in flight at the kill: ${inFlight.size}; duplicates: ${dups.length ? dups.join(', ') : 'none'}; recipients relayed by proxy 2 after the kill: ${viaP2}`);
});
