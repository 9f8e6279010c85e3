// The proxy's configuration: the example in deploy/ loads; the proxy refuses to start without its master login.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../libs/config/src/load.js';
import { projectRoot } from '../mail/testing.js';
import { startProc } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('deploy/proxy.example.yaml loads without errors: backends per protocol, master user, breaker settings', () => {
  const r = loadConfig(join(projectRoot(), 'deploy', 'proxy.example.yaml'), { MAIL_PROXY__MASTERPASSWORD: 'x' }, { environment: { isRoot: true, hostname: 'h' } });
  assert.deepEqual(r.errors, []);
  const p = r.config!.proxy;
  assert.deepEqual(p.backends, { 'mail-a.example.org': '10.0.1.10:143', 'mail-b.example.org': '10.0.2.10:143' });
  assert.equal(p.pop3Backends['mail-b.example.org'], '10.0.2.10:110');
  assert.equal(p.masterPassword, 'x');
  assert.equal(p.connectTimeout, 5000);
  assert.equal(p.breakerCoolDown, 10_000);
});

test('a bad backend address is a configuration error naming the key', () => {
  writeFileSync(join(dir, 'bad.yaml'), 'proxy: { backends: { a.test: "no-port" } }\n');
  const r = loadConfig(join(dir, 'bad.yaml'), {});
  assert.ok(r.errors.some((e) => e.includes('proxy.backends') && e.includes('host:port')), r.errors.join('\n'));
});

test('the proxy exits with 78 (EX_CONFIG) when proxy.masterUser/masterPassword are missing', async () => {
  writeFileSync(join(dir, 'nomaster.yaml'), `node: { hostname: p.test, dataDir: ${join(dir, 'data')} }\nproxy: { imapPort: 0, backends: { a.test: "127.0.0.1:1" } }\n`);
  const p = startProc('proxy', join(dir, 'nomaster.yaml'));
  await p.stop('SIGCONT');
  assert.equal(p.child.exitCode, 78);
  assert.match(p.err(), /proxy\.masterUser and proxy\.masterPassword: required/);
});

test('proxy.sourceAddresses: a list of IP addresses (YAML list or comma-separated); a network or a name is refused', () => {
  writeFileSync(join(dir, 'src.yaml'), 'proxy: { sourceAddresses: "10.0.0.11, 10.0.0.12 fd00::1" }\n');
  assert.deepEqual(loadConfig(join(dir, 'src.yaml'), {}).config?.proxy.sourceAddresses, ['10.0.0.11', '10.0.0.12', 'fd00::1']);
  assert.deepEqual(loadConfig(null, {}).config?.proxy.sourceAddresses, []);
  for (const bad of ['[10.0.0.0/24]', '[proxy.example.org]', '[10.0.0.300]']) {
    writeFileSync(join(dir, 'src-bad.yaml'), `proxy: { sourceAddresses: ${bad} }\n`);
    const r = loadConfig(join(dir, 'src-bad.yaml'), {});
    assert.ok(r.errors.some((e) => e.includes('proxy.sourceAddresses') && e.includes('IP addresses')), `${bad}: ${r.errors.join('\n')}`);
  }
});
