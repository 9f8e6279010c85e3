/**
 * Config files of mail and proxy nodes on loopback, for the tests and benchmarks that start them as
 * processes (not a test). A config is its sections as objects; nodeYaml() writes one line per
 * section in flow style (so a test can still swap a whole line, e.g. `lmtp: { port: null, socket:
 * false }`), and the `proxy` section last in block style (so a test can append backend maps to it).
 */
import { parse as parseYaml } from 'yaml';

type Scalar = string | number | boolean | null;
type Value = Scalar | Value[] | { [key: string]: Value };
export type Section = Record<string, Value>;
/** Sections by name; an undefined one is left out (the node's default applies). */
export type NodeConfig = Record<string, Section | undefined>;

export const LOOPBACK = '127.0.0.1';
const LOOPBACK_NET = '127.0.0.0/8';

// Plain where YAML reads the text back as the same string, double-quoted (JSON) otherwise.
function scalar(v: Scalar): string {
  if (typeof v !== 'string') return String(v);
  const plain = /^[\w./-][\w./@+-]*$/.test(v) && !/^(null|true|false|~|[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?)$/i.test(v);
  return plain ? v : JSON.stringify(v);
}

function flow(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  return scalar(v);
}

export function nodeYaml(config: NodeConfig): string {
  const lines: string[] = [];
  for (const [name, section] of Object.entries(config)) if (section && name !== 'proxy') lines.push(`${name}: ${flow(section)}`);
  const proxy = config.proxy;
  if (proxy) {
    lines.push('proxy:');
    for (const [k, v] of Object.entries(proxy)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        lines.push(`  ${k}:`, ...Object.entries(v).map(([n, x]) => `    ${n}: ${flow(x)}`));
      } else {
        lines.push(`  ${k}: ${flow(v)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** Sections written as YAML text (a test's extra lines), as objects to merge into a NodeConfig. */
export function parseSections(yaml: string): NodeConfig {
  return (parseYaml(yaml) as NodeConfig | null) ?? {};
}

/** Backend name → "127.0.0.1:port", as the proxy's backend maps take them. */
export function loopbackBackends(ports: Record<string, number>): Record<string, string> {
  return Object.fromEntries(Object.entries(ports).map(([n, p]) => [n, `${LOOPBACK}:${p}`]));
}

/** IMAP on 127.0.0.1, both ports ephemeral. */
export const LOOPBACK_IMAP: Section = { host: LOOPBACK, port: 0, tlsPort: 0 };

/**
 * A single node in a test's directory, as its operator would write it: data in ./data, users in
 * ./users.yaml, no fsync, IMAP and HTTP on ephemeral loopback ports, the rest at the defaults.
 */
export function singleNode(hostname: string): NodeConfig {
  return {
    node: { hostname, dataDir: 'data' },
    directory: { path: 'users.yaml' },
    storage: { fsync: false },
    imap: LOOPBACK_IMAP,
    http: { host: LOOPBACK, port: 0 },
    log: { level: 'info' },
  };
}

export interface MailNodeOptions {
  hostname: string;
  dataDir: string;
  /** The users file. */
  users: string;
  fsync?: boolean;
  mailRoot?: string;
  /** Listeners on 127.0.0.1 (0 = an ephemeral port); absent or null = off. */
  imap?: number | null;
  pop3?: number | null;
  lmtp?: number | null;
  sieve?: number | null;
  logLevel?: string;
  /** The master user the proxies log in as, from 127.0.0.0/8 (then trusted): name and password hash. */
  master?: { user: string; hash: string };
}

/** A backend mail node behind proxies: only the listeners asked for, plain (no TLS ports), no HTTP or admin API. */
export function mailNode(o: MailNodeOptions): NodeConfig {
  const listen = (port: number | null | undefined): Section => ({ host: LOOPBACK, port: port ?? null });
  return {
    node: { hostname: o.hostname, dataDir: o.dataDir },
    directory: { path: o.users },
    storage: { ...(o.mailRoot ? { mailRoot: o.mailRoot } : {}), fsync: o.fsync ?? false },
    imap: { ...listen(o.imap), tlsPort: null },
    pop3: { ...listen(o.pop3), tlsPort: null },
    lmtp: o.lmtp == null ? { port: null, socket: false } : { ...listen(o.lmtp), socket: false },
    managesieve: listen(o.sieve),
    quotaStatus: { port: null },
    http: { port: null },
    admin: { port: null },
    log: { level: o.logLevel ?? 'info' },
    // No auth listener; loopback is trusted (plaintext logins, ID forwarding) where proxies log in.
    sasl: {
      port: null, socket: false,
      ...(o.master ? { trustedNetworks: [LOOPBACK_NET], masterUsers: { [o.master.user]: o.master.hash }, masterNetworks: [LOOPBACK_NET] } : {}),
    },
  };
}

export interface ProxyNodeOptions {
  hostname: string;
  dataDir: string;
  users: string;
  logLevel?: string;
  /** The proxy section after `host: 127.0.0.1` (ports, master user, backend maps...). */
  proxy: Section;
}

/** A proxy node: no HTTP, admin API or SASL listener unless a test adds them. */
export function proxyNode(o: ProxyNodeOptions): NodeConfig {
  return {
    node: { hostname: o.hostname, dataDir: o.dataDir },
    directory: { path: o.users },
    http: { port: null },
    admin: { port: null },
    log: { level: o.logLevel ?? 'info' },
    sasl: { port: null, socket: false, trustedNetworks: [LOOPBACK_NET] },
    proxy: { host: LOOPBACK, ...o.proxy },
  };
}
