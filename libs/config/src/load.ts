/**
 * Loads and validates the node configuration: YAML file (optional) + MAIL_<SECTION>__<KEY> environment
 * overrides + defaults. Every problem is collected and reported with its path, so an operator fixes
 * all of them in one round; a result with errors must not be started.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { SCHEMA, currentEnvironment, type Environment, type MailConfig, type LeafSpec, type MapSpec } from './schema.js';
import { show } from './parsers.js';

export interface LoadResult {
  /** The validated configuration; null when there were errors. */
  config: MailConfig | null;
  errors: string[];
  warnings: string[];
}

export interface LoadOptions {
  /** Base for relative paths when no config file is given (default process.cwd()). */
  cwd?: string;
  /** Process facts that pick defaults (root → standard ports). Default: the current process. */
  environment?: Environment;
  /**
   * The file's content as read earlier, used instead of reading `path` again (which then only sets the base
   * for relative paths): a proxy's login processes get the text their parent validated at its last reload.
   */
  text?: string;
}

type RawSection = Record<string, unknown>;
type Raw = Record<string, RawSection>;
/** Where a raw value came from, for error messages: key path → env var name. */
type Sources = Map<string, string>;

const ENV_PREFIX = 'MAIL_';

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const norm = (s: string) => s.replace(/_/g, '').toLowerCase();

/** Parses the config text; YAML syntax errors are reported with line and column. */
export function parseConfigText(text: string, errors: string[]): Record<string, unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    errors.push(`line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return {};
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    errors.push(`(top level): expected a mapping of sections (${Object.keys(SCHEMA).join(', ')}), got ${show(value)}`);
    return {};
  }
  return value;
}

/** Applies MAIL_<SECTION>__<KEY>[__<MAPKEY>]=value. Values are YAML scalars/flow ("1143", "null", "[\\Sent]"). */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, errors: string[], sources: Sources): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || !name.includes('__')) continue;
    // An empty variable counts as unset (compose files and shells often leave `MAIL_X__Y=`); use
    // `null` or `false` to disable a listener from the environment.
    if ((env[name] ?? '').trim() === '') continue;
    const parts = name.slice(ENV_PREFIX.length).split('__');
    const sectionName = Object.keys(SCHEMA).find((s) => norm(s) === norm(parts[0]!));
    if (!sectionName || parts.length < 2 || parts.length > 3) {
      errors.push(`${name}: unknown configuration variable (form: MAIL_<SECTION>__<KEY>, sections ${Object.keys(SCHEMA).join(', ')})`);
      continue;
    }
    const spec = SCHEMA[sectionName as keyof MailConfig];
    const keyName = Object.keys(spec).find((k) => norm(k) === norm(parts[1]!));
    const keySpec = keyName ? spec[keyName] : undefined;
    if (!keyName || !keySpec || (parts.length === 3 && keySpec.kind !== 'map')) {
      errors.push(`${name}: unknown key ${sectionName}.${parts.slice(1).join('.')}`);
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(env[name] ?? '');
    } catch {
      value = env[name];
    }
    const section = isMapping(raw[sectionName]) ? (raw[sectionName] as RawSection) : (raw[sectionName] = {});
    if (parts.length === 3) {
      const mapKey = parts[2]!;
      // One entry from the environment adds to the map of the file (or the default map).
      const current = isMapping(section[keyName]) ? (section[keyName] as Record<string, unknown>)
        : (section[keyName] = structuredClone((keySpec as MapSpec).def));
      (current as Record<string, unknown>)[mapKey] = value;
      sources.set(`${sectionName}.${keyName}.${mapKey}`, name);
    } else {
      section[keyName] = value;
      sources.set(`${sectionName}.${keyName}`, name);
    }
  }
}

function validate(raw: Record<string, unknown>, envFacts: Environment, errors: string[], sources: Sources): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const where = (path: string) => (sources.has(path) ? `${path} (from ${sources.get(path)})` : path);
  for (const key of Object.keys(raw)) if (!(key in SCHEMA)) errors.push(`${key}: unknown key`);
  for (const [sectionName, spec] of Object.entries(SCHEMA)) {
    const rawSection = raw[sectionName];
    const section: RawSection = rawSection === undefined || rawSection === null ? {} : isMapping(rawSection) ? rawSection : {};
    if (rawSection !== undefined && rawSection !== null && !isMapping(rawSection)) {
      errors.push(`${sectionName}: expected a mapping, got ${show(rawSection)}`);
    }
    for (const key of Object.keys(section)) if (!(key in spec)) errors.push(`${sectionName}.${key}: unknown key`);
    const result: Record<string, unknown> = {};
    for (const [key, keySpec] of Object.entries(spec)) {
      const path = `${sectionName}.${key}`;
      if (keySpec.kind === 'leaf') {
        result[key] = validateLeaf(keySpec, section, key, path, envFacts, errors, where);
      } else {
        result[key] = validateMap(keySpec, section[key], path, errors, where);
      }
    }
    out[sectionName] = result;
  }
  return out;
}

function validateLeaf(spec: LeafSpec, section: RawSection, key: string, path: string, envFacts: Environment,
  errors: string[], where: (p: string) => string): unknown {
  if (!(key in section)) return typeof spec.def === 'function' ? (spec.def as (e: Environment) => unknown)(envFacts) : spec.def;
  const r = spec.parse(section[key]);
  if (r.ok) return r.value;
  errors.push(`${where(path)}: expected ${r.expected}, got ${show(section[key])}`);
  return undefined;
}

/** A map replaces its default as a whole when given (so an operator can drop a default entry). */
function validateMap(spec: MapSpec, rawMap: unknown, path: string, errors: string[], where: (p: string) => string): Record<string, unknown> {
  if (rawMap === undefined) return structuredClone(spec.def);
  if (rawMap === null) return {};
  if (!isMapping(rawMap)) {
    errors.push(`${where(path)}: expected a mapping of mailbox name to value, got ${show(rawMap)}`);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rawMap)) {
    const kp = `${path}.${k}`;
    const kr = spec.key(k);
    if (!kr.ok) { errors.push(`${where(kp)}: bad name: expected ${kr.expected}`); continue; }
    const vr = spec.value(v);
    if (!vr.ok) { errors.push(`${where(kp)}: expected ${vr.expected}, got ${show(v)}`); continue; }
    out[k] = vr.value;
  }
  return out;
}

type LmtpRaw = Omit<MailConfig['lmtp'], 'socket'> & { socket: string | false | null };

/** lmtp.socket: null = <dataDir>/lmtp.sock, false = none, relative paths against the config's directory. */
function finishLmtp(l: LmtpRaw, dataDir: string, p: (x: string) => string): MailConfig['lmtp'] {
  const socket = l.socket === false ? null : l.socket === null ? resolve(dataDir, 'lmtp.sock') : p(l.socket);
  return { ...l, socket };
}

type SaslRaw = Omit<MailConfig['sasl'], 'socket'> & { socket: string | false | null };

/** sasl.socket: null = <dataDir>/auth-client.sock, false = none, relative paths against the config's directory. */
function finishSasl(x: SaslRaw, dataDir: string, p: (s: string) => string): MailConfig['sasl'] {
  return { ...x, socket: x.socket === false ? null : x.socket === null ? resolve(dataDir, 'auth-client.sock') : p(x.socket) };
}

/** sieve.before: a "/" or "./" value is a file (made absolute); other text is the script itself. */
function finishSieveBefore(b: string | null, p: (x: string) => string): string | null {
  if (b === null || b === '') return b;
  return b.startsWith('/') || b.startsWith('./') || b.startsWith('../') ? p(b) : b;
}

function withRedis<T extends { redisUrl: string | null }>(section: T, redis: Record<string, unknown> | undefined): T {
  const url = (redis?.url as string | null | undefined) ?? null;
  return section.redisUrl === null && url !== null ? { ...section, redisUrl: url } : section;
}

type AdminRaw = Omit<MailConfig['admin'], 'apiKeyFile'> & { apiKeyFile: string | null };
/** admin.apiKeyFile: null = <dataDir>/admin-api.key. */
function finishAdmin(a: AdminRaw, dataDir: string, p: (x: string) => string): MailConfig['admin'] {
  return { ...a, apiKeyFile: a.apiKeyFile === null ? resolve(dataDir, 'admin-api.key') : p(a.apiKeyFile) };
}

/** Cross-key checks and derived defaults (paths under dataDir), on a config whose keys all parsed. */
function finish(v: Record<string, Record<string, unknown>>, base: string, errors: string[], warnings: string[]): MailConfig {
  const c = v as unknown as {
    node: MailConfig['node']; storage: { mailRoot: string | null; fsync: boolean };
    directory: Omit<MailConfig['directory'], 'path'> & { path: string | null }; imap: Omit<MailConfig['imap'], 'idleTimeoutMs' | 'hibernateTimeoutMs'> & { idleTimeout: number; hibernateTimeout: number };
    tls: { cert: string | null; key: string | null }; mailboxes: MailConfig['mailboxes']; log: MailConfig['log']; http: MailConfig['http'];
  };
  const dataDir = resolve(base, c.node.dataDir);
  const p = (x: string) => resolve(base, x);
  if ((c.tls.cert === null) !== (c.tls.key === null)) {
    errors.push(c.tls.cert === null ? 'tls.cert: required when tls.key is set' : 'tls.key: required when tls.cert is set');
  }
  const listeners: Array<[string, string, number | null]> = [
    ['imap.port', c.imap.host, c.imap.port], ['imap.tlsPort', c.imap.host, c.imap.tlsPort], ['http.port', c.http.host, c.http.port],
  ];
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [pi, , porti] = listeners[i]!; const [pj, , portj] = listeners[j]!;
      if (porti !== null && porti !== 0 && porti === portj) errors.push(`${pi}: same port ${porti} as ${pj}`);
    }
  }
  if (c.imap.port === null && c.imap.tlsPort === null) warnings.push('imap: both imap.port and imap.tlsPort are disabled; no IMAP listener');
  if (c.imap.allowPlaintextAuth) warnings.push('imap.allowPlaintextAuth: passwords may cross the network unencrypted (RFC 8314 advises against it)');
  if (c.imap.idleTimeout < 30 * 60 * 1000) warnings.push('imap.idleTimeout: below the 30 minutes RFC 3501 §5.4 requires of an autologout timer');
  if (c.directory.type === 'ldap') {
    if (c.directory.ldapUris.length === 0) errors.push('directory.ldapUris: required with directory.type ldap');
    if (c.directory.ldapBase === null) errors.push('directory.ldapBase: required with directory.type ldap');
    if ((c.directory.ldapBindDn === null) !== (c.directory.ldapBindPassword === null)) errors.push('directory.ldapBindPassword: set together with directory.ldapBindDn');
    if (c.directory.ldapPasswordCheck === 'compare' && c.directory.ldapBindDn === null) errors.push('directory.ldapBindDn: compare needs a service account that may read userPassword');
  }
  for (const name of Object.keys(c.mailboxes.auto)) {
    if (name.toUpperCase() === 'INBOX') errors.push(`mailboxes.auto.${name}: INBOX always exists and cannot be listed here`);
  }
  return {
    node: { hostname: c.node.hostname, dataDir, workers: c.node.workers },
    storage: { mailRoot: c.storage.mailRoot === null ? resolve(dataDir, 'mail') : p(c.storage.mailRoot), fsync: c.storage.fsync },
    directory: {
      ...c.directory, path: c.directory.path === null ? resolve(dataDir, 'users.yaml') : p(c.directory.path),
      ldapCaFile: c.directory.ldapCaFile === null ? null : p(c.directory.ldapCaFile),
    },
    // Each feature's own redisUrl wins; null falls back to the shared redis.url.
    auth: withRedis(v.auth as unknown as MailConfig['auth'], v.redis),
    imap: {
      host: c.imap.host, port: c.imap.port, tlsPort: c.imap.tlsPort, allowPlaintextAuth: c.imap.allowPlaintextAuth,
      maxMessageSize: c.imap.maxMessageSize, idleTimeoutMs: c.imap.idleTimeout, hibernateTimeoutMs: c.imap.hibernateTimeout, maxUserIpConnections: c.imap.maxUserIpConnections,
      processLimit: c.imap.processLimit,
    },
    tls: { cert: c.tls.cert === null ? null : p(c.tls.cert), key: c.tls.key === null ? null : p(c.tls.key), generatedDir: resolve(dataDir, 'tls') },
    mailboxes: c.mailboxes,
    log: c.log,
    http: c.http,
    lmtp: finishLmtp(v.lmtp as unknown as LmtpRaw, dataDir, p),
    submission: v.submission as unknown as MailConfig['submission'],
    sieve: {
      before: finishSieveBefore((v.sieve as { before: string | null }).before, p),
      globalDir: (v.sieve as { globalDir: string | null }).globalDir === null ? null : p((v.sieve as { globalDir: string }).globalDir),
    },
    managesieve: v.managesieve as unknown as MailConfig['managesieve'],
    quota: withRedis(v.quota as unknown as MailConfig['quota'], v.redis),
    quotaStatus: v.quotaStatus as unknown as MailConfig['quotaStatus'],
    pop3: v.pop3 as unknown as MailConfig['pop3'],
    sasl: finishSasl(v.sasl as unknown as SaslRaw, dataDir, p),
    proxy: v.proxy as unknown as MailConfig['proxy'], // the proxy's registry uses redis.url (services/proxy/registry.ts)
    redis: v.redis as unknown as MailConfig['redis'],
    admin: finishAdmin(v.admin as unknown as AdminRaw, dataDir, p),
  };
}

/**
 * Loads the configuration. `path` null = embedded defaults (plus environment overrides).
 * Relative paths are resolved against the config file's directory, or `cwd` without a file.
 */
export function loadConfig(path: string | null, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): LoadResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  let raw: Record<string, unknown> = {};
  const cwd = opts.cwd ?? process.cwd();
  let base = cwd;
  if (path !== null) {
    const abs = resolve(cwd, path);
    base = dirname(abs);
    let text: string | undefined = opts.text;
    if (text === undefined) {
      try {
        text = readFileSync(abs, 'utf8');
      } catch (e) {
        errors.push(`${abs}: cannot read configuration file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    if (text !== undefined) raw = parseConfigText(text, errors);
    if (errors.length > 0) return { config: null, errors, warnings };
  }
  const sources: Sources = new Map();
  applyEnv(raw, env, errors, sources);
  const values = validate(raw, opts.environment ?? currentEnvironment(), errors, sources);
  if (errors.length > 0) return { config: null, errors, warnings };
  const config = finish(values, base, errors, warnings);
  return errors.length > 0 ? { config: null, errors, warnings } : { config, errors, warnings };
}
