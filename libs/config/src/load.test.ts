import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { SCHEMA } from './schema.js';

/** Every section name, as the loader lists them (new sections do not break these tests). */
const SECTIONS = Object.keys(SCHEMA).join(', ');

const USER = { isRoot: false, hostname: 'mx.test' };
const ROOT = { isRoot: true, hostname: 'mx.test' };
const dir = mkdtempSync(join(tmpdir(), 'cfg-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(yaml: string, env: NodeJS.ProcessEnv = {}, environment = USER) {
  const p = join(dir, `c${n++}.yaml`);
  writeFileSync(p, yaml);
  return loadConfig(p, env, { environment });
}

test('embedded defaults: no file, non-root → 1143/1993, paths under ./data', () => {
  const r = loadConfig(null, {}, { cwd: '/srv/x', environment: USER });
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.imap.port, 1143);
  assert.equal(c.imap.tlsPort, 1993);
  assert.equal(c.node.dataDir, '/srv/x/data');
  assert.equal(c.node.hostname, 'mx.test');
  assert.equal(c.storage.mailRoot, '/srv/x/data/mail');
  assert.equal(c.directory.path, '/srv/x/data/users.yaml');
  assert.equal(c.tls.cert, null);
  assert.equal(c.tls.generatedDir, '/srv/x/data/tls');
  assert.equal(c.imap.allowPlaintextAuth, false);
  assert.equal(c.imap.maxUserIpConnections, 10);
  assert.equal(c.imap.idleTimeoutMs, 30 * 60 * 1000);
  assert.equal(c.http.host, '127.0.0.1');
  assert.equal(c.http.port, 9090);
  assert.equal(c.storage.fsync, true);
  assert.deepEqual(c.mailboxes.special.Sent, ['\\Sent']);
  assert.deepEqual(c.mailboxes.special.Spam, ['\\Junk']);
  assert.equal(c.mailboxes.auto.Trash, 'subscribe');
});

test('embedded defaults as root → standard ports 143/993', () => {
  const r = loadConfig(null, {}, { cwd: '/', environment: ROOT });
  assert.equal(r.config!.imap.port, 143);
  assert.equal(r.config!.imap.tlsPort, 993);
});

test('empty file = defaults; relative paths resolve against the config file directory', () => {
  const r = load('');
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.node.dataDir, join(dir, 'data'));
  const r2 = load('storage:\n  mailRoot: /var/mail\ndirectory:\n  path: users.yml\n');
  assert.equal(r2.config!.storage.mailRoot, '/var/mail');
  assert.equal(r2.config!.directory.path, join(dir, 'users.yml'));
});

const BAD: Array<[string, string, string]> = [
  ['bad port string', 'imap:\n  port: abc\n', 'imap.port: expected integer 0..65535, or null/false to disable, got "abc"'],
  ['port out of range', 'imap:\n  port: 70000\n', 'imap.port: expected integer 0..65535, or null/false to disable, got 70000'],
  ['unknown key', 'imap:\n  prot: 1\n', 'imap.prot: unknown key'],
  ['unknown section', 'imapd:\n  port: 1\n', 'imapd: unknown key'],
  ['section not a mapping', 'imap: 5\n', 'imap: expected a mapping, got 5'],
  ['bad boolean', 'imap:\n  allowPlaintextAuth: maybe\n', 'imap.allowPlaintextAuth: expected boolean (true/false), got "maybe"'],
  ['bad size unit', 'imap:\n  maxMessageSize: 10X\n', 'imap.maxMessageSize: expected size in octets 1024..2147483648 (integer, or with unit K/M/G), got "10X"'],
  ['bad enum', 'log:\n  level: loud\n', 'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
  ['bad auto value', 'mailboxes:\n  auto:\n    Archive: yes-please\n', 'mailboxes.auto.Archive: expected one of create, subscribe, no, got "yes-please"'],
  ['bad special use', 'mailboxes:\n  special:\n    Sent: [\\Outbox]\n', 'mailboxes.special.Sent: expected list of \\All \\Archive \\Drafts \\Flagged \\Junk \\Sent \\Trash, got a list'],
  ['INBOX in auto', 'mailboxes:\n  auto:\n    inbox: create\n', 'mailboxes.auto.inbox: INBOX always exists and cannot be listed here'],
  ['cert without key', 'tls:\n  cert: /x.pem\n', 'tls.key: required when tls.cert is set'],
  ['port clash', 'imap:\n  port: 2000\n  tlsPort: 2000\n', 'imap.tlsPort: same port 2000 as imap.port'],
  ['directory type', 'directory:\n  type: nis\n', 'directory.type: expected one of file, ldap, got "nis"'],
  ['ldap without base', 'directory:\n  type: ldap\n  ldapUris: ldap://127.0.0.1:7389\n', 'directory.ldapBase: required with directory.type ldap'],
  ['top level list', '- a\n- b\n', `(top level): expected a mapping of sections (${SECTIONS}), got a list`],
];

for (const [name, yaml, message] of BAD) {
  test(`rejects: ${name}`, () => {
    const r = load(yaml);
    assert.equal(r.config, null);
    assert.deepEqual(r.errors, [message]);
  });
}

test('every error is reported at once, with its path', () => {
  const r = load('imap:\n  port: abc\n  prot: 1\n  idleTimeout: forever\nlog:\n  level: 7\nhttp:\n  hots: x\n');
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.sort(), [
    'http.hots: unknown key',
    'imap.idleTimeout: expected duration 10s..24h (seconds, or with unit ms/s/m/h), got "forever"',
    'imap.port: expected integer 0..65535, or null/false to disable, got "abc"',
    'imap.prot: unknown key',
    'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got 7',
  ]);
});

test('YAML syntax errors and duplicate keys are reported with their line', () => {
  const r = load('imap:\n  port: 1\n  port: 2\n');
  assert.equal(r.config, null);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!, /^line 3, column 3: .*[Uu]nique/);
  const r2 = load('imap: [\n');
  assert.equal(r2.config, null);
  assert.match(r2.errors[0]!, /^line \d+, column \d+: /);
});

test('missing file is an error naming the file', () => {
  const r = loadConfig(join(dir, 'nope.yaml'), {});
  assert.equal(r.config, null);
  assert.match(r.errors[0]!, /nope\.yaml: cannot read configuration file: ENOENT/);
});

test('null/false disable a listener; 0 is an ephemeral port', () => {
  const r = load('imap:\n  port: null\n  tlsPort: 0\nhttp:\n  port: false\n');
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.imap.port, null);
  assert.equal(r.config!.imap.tlsPort, 0);
  assert.equal(r.config!.http.port, null);
});

test('units: sizes K/M/G are binary, durations take ms/s/m/h and bare seconds', () => {
  const r = load('imap:\n  maxMessageSize: 50M\n  idleTimeout: 45m\n');
  assert.equal(r.config!.imap.maxMessageSize, 50 * 1024 * 1024);
  assert.equal(r.config!.imap.idleTimeoutMs, 45 * 60 * 1000);
  const r2 = load('imap:\n  maxMessageSize: 2048\n  idleTimeout: 3600\n');
  assert.equal(r2.config!.imap.maxMessageSize, 2048);
  assert.equal(r2.config!.imap.idleTimeoutMs, 3600 * 1000);
});

test('RFC 3501 §5.4: idleTimeout under 30 minutes is accepted with a warning', () => {
  const r = load('imap:\n  idleTimeout: 5m\n');
  assert.deepEqual(r.errors, []);
  assert.ok(r.warnings.some((w) => w.startsWith('imap.idleTimeout: below the 30 minutes RFC 3501 §5.4')));
});

test('allowPlaintextAuth true warns', () => {
  const r = load('imap:\n  allowPlaintextAuth: true\n');
  assert.equal(r.config!.imap.allowPlaintextAuth, true);
  assert.ok(r.warnings.some((w) => w.startsWith('imap.allowPlaintextAuth')));
});

test('a mailboxes map given in the file replaces the default map', () => {
  const r = load('mailboxes:\n  auto:\n    Archive: create\n  special:\n    Archive: [\\Archive]\n    Sent: "\\\\Sent"\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.mailboxes.auto, { Archive: 'create' });
  assert.deepEqual(r.config!.mailboxes.special, { Archive: ['\\Archive'], Sent: ['\\Sent'] });
});

test('environment overrides: MAIL_<SECTION>__<KEY>, case and underscores ignored in names', () => {
  const r = load('imap:\n  port: 2000\n', {
    MAIL_IMAP__PORT: '1143', MAIL_IMAP__MAX_MESSAGE_SIZE: '10M', MAIL_IMAP__ALLOWPLAINTEXTAUTH: 'true',
    MAIL_HTTP__PORT: 'null', MAIL_LOG__LEVEL: 'debug', MAIL_MAILBOXES__AUTO__Archive: 'create', MAIL: '/var/mail/root',
    MAIL_STORAGE__FSYNC: 'false', MAIL_IMAP__TLSPORT: '',
  });
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.imap.port, 1143);
  assert.equal(c.imap.maxMessageSize, 10 * 1024 * 1024);
  assert.equal(c.imap.allowPlaintextAuth, true);
  assert.equal(c.http.port, null);
  assert.equal(c.log.level, 'debug');
  assert.equal(c.storage.fsync, false);
  assert.equal(c.mailboxes.auto.Archive, 'create');
  assert.equal(c.mailboxes.auto.Drafts, 'subscribe', 'a single map entry from env adds to the file/default map');
  assert.equal(c.imap.tlsPort, 1993, 'an empty variable counts as unset');
});

test('environment overrides: bad values and unknown variables name the variable', () => {
  const r = loadConfig(null, { MAIL_IMAP__PORT: 'abc', MAIL_IMAP__PROT: '1', MAIL_NOPE__X: '1' }, { cwd: '/', environment: USER });
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.sort(), [
    'MAIL_IMAP__PROT: unknown key imap.PROT',
    `MAIL_NOPE__X: unknown configuration variable (form: MAIL_<SECTION>__<KEY>, sections ${SECTIONS})`,
    'imap.port (from MAIL_IMAP__PORT): expected integer 0..65535, or null/false to disable, got "abc"',
  ]);
});
