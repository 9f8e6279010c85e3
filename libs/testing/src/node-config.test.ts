// The config builder the cluster tests and benches start nodes with: what it writes must read back as
// the same values (tricky strings included), and a mail node's and a proxy node's file must pass the
// real loader without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../config/src/load.js';
import { loopbackBackends, mailNode, nodeYaml, proxyNode, singleNode, type NodeConfig } from './node-config.js';

test('nodeYaml reads back as the same sections, strings that look like other YAML types included', () => {
  const config: NodeConfig = {
    node: { hostname: 'site-a.test', dataDir: '/tmp/x y/data' },
    directory: { type: 'ldap', ldapUris: ['ldap://127.0.0.1:3890'], ldapBase: 'dc=example,dc=org' },
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'test:cluster:ab12:' },
    sasl: { masterUsers: { proxy: '{SHA512-CRYPT}$6$salt$hash/.x' }, trustedNetworks: ['127.0.0.0/8'], port: null, socket: false },
    odd: { a: 'null', b: 'true', c: '123', d: '1e3', e: '0.5', f: '', g: '#x', h: 'a, b', i: '- x', j: 'say "hi"', k: 1000, l: '1000ms' },
    proxy: { host: '127.0.0.1', imapPort: 0, backends: loopbackBackends({ 'site-a.test': 1143 }) },
  };
  assert.deepEqual(parse(nodeYaml(config)), config);
});

test('a section left undefined is left out; proxy comes last in block style, so lines can be appended to it', () => {
  const text = nodeYaml({ log: { level: 'info' }, proxy: { imapTlsPort: 0 }, http: undefined, admin: { port: null } });
  assert.equal(text, 'log: { level: info }\nadmin: { port: null }\nproxy:\n  imapTlsPort: 0\n');
  assert.deepEqual(parse(`${text}  lmtpPort: 0\n`), { log: { level: 'info' }, admin: { port: null }, proxy: { imapTlsPort: 0, lmtpPort: 0 } });
});

test('mail, proxy and single nodes pass the config loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-config-'));
  try {
    const users = join(dir, 'users.yaml');
    writeFileSync(users, 'users: {}\n');
    const check = (name: string, config: NodeConfig) => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, nodeYaml(config));
      const r = loadConfig(path, {});
      assert.deepEqual(r.errors, [], `${name}:\n${nodeYaml(config)}`);
      return r.config!;
    };
    const mail = check('mail', mailNode({
      hostname: 'b.test', dataDir: join(dir, 'b'), users, imap: 0, lmtp: 2424, logLevel: 'warn', master: { user: 'proxy', hash: '{PLAIN}pw' },
    }));
    assert.equal(mail.imap.port, 0);
    assert.equal(mail.pop3.port, null);
    assert.equal(mail.lmtp.port, 2424);
    assert.deepEqual(mail.sasl.masterUsers, { proxy: '{PLAIN}pw' });
    const proxy = check('proxy', proxyNode({
      hostname: 'p.test', dataDir: join(dir, 'p'), users, proxy: { imapPort: 0, masterUser: 'proxy', masterPassword: 'pw', backends: loopbackBackends({ 'b.test': 1143 }) },
    }));
    assert.equal(proxy.proxy.backends['b.test'], '127.0.0.1:1143');
    assert.equal(proxy.admin.port, null);
    writeFileSync(join(dir, 'users.yaml'), 'users: {}\n');
    const single = check('single', singleNode('s.test'));
    assert.equal(single.imap.tlsPort, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
