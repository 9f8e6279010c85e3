/**
 * The chart's pods, run for real on loopback: a backend and a proxy started exactly as their rendered
 * pod specs say (command, ConfigMap, environment from the Secret, mounted TLS/users/admin-key files),
 * with the pod paths moved into a temp dir and cluster DNS emulated (the backend's pod DNS name ->
 * 127.0.0.1). Both must become ready on /healthz/ready, and a user homed on the site must log in
 * through the proxy over TLS (verified against the chart's certificate) and land its mail in the
 * backend's mail root, which proves the master login, the home server routing and the secrets fit.
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'helm/mailstack');
const HELM = join(ROOT, '.tools/helm/helm');
const HOME = 'mail-a.example.org';
const USER = { name: 'alice@example.org', password: 'alicepw' };

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
    users: { domains: ['example.org'], users: { [USER.name]: { password: `{PLAIN}${USER.password}`, homeServer: HOME } } },
    config: { log: { level: 'warn' }, storage: { fsync: false } },
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
  return readdirSync(dir).flatMap((n) => { const p = join(dir, n); return statSync(p).isDirectory() ? filesUnder(p) : [p]; });
}

test('a backend and a proxy started from the rendered pods serve a user homed on the site', { timeout: 90_000 }, async () => {
  // Two renders of one release, each with its own container ports; both pods use the first render's
  // Secrets, as one release has one Secret (generated values differ between renders).
  const b = await render('r'); // the backend pod
  const p = await render('r'); // the proxy pod
  const backendDir = join(work, 'backend');
  const backend = start('backend', materialize(b.docs, find(b.docs, 'StatefulSet', 'r-mailstack-site-a'), backendDir));
  // Cluster DNS and pod IPs, emulated: the proxy reaches the backend pod's DNS name at 127.0.0.1 on the backend's ports.
  const proxy = start('proxy', materialize(p.docs, find(p.docs, 'Deployment', 'r-mailstack-proxy'), join(work, 'proxy'), (cfg) => {
    for (const [map, port] of [['backends', b.ports.imap], ['pop3Backends', b.ports.pop3], ['sieveBackends', b.ports.sieve]] as const) {
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
  // The message is on the backend's volume (its PVC), under the user's mail home.
  // (Maildir++: a message file in cur/ or new/; the index may hold a copy of the header too.)
  const stored = filesUnder(join(backendDir, 'var/lib/mailnode/mail/example.org/alice'))
    .filter((f) => /\/(cur|new)\/[^/]+$/.test(f) && readFileSync(f, 'utf8').includes(marker));
  assert.equal(stored.length, 1, `message not found in the backend's Maildir\n${backend.log()}`);
  // And nothing on the proxy's (stateless) disk.
  assert.equal(filesUnder(join(work, 'proxy/var/lib/mailnode/mail')).length, 0);
  for (const c of [proxy.child, backend.child]) c.kill('SIGTERM');
});
