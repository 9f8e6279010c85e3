/** Command line → validated run options, or a usage error naming the bad option. */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { isLoopback, parseSourceAddresses, type Protocol, type Target, type TlsMode } from '../lib/target.js';
import { parseRange, patternUsers, readCredentialsFile, type Credential } from '../lib/users.js';
import { parseSizes } from '../lib/tracked-message.js';
import type { ProfileOptions } from '../profiles/types.js';
import { DEFAULT_MIX } from '../profiles/imap-mixed.js';

export const PROFILES = ['imap-mixed', 'lmtp', 'pop3', 'login-storm', 'idle-soak', 'proxy-vs-direct'] as const;
export type ProfileName = typeof PROFILES[number];

export class UsageError extends Error {}

export interface Coordination { url: string; runId: string; workers: number; prefix: string }

export interface CliOptions {
  command: 'run' | 'merge' | 'help';
  profile: ProfileName;
  target: Target;
  creds: Credential[];
  profileOpts: ProfileOptions;
  seed: number;
  output: string | null;
  html: string | null;
  quiet: boolean;
  coord: Coordination | null;
  runId: string;
  inner: ProfileName;
  directPort: number | null;
  proxyPort: number | null;
}

/** "30s", "5m", "1h", "1500ms", bare seconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${what}: bad duration "${s}" (e.g. 30s, 5m)`);
  const v = Number(m[1]);
  return Math.round(v * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000));
}

function int(v: string | undefined, what: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${what}: expected a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${what}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** "LIST=0,FETCH2=100/30" → { LIST: [0,0], FETCH2: [100,30] } */
export function parseMix(spec: string): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const m = /^([A-Za-z0-9]+)=(\d+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`--mix: bad entry "${part}" (expected STATE=P or STATE=P/AGAIN)`);
    const st = m[1]!.toUpperCase();
    if (!(st in DEFAULT_MIX)) throw new UsageError(`--mix: unknown state "${m[1]}" (known: ${Object.keys(DEFAULT_MIX).join(' ')})`);
    const p = Number(m[2]), a = m[3] === undefined ? DEFAULT_MIX[st as keyof typeof DEFAULT_MIX][1] : Number(m[3]);
    if (p > 100 || a > 100) throw new UsageError(`--mix: ${st}: probabilities are percentages (0-100)`);
    out[st] = [p, a];
  }
  return out;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  host: { type: 'string' }, 'imap-port': { type: 'string' }, 'pop3-port': { type: 'string' }, 'lmtp-port': { type: 'string' },
  'sieve-port': { type: 'string' }, tls: { type: 'string' }, ca: { type: 'string' }, 'source-addresses': { type: 'string' },
  'connect-timeout': { type: 'string' },
  users: { type: 'string' }, 'user-range': { type: 'string' }, password: { type: 'string' }, credentials: { type: 'string' },
  clients: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, mix: { type: 'string', multiple: true },
  msgs: { type: 'string' }, box: { type: 'string' }, copybox: { type: 'string' }, 'idle-ms': { type: 'string' }, sizes: { type: 'string' },
  rate: { type: 'string' }, rcpts: { type: 'string' }, 'seed-per-user': { type: 'string' }, keep: { type: 'boolean' },
  protocol: { type: 'string' }, sessions: { type: 'string' }, ramp: { type: 'string' }, 'server-pid': { type: 'string' },
  inner: { type: 'string' }, 'direct-port': { type: 'string' }, 'proxy-port': { type: 'string' }, 'no-verify': { type: 'boolean' }, 'allow-remote': { type: 'boolean' },
  output: { type: 'string' }, html: { type: 'string' }, quiet: { type: 'boolean' },
  coordinator: { type: 'string' }, 'run-id': { type: 'string' }, workers: { type: 'string' }, 'key-prefix': { type: 'string' },
} as const;

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  if (v.help) return { command: 'help' } as CliOptions;
  if (pos.length === 0) throw new UsageError(`no profile given (one of: ${PROFILES.join(', ')})`);
  if (pos.length > 1) throw new UsageError(`unexpected argument: ${pos[1]}`);
  const cmd = pos[0]!;
  const isMerge = cmd === 'merge';
  if (!isMerge && !(PROFILES as readonly string[]).includes(cmd)) throw new UsageError(`unknown profile "${cmd}" (one of: ${PROFILES.join(', ')})`);

  // Loading a server on another host is deliberate: it needs --allow-remote (or LOADTEST_ALLOW_REMOTE=1,
  // as the Helm chart's load-test Job sets), so a typo never points a storm at a production server.
  const allowRemote = v['allow-remote'] === true || process.env.LOADTEST_ALLOW_REMOTE === '1';
  const host = v.host ?? '127.0.0.1';
  if (!allowRemote && !isLoopback(host)) throw new UsageError(`--host ${host}: not a loopback address; add --allow-remote to load a server on another host`);
  const tls = (v.tls ?? 'auto') as TlsMode;
  if (!['none', 'starttls', 'implicit', 'auto'].includes(tls)) throw new UsageError(`--tls: expected none, starttls, implicit or auto, got "${v.tls}"`);
  const ports: Partial<Record<Protocol, number>> = {
    imap: int(v['imap-port'], '--imap-port', 143, 1, 65535),
    pop3: int(v['pop3-port'], '--pop3-port', 110, 1, 65535),
    lmtp: int(v['lmtp-port'], '--lmtp-port', 24, 1, 65535),
    sieve: int(v['sieve-port'], '--sieve-port', 4190, 1, 65535),
  };
  let ca: string | undefined;
  if (v.ca) { try { ca = readFileSync(v.ca, 'utf8'); } catch (e) { throw new UsageError(`--ca ${v.ca}: ${(e as Error).message}`); } }
  let sourceAddresses: string[] = [];
  if (v['source-addresses']) {
    try { sourceAddresses = parseSourceAddresses(v['source-addresses']); } catch (e) { throw new UsageError(`--source-addresses: ${(e as Error).message}`); }
    const bad = sourceAddresses.find((a) => !isLoopback(a));
    if (bad && !allowRemote) throw new UsageError(`--source-addresses: ${bad} is not a loopback address (add --allow-remote)`);
  }
  const target: Target = { host, ports, tls, ca, sourceAddresses, connectTimeoutMs: v['connect-timeout'] ? parseDuration(v['connect-timeout'], '--connect-timeout') : 5000 };

  let creds: Credential[];
  if (v.credentials) {
    if (v.users || v['user-range'] || v.password) throw new UsageError('--credentials cannot be combined with --users/--user-range/--password');
    try { creds = readCredentialsFile(v.credentials); } catch (e) { throw new UsageError(`--credentials: ${(e as Error).message}`); }
  } else {
    const pattern = v.users ?? 'user%d@example.org';
    if (!/%0?\d*d/.test(pattern)) throw new UsageError(`--users "${pattern}": the pattern needs a %d (e.g. user%d@example.org)`);
    let range;
    try { range = parseRange(v['user-range'] ?? '1-10'); } catch (e) { throw new UsageError(`--user-range: ${(e as Error).message}`); }
    creds = patternUsers(pattern, range, v.password ?? 'pass');
  }

  let sizes;
  try { sizes = parseSizes(v.sizes ?? '2k:50,8k:30,32k:15,128k:5'); } catch (e) { throw new UsageError(`--sizes: ${(e as Error).message}`); }
  const mix: Record<string, [number, number]> = {};
  for (const m of v.mix ?? []) Object.assign(mix, parseMix(m));
  const protocol = (v.protocol ?? 'imap') as Protocol;
  if (!['imap', 'pop3', 'sieve'].includes(protocol)) throw new UsageError(`--protocol: expected imap, pop3 or sieve, got "${v.protocol}"`);
  const serverPids = v['server-pid'] ? v['server-pid'].split(',').map((p) => int(p.trim(), '--server-pid', 0, 1)) : [];

  const profileOpts: ProfileOptions = {
    clients: int(v.clients, '--clients', 10, 1, 100_000),
    durationMs: parseDuration(v.duration ?? '30s', '--duration'),
    mix, msgs: int(v.msgs, '--msgs', 30, 1), box: v.box ?? 'INBOX', copybox: v.copybox ?? null,
    idleMs: int(v['idle-ms'], '--idle-ms', 1000), sizes,
    rate: int(v.rate, '--rate', 0), rcptsPerMessage: int(v.rcpts, '--rcpts', 1, 1, 1000),
    seedPerUser: int(v['seed-per-user'], '--seed-per-user', 20), pop3Delete: !v.keep,
    protocol, sessions: int(v.sessions, '--sessions', 100, 1), ramp: int(v.ramp, '--ramp', 0), serverPids,
    verify: !v['no-verify'],
  };
  if (profileOpts.durationMs < 1000) throw new UsageError('--duration: at least 1s');
  const allZero = Object.entries({ ...DEFAULT_MIX, ...mix }).every(([k, p]) => k === 'LOGIN' || p[0] === 0);
  if (allZero) throw new UsageError('--mix: every state has probability 0 (imaptest: "Invalid probabilities")');

  let coord: Coordination | null = null;
  if (v.coordinator || v.workers) {
    if (!v.coordinator) throw new UsageError('--workers needs --coordinator redis://HOST:PORT');
    if (!/^rediss?:\/\//.test(v.coordinator)) throw new UsageError(`--coordinator: expected redis://HOST:PORT, got "${v.coordinator}"`);
    const h = new URL(v.coordinator).hostname.replace(/^\[|\]$/g, '');
    if (!allowRemote && !isLoopback(h)) throw new UsageError(`--coordinator: ${h} is not a loopback address; add --allow-remote`);
    if (!v['run-id']) throw new UsageError('--coordinator needs --run-id (the same for every worker)');
    coord = { url: v.coordinator, runId: v['run-id'], workers: int(v.workers, '--workers', 1, 1, 10_000), prefix: v['key-prefix'] ?? 'loadtest:' };
  }
  if (isMerge && !coord) throw new UsageError('merge needs --coordinator and --run-id');
  const runId = v['run-id'] ?? `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(runId)) throw new UsageError(`--run-id: letters, digits, _ and - only (max 64), got "${runId}"`);
  const inner = (v.inner ?? 'imap-mixed') as ProfileName;
  if (!(PROFILES as readonly string[]).includes(inner) || inner === 'proxy-vs-direct') throw new UsageError(`--inner: expected a profile other than proxy-vs-direct, got "${v.inner}"`);
  const directPort = v['direct-port'] ? int(v['direct-port'], '--direct-port', 0, 1, 65535) : null;
  const proxyPort = v['proxy-port'] ? int(v['proxy-port'], '--proxy-port', 0, 1, 65535) : null;
  if (cmd === 'proxy-vs-direct' && (!directPort || !proxyPort)) throw new UsageError('proxy-vs-direct needs --direct-port and --proxy-port');

  return {
    command: isMerge ? 'merge' : 'run', profile: (isMerge ? 'imap-mixed' : cmd) as ProfileName, target, creds, profileOpts,
    seed: int(v.seed, '--seed', Math.floor(Math.random() * 2 ** 31)), output: v.output ?? null, html: v.html ?? null,
    quiet: v.quiet ?? false, coord, runId, inner, directPort, proxyPort,
  };
}
