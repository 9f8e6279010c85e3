/**
 * The chart's pods, run for real on loopback: two site backends and a proxy started exactly as their
 * rendered pod specs say (command, ConfigMap, environment from the Secret, mounted TLS/users/admin-key
 * files), with the pod paths moved into temp dirs and cluster DNS emulated (each backend pod's DNS
 * name -> 127.0.0.1 with that pod's ports). All must turn ready on /healthz/ready; a user homed on
 * each site logs in through the proxy over TLS (verified against the chart's certificate) and its
 * mail lands on its own site's volume only; an LMTP delivery to the proxy for both users is split
 * by home server; mailctl works with the pod's admin key; the load-test Job's two indexed pods run
 * with their rendered arguments against the proxy, coordinated through the real Redis, and merge one
 * passing result; every process exits 0 on SIGTERM.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { freePort } from '../libs/testing/src/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'helm/mailstack');
const HELM = join(ROOT, '.tools/helm/helm');
// Two sites, a user homed on each; the load-test users alternate between them.
const SITES = [
  { name: 'site-a', home: 'mail-a.example.org', user: { name: 'alice@example.org', local: 'alice', password: 'alicepw' } },
  { name: 'site-b', home: 'mail-b.example.org', user: { name: 'bob@example.org', local: 'bob', password: 'bobpw' } },
] as const;
const RUN = `chart-pods-${process.pid}`;

type Obj = Record<string, any>;
let work = '';
const procs: ChildProcess[] = [];

before(() => {
  work = mkdtempSync(join(tmpdir(), 'chart-pods-'));
  if (!existsSync(HELM)) {
    const r = spawnSync('bash', [join(ROOT, 'scripts/fetch-helm.sh')], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !existsSync(HELM)) throw new Error(`helm is missing at ${HELM} and scripts/fetch-helm.sh could not fetch it: ${r.stderr}`);
  }
});
after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  if (work) rmSync(work, { recursive: true, force: true });
  // This run's keys (registry, auth cache, load-test coordination) out of the shared Redis.
  const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const keys: string[] = [];
    let cursor = '0';
    do { const [next, found] = await r.scan(cursor, 'MATCH', `${RUN}*`, 'COUNT', 500); cursor = next; keys.push(...found); } while (cursor !== '0');
    if (keys.length) await r.del(...keys);
  } catch { /* Redis down: the test itself has failed already */ } finally { r.disconnect(); }
});


/** Renders the chart with these container ports (one set per "pod": on one machine they cannot share). */
async function render(release: string): Promise<{ docs: Obj[]; ports: Record<string, number> }> {
  const ports: Record<string, number> = {};
  for (const k of ['imap', 'imaps', 'pop3', 'pop3s', 'sieve', 'lmtp', 'quotaStatus', 'http', 'admin']) ports[k] = await freePort();
  const values = {
    ports,
    podNetworks: ['127.0.0.0/8'],
    backends: { sites: SITES.map((x) => ({ name: x.name, homeServer: x.home })) },
    users: {
      domains: ['example.org'],
      users: {
        ...Object.fromEntries(SITES.map((x) => [x.user.name, { password: `{PLAIN}${x.user.password}`, homeServer: x.home }])),
        ...Object.fromEntries([1, 2, 3, 4].map((i) => [`load${i}@example.org`, { password: '{PLAIN}loadpw', homeServer: SITES[i % 2]!.home }])),
      },
    },
    config: { log: { level: 'warn' }, storage: { fsync: false } },
    // The real Redis of the test machine, under this run's own prefix.
    redis: { url: 'redis://127.0.0.1:6379/0', prefix: `${RUN}:` },
    loadtest: {
      enabled: true, runId: RUN, workers: 2, users: 'load%d@example.org', userRange: '1-4', password: 'loadpw',
      clients: 2, duration: '3s', keyPrefix: `${RUN}-lt:`,
    },
  };
  const file = join(work, `${release}-values.yaml`);
  writeFileSync(file, stringify(values));
  const env = { ...process.env, HELM_CACHE_HOME: join(work, 'h'), HELM_CONFIG_HOME: join(work, 'h'), HELM_DATA_HOME: join(work, 'h') };
  const r = spawnSync(HELM, ['template', release, CHART, '--namespace', 'mail', '-f', file], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return { docs: parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj).filter(Boolean), ports };
}

const find = (docs: Obj[], kind: string, name: string) => {
  const o = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered`);
  return o!;
};

/** Lays out a pod's volumes under dir (as the kubelet would mount them) and returns its command and env. */
function materialize(docs: Obj[], workload: Obj, dir: string, rewrite: (cfg: Obj) => void = () => {}, secrets: Obj[] = docs) {
  const pod = workload.spec.template.spec;
  const c = pod.containers[0];
  const at = (p: string) => join(dir, p);
  const fix = (text: string) => text.replaceAll('/etc/mailnode', at('etc/mailnode')).replaceAll('/var/lib/mailnode', at('var/lib/mailnode'));
  mkdirSync(at('var/lib/mailnode'), { recursive: true });
  for (const m of c.volumeMounts as Obj[]) {
    const vol = (pod.volumes as Obj[]).find((v) => v.name === m.name);
    if (!vol || vol.emptyDir || m.mountPath === '/var/lib/mailnode' || m.mountPath === '/tmp') continue;
    let files: Record<string, string> = {};
    if (vol.configMap) files = find(docs, 'ConfigMap', vol.configMap.name).data;
    else if (vol.secret) {
      const s = find(secrets, 'Secret', vol.secret.secretName);
      for (const [k, v] of Object.entries(s.data ?? {})) files[k] = Buffer.from(v as string, 'base64').toString('utf8');
      Object.assign(files, s.stringData ?? {});
      if (vol.secret.items) files = Object.fromEntries((vol.secret.items as Obj[]).map((i) => [i.path, files[i.key]!]));
    }
    if (m.subPath) {
      let text = fix(files[m.subPath]!);
      if (m.subPath === 'mailnode.yaml') { const cfg = parseYaml(text); rewrite(cfg); text = stringify(cfg); }
      mkdirSync(dirname(at(m.mountPath)), { recursive: true });
      writeFileSync(at(m.mountPath), text);
    } else {
      mkdirSync(at(m.mountPath), { recursive: true });
      for (const [k, v] of Object.entries(files)) writeFileSync(join(at(m.mountPath), k), v, { mode: 0o600 });
    }
  }
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? Buffer.from(find(secrets, 'Secret', ref.name).data[ref.key], 'base64').toString('utf8') : e.value;
  }
  const args = (c.command as string[]).slice(1).map((a) => (a.startsWith('/app/') ? join(ROOT, a.slice(5)) : fix(a)));
  assert.equal(c.command[0], 'node');
  return { args, env };
}

function start(name: string, run: { args: string[]; env: Record<string, string> }): { child: ChildProcess; log: () => string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAIL_') && !k.startsWith('MAILCTL_')));
  const child = spawn(process.execPath, ['--enable-source-maps', ...run.args], { env: { ...clean, ...run.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(child);
  let log = '';
  child.stdout!.on('data', (b: Buffer) => { log += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  return { child, log: () => `${name}:\n${log.slice(-3000)}` };
}

async function ready(p: { child: ChildProcess; log: () => string }, port: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    if (p.child.exitCode !== null) assert.fail(`exited with ${p.child.exitCode} before ready\n${p.log()}`);
    const status = await fetch(`http://127.0.0.1:${port}/healthz/ready`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > until) assert.fail(`not ready within 30 s (last status ${status})\n${p.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One LMTP transaction (RFC 2033), pipelined line by line; returns every reply line. */
async function lmtp(port: number, rcpts: string[], message: string): Promise<string[]> {
  const sock = connect({ host: '127.0.0.1', port });
  sock.setEncoding('utf8');
  let buf = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  sock.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 2); }
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((r) => sock.on('close', () => { for (const w of waiters.splice(0)) w(); r(); }));
  sock.on('error', () => undefined);
  let seen = 0;
  const reply = async (): Promise<string> => {
    // A reply ends with a line whose code is followed by a space (RFC 5321 §4.2.1).
    for (;;) {
      while (seen < lines.length) { const l = lines[seen++]!; if (/^\d{3} /.test(l)) return l; }
      if (sock.destroyed) throw new Error(`LMTP connection closed; got ${lines.join(' | ')}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  const out: string[] = [];
  const send = async (line: string) => { sock.write(`${line}\r\n`); out.push(await reply()); };
  out.push(await reply()); // greeting
  await send('LHLO chart-test.example.org');
  await send('MAIL FROM:<sender@example.net>');
  for (const r of rcpts) await send(`RCPT TO:<${r}>`);
  await send('DATA');
  sock.write(`${message.replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
  for (const _ of rcpts) out.push(await reply()); // one reply per recipient after the data (RFC 2033 §4.2)
  sock.write('QUIT\r\n');
  sock.end();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  return out;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  // Tolerates files that vanish while we walk (index temp files being renamed).
  return readdirSync(dir).flatMap((n) => { const p = join(dir, n); const st = statSync(p, { throwIfNoEntry: false }); return !st ? [] : st.isDirectory() ? filesUnder(p) : [p]; });
}

test('two backends, a proxy and the load-test Job started from the rendered pods serve users homed on each site', { timeout: 100_000 }, async () => {
  // One render per pod, each with its own container ports (pods have their own IPs; here they share
  // 127.0.0.1); every pod uses the first render's Secrets, as one release has one Secret.
  const r = [await render('r'), await render('r')]; // the backend pods of site-a and site-b
  const p = await render('r'); // the proxy pod
  const secrets = r[0]!.docs;
  const backends = SITES.map((site, i) => {
    const dir = join(work, site.name);
    const pod = materialize(r[i]!.docs, find(r[i]!.docs, 'StatefulSet', `r-mailstack-${site.name}`), dir, () => {}, secrets);
    return { site, dir, pod, ports: r[i]!.ports, proc: start(site.name, pod) };
  });
  const [a] = backends;
  // Cluster DNS and pod IPs, emulated: each backend pod's DNS name is 127.0.0.1 with that pod's ports.
  const proxy = start('proxy', materialize(p.docs, find(p.docs, 'Deployment', 'r-mailstack-proxy'), join(work, 'proxy'), (cfg) => {
    for (const [map, proto] of [['backends', 'imap'], ['pop3Backends', 'pop3'], ['sieveBackends', 'sieve'], ['lmtpBackends', 'lmtp']] as const) {
      assert.equal(Object.keys(cfg.proxy[map]).length, SITES.length);
      for (const [home, addr] of Object.entries(cfg.proxy[map] as Record<string, string>)) {
        const m = /^r-mailstack-(site-[ab])-0\.r-mailstack-backend\.mail\.svc\.cluster\.local:\d+$/.exec(addr);
        assert.ok(m, `${map}[${home}] = ${addr}`);
        const b = backends.find((x) => x.site.name === m[1])!;
        assert.equal(home, b.site.home, `${map}: ${home} routes to ${m[1]}`);
        cfg.proxy[map][home] = `127.0.0.1:${b.ports[proto]}`;
      }
    }
  }, secrets));
  for (const b of backends) await ready(b.proc, b.ports.http!);
  await ready(proxy, p.ports.http!);
  const logs = () => [proxy, ...backends.map((b) => b.proc)].map((x) => x.log()).join('\n');

  const ca = Buffer.from(find(secrets, 'Secret', 'r-mailstack-tls').data['tls.crt'], 'base64');
  const marker = (site: string) => `chart-pods-${process.pid}-${site}`;
  for (const { site } of backends) {
    const client = new ImapFlow({
      host: '127.0.0.1', port: p.ports.imaps!, secure: true, tls: { ca: [ca], servername: 'mail.example.org' },
      auth: { user: site.user.name, pass: site.user.password }, logger: false,
    });
    try {
      await client.connect();
      await client.append('INBOX', `From: t@example.org\r\nTo: ${site.user.name}\r\nSubject: ${marker(site.name)}\r\n\r\nhello through the chart\r\n`);
      const box = await client.mailboxOpen('INBOX');
      assert.equal(box.exists, 1);
    } catch (e) {
      assert.fail(`IMAP through the proxy for ${site.user.name} failed: ${(e as Error).message}\n${logs()}`);
    } finally {
      await client.logout().catch(() => undefined);
    }
  }
  // Postfix's way in: LMTP to the proxy (the internal Service's port 24), split by home server.
  const lmtpMarker = `chart-pods-lmtp-${process.pid}`;
  const replies = await lmtp(p.ports.lmtp!, SITES.map((x) => x.user.name), `From: s@example.net\nSubject: ${lmtpMarker}\n\nto both sites\n`);
  assert.deepEqual(replies.slice(-SITES.length).map((l) => l.slice(0, 3)), SITES.map(() => '250'), `LMTP through the proxy: ${replies.join(' | ')}\n${logs()}`);
  // mailctl in the pod (kubectl exec ... mailctl) reaches the admin API with the key the chart gave the pod.
  const ctl = spawnSync(process.execPath, [join(ROOT, 'dist/services/mailctl/main.js'), 'who'], {
    encoding: 'utf8', timeout: 20_000,
    env: { PATH: process.env.PATH, MAILCTL_API_KEY: a!.pod.env.MAILCTL_API_KEY, MAILCTL_URL: `http://127.0.0.1:${a!.ports.admin}` },
  });
  assert.equal(ctl.status, 0, `mailctl who: ${ctl.stdout}${ctl.stderr}`);
  const bad = spawnSync(process.execPath, [join(ROOT, 'dist/services/mailctl/main.js'), 'who'], {
    encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, MAILCTL_API_KEY: 'wrong', MAILCTL_URL: `http://127.0.0.1:${a!.ports.admin}` },
  });
  assert.notEqual(bad.status, 0, 'a wrong admin key is refused');
  // The load-test Job: its indexed pods, run as rendered (the Service address emulated as 127.0.0.1 and
  // the proxy's container ports), coordinate through Redis and merge one result.
  const job = find(p.docs, 'Job', `r-mailstack-loadtest-${RUN}`);
  const lc = job.spec.template.spec.containers[0];
  const results = join(work, 'results');
  mkdirSync(results, { recursive: true });
  const lenv: Record<string, string> = {};
  for (const e of lc.env as Obj[]) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) lenv[e.name] = Buffer.from(find(p.docs, 'Secret', ref.name).data?.[ref.key] ?? Buffer.from(find(p.docs, 'Secret', ref.name).stringData[ref.key]).toString('base64'), 'base64').toString('utf8');
    else if (e.value !== undefined) lenv[e.name] = e.value;
  }
  const servicePort: Record<string, number> = { '143': p.ports.imap!, '110': p.ports.pop3!, '24': p.ports.lmtp!, '4190': p.ports.sieve! };
  const largs = (lc.args as string[]).map((a, i, all) => {
    const prev = all[i - 1];
    if (prev === '--host') return '127.0.0.1';
    if (prev && /^--(imap|pop3|lmtp|sieve)-port$/.test(prev)) return String(servicePort[a]);
    // Kubernetes expands $(VAR) in args from the container's env.
    return a.replace(/\$\((\w+)\)/g, (_, v: string) => lenv[v] ?? '').replace(/^\/results\//, `${results}/`);
  });
  const workers = [0, 1].map((i) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, lc.command[1].slice(5)), ...largs], {
      env: { PATH: process.env.PATH, ...lenv, LOADTEST_WORKER_INDEX: String(i) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => resolve({ code, out }));
  }));
  for (const w of await Promise.all(workers)) assert.equal(w.code, 0, `loadtest worker: ${w.out.slice(-3000)}\n${logs()}`);
  const merged = JSON.parse(readFileSync(join(results, `${RUN}.json`), 'utf8'));
  assert.equal(merged.workers, 2, 'one result merged from both workers');
  for (const k of ['lost', 'duplicated', 'corrupted', 'protocolErrors']) assert.equal(merged[k], 0, k);
  assert.equal(merged.passed, true);
  assert.ok(merged.totals.ops > 0, 'the generators drove the proxy');
  // All stop cleanly on SIGTERM (as the kubelet stops a pod).
  const all = [proxy.child, ...backends.map((b) => b.proc.child)];
  for (const c of all) c.kill('SIGTERM');
  for (const c of all) {
    if (c.exitCode === null) await new Promise((res) => c.once('exit', res));
    assert.equal(c.exitCode, 0, 'clean exit on SIGTERM');
  }
  // Each user's message is on its own site's volume (PVC), and only there.
  // (Maildir++: a message file in cur/ or new/; the index may hold a copy of the header too.)
  const holding = (dir: string, m: string) => filesUnder(join(dir, 'var/lib/mailnode/mail'))
    .filter((f) => /\/(cur|new)\/[^/]+$/.test(f) && readFileSync(f, 'utf8').includes(m));
  for (const b of backends) {
    const mine = holding(b.dir, marker(b.site.name));
    assert.equal(mine.length, 1, `${b.site.user.name}'s message is not on ${b.site.name}\n${logs()}`);
    assert.ok(mine[0]!.includes(`/example.org/${b.site.user.local}/`), mine[0]);
    for (const other of backends.filter((o) => o !== b)) assert.equal(holding(other.dir, marker(b.site.name)).length, 0, `${b.site.user.name}'s message also on ${other.site.name}`);
    const delivered = holding(b.dir, lmtpMarker);
    assert.equal(delivered.length, 1, `the LMTP copy for ${b.site.user.name} is not on ${b.site.name}`);
    assert.ok(delivered[0]!.includes(`/example.org/${b.site.user.local}/`), delivered[0]);
  }
  // And nothing on the proxy's (stateless) disk.
  assert.equal(filesUnder(join(work, 'proxy/var/lib/mailnode/mail')).length, 0);
});
