/**
 * The chart's pods, run for real on loopback: a backend and a proxy started exactly as their rendered
 * pod specs say (command, ConfigMap, environment from the Secret, mounted TLS/users/admin-key files),
 * with the pod paths moved into a temp dir and cluster DNS emulated (the backend's pod DNS name ->
 * 127.0.0.1). Both must become ready on /healthz/ready, and a user homed on the site must log in
 * through the proxy over TLS (verified against the chart's certificate) and land its mail in the
 * backend's mail root, which proves the master login, the home server routing and the secrets fit.
 * Then the load-test Job's two indexed pods run with their rendered arguments against the proxy,
 * coordinated through the real Redis, and must merge one passing result.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'helm/mailstack');
const HELM = join(ROOT, '.tools/helm/helm');
const HOME = 'mail-a.example.org';
const USER = { name: 'alice@example.org', password: 'alicepw' };
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address() as { port: number }; s.close(() => resolve(a.port)); });
  });
}

/** Renders the chart with these container ports (one set per "pod": on one machine they cannot share). */
async function render(release: string): Promise<{ docs: Obj[]; ports: Record<string, number> }> {
  const ports: Record<string, number> = {};
  for (const k of ['imap', 'imaps', 'pop3', 'pop3s', 'sieve', 'lmtp', 'quotaStatus', 'http', 'admin']) ports[k] = await freePort();
  const values = {
    ports,
    podNetworks: ['127.0.0.0/8'],
    backends: { sites: [{ name: 'site-a', homeServer: HOME }] },
    users: {
      domains: ['example.org'],
      users: {
        [USER.name]: { password: `{PLAIN}${USER.password}`, homeServer: HOME },
        ...Object.fromEntries([1, 2, 3, 4].map((i) => [`load${i}@example.org`, { password: '{PLAIN}loadpw', homeServer: HOME }])),
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

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  // Tolerates files that vanish while we walk (index temp files being renamed).
  return readdirSync(dir).flatMap((n) => { const p = join(dir, n); const st = statSync(p, { throwIfNoEntry: false }); return !st ? [] : st.isDirectory() ? filesUnder(p) : [p]; });
}

test('a backend, a proxy and the load-test Job started from the rendered pods serve users homed on the site', { timeout: 90_000 }, async () => {
  // Two renders of one release, each with its own container ports; both pods use the first render's
  // Secrets, as one release has one Secret (generated values differ between renders).
  const b = await render('r'); // the backend pod
  const p = await render('r'); // the proxy pod
  const backendDir = join(work, 'backend');
  const backendPod = materialize(b.docs, find(b.docs, 'StatefulSet', 'r-mailstack-site-a'), backendDir);
  const backend = start('backend', backendPod);
  // Cluster DNS and pod IPs, emulated: the proxy reaches the backend pod's DNS name at 127.0.0.1 on the backend's ports.
  const proxy = start('proxy', materialize(p.docs, find(p.docs, 'Deployment', 'r-mailstack-proxy'), join(work, 'proxy'), (cfg) => {
    for (const [map, port] of [['backends', b.ports.imap], ['pop3Backends', b.ports.pop3], ['sieveBackends', b.ports.sieve], ['lmtpBackends', b.ports.lmtp]] as const) {
      for (const k of Object.keys(cfg.proxy[map])) {
        assert.match(cfg.proxy[map][k], /^r-mailstack-site-a-0\.r-mailstack-backend\.mail\.svc\.cluster\.local:\d+$/);
        cfg.proxy[map][k] = `127.0.0.1:${port}`;
      }
    }
  }, b.docs));
  await ready(backend, b.ports.http!);
  await ready(proxy, p.ports.http!);

  const ca = Buffer.from(find(b.docs, 'Secret', 'r-mailstack-tls').data['tls.crt'], 'base64');
  const client = new ImapFlow({
    host: '127.0.0.1', port: p.ports.imaps!, secure: true, tls: { ca: [ca], servername: 'mail.example.org' },
    auth: { user: USER.name, pass: USER.password }, logger: false,
  });
  const marker = `chart-pods-${Date.now()}`;
  try {
    await client.connect();
    await client.append('INBOX', `From: t@example.org\r\nTo: ${USER.name}\r\nSubject: ${marker}\r\n\r\nhello through the chart\r\n`);
    const box = await client.mailboxOpen('INBOX');
    assert.equal(box.exists, 1);
  } catch (e) {
    assert.fail(`IMAP through the proxy failed: ${(e as Error).message}\n${proxy.log()}\n${backend.log()}`);
  } finally {
    await client.logout().catch(() => undefined);
  }
  // mailctl in the pod (kubectl exec ... mailctl) reaches the admin API with the key the chart gave the pod.
  const ctl = spawnSync(process.execPath, [join(ROOT, 'dist/services/mailctl/main.js'), 'who'], {
    encoding: 'utf8', timeout: 20_000,
    env: { PATH: process.env.PATH, MAILCTL_API_KEY: backendPod.env.MAILCTL_API_KEY, MAILCTL_URL: `http://127.0.0.1:${b.ports.admin}` },
  });
  assert.equal(ctl.status, 0, `mailctl who: ${ctl.stdout}${ctl.stderr}`);
  const bad = spawnSync(process.execPath, [join(ROOT, 'dist/services/mailctl/main.js'), 'who'], {
    encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, MAILCTL_API_KEY: 'wrong', MAILCTL_URL: `http://127.0.0.1:${b.ports.admin}` },
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
  for (const w of await Promise.all(workers)) assert.equal(w.code, 0, `loadtest worker: ${w.out.slice(-3000)}\n${proxy.log()}`);
  const merged = JSON.parse(readFileSync(join(results, `${RUN}.json`), 'utf8'));
  assert.equal(merged.workers, 2, 'one result merged from both workers');
  for (const k of ['lost', 'duplicated', 'corrupted', 'protocolErrors']) assert.equal(merged[k], 0, k);
  assert.equal(merged.passed, true);
  assert.ok(merged.totals.ops > 0, 'the generators drove the proxy');
  // Both stop cleanly on SIGTERM (as the kubelet stops a pod).
  for (const c of [proxy.child, backend.child]) c.kill('SIGTERM');
  for (const c of [proxy.child, backend.child]) {
    if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
    assert.equal(c.exitCode, 0, 'clean exit on SIGTERM');
  }
  // The message is on the backend's volume (its PVC), under the user's mail home.
  // (Maildir++: a message file in cur/ or new/; the index may hold a copy of the header too.)
  const stored = filesUnder(join(backendDir, 'var/lib/mailnode/mail/example.org/alice'))
    .filter((f) => /\/(cur|new)\/[^/]+$/.test(f) && readFileSync(f, 'utf8').includes(marker));
  assert.equal(stored.length, 1, `message not found in the backend's Maildir\n${backend.log()}`);
  // And nothing on the proxy's (stateless) disk.
  assert.equal(filesUnder(join(work, 'proxy/var/lib/mailnode/mail')).length, 0);
});
