/**
 * mailctl: the doveadm verbs against a node's admin API (HTTP+JSON through undici).
 * Exit codes (scripts rely on them): 0 ok, 1 failed (e.g. auth test refused), 64 usage,
 * 68 not found (user unknown, kick matched nobody), 69 node unreachable, 75 temporary failure
 * (node answered 5xx), 77 API key refused.
 */
import { request } from 'undici';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../libs/config/src/load.js';
import { table } from '../../libs/admin/src/table.js';
import type { QuotaLine, UserLookup, BackendHealth } from '../../libs/admin/src/types.js';
import type { KickResult, SessionInfo } from '../../libs/registry/src/types.js';

export const USAGE = `usage: mailctl [-c CONFIG | --url URL] [--api-key KEY | --api-key-file FILE] [--json] COMMAND

commands (as doveadm):
  reload                         every node takes the new configuration; sessions stay up
  who [-1] [MASK] [--ip IP]      sessions cluster-wide, grouped by user (-1: one line per connection)
  kick MASK [--ip IP]            close matching sessions on whichever nodes hold them ('*@example.org')
  quota get -u USER | -A         quota usage and limits (STORAGE in KiB, MESSAGE in messages)
  auth cache flush [USER...]     empty the auth cache (both levels) on every node
  auth test USER [PASSWORD]      check a password (read from stdin when not given)
  user lookup USER               home server, quota, aliases, groups of a user
  log test                       write a line at every log level
  log find                       where this node's logs go
  backends                       backend health (circuit breaker state)

The URL and key: --url/--api-key, else $MAILCTL_URL/$MAILCTL_API_KEY, else the node's configuration
(-c FILE, or the embedded defaults: admin on 127.0.0.1:9091, key in ./data/admin-api.key).
examples:
  mailctl who '*@example.org'
  mailctl kick alice@example.org
  mailctl --json quota get -A
`;

export const EXIT = { ok: 0, failed: 1, usage: 64, notFound: 68, unreachable: 69, temp: 75, denied: 77 } as const;

export class CliError extends Error { constructor(readonly code: number, message: string) { super(message); } }

interface Ctx { url: string; key: string; json: boolean; out: (s: string) => void }

async function call(ctx: Ctx, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let res;
  try {
    res = await request(new URL(path, ctx.url), {
      method,
      headers: { authorization: `Bearer ${ctx.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 30_000, bodyTimeout: 30_000,
    });
  } catch (e) {
    throw new CliError(EXIT.unreachable, `cannot reach ${ctx.url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.body.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = { error: text }; }
  const err = (json as { error?: string }).error ?? `HTTP ${res.statusCode}`;
  if (res.statusCode === 401) throw new CliError(EXIT.denied, err);
  if (res.statusCode === 404) throw new CliError(EXIT.notFound, err);
  if (res.statusCode === 400 || res.statusCode === 501) throw new CliError(EXIT.usage, err);
  if (res.statusCode >= 300) throw new CliError(EXIT.temp, err);
  return json;
}

function whoTable(sessions: SessionInfo[], perConnection: boolean): string {
  if (perConnection) {
    // doveadm who -1 shows the serving process's pid: with node.workers > 1 it tells the workers apart.
    return table(['username', 'service', 'node', 'pid', 'ip', 'connection', 'since'],
      sessions.map((s) => [s.user, s.service + (s.proxy ? '(proxy)' : ''), s.node, s.pid ?? '', s.ip, s.id, new Date(s.start).toISOString()]));
  }
  const by = new Map<string, SessionInfo[]>();
  for (const s of sessions) by.set(s.user, [...(by.get(s.user) ?? []), s]);
  const uniq = (xs: string[]) => [...new Set(xs)].join(' ');
  return table(['username', '#', 'services', '(ips)', '(nodes)'],
    [...by].map(([u, ss]) => [u, ss.length, uniq(ss.map((s) => s.service)), `(${uniq(ss.map((s) => s.ip))})`, `(${uniq(ss.map((s) => s.node))})`]));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function run(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        url: { type: 'string' }, config: { type: 'string', short: 'c' }, 'api-key': { type: 'string' }, 'api-key-file': { type: 'string' }, json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }, '1': { type: 'boolean', short: '1' }, ip: { type: 'string' },
        user: { type: 'string', short: 'u' }, all: { type: 'boolean', short: 'A' },
      },
    });
  } catch (e) { throw new CliError(EXIT.usage, e instanceof Error ? e.message : String(e)); }
  const { values: v, positionals: p } = parsed;
  if (v.help || p.length === 0) { out(USAGE); return v.help ? EXIT.ok : EXIT.usage; }
  // Without --url / --api-key: the node's own config (--config, or the embedded defaults of this directory).
  let url = v.url ?? env.MAILCTL_URL;
  let key = v['api-key'] ?? (v['api-key-file'] ? readFileSync(v['api-key-file'], 'utf8').trim() : env.MAILCTL_API_KEY);
  if (url === undefined || key === undefined) {
    const loaded = loadConfig(v.config ?? null, env);
    if (!loaded.config) throw new CliError(EXIT.usage, `configuration: ${loaded.errors.join('; ')}`);
    const a = loaded.config.admin;
    if (a.port === null) throw new CliError(EXIT.usage, 'admin.port is disabled in the configuration; give --url');
    url ??= `http://${a.host === '0.0.0.0' ? '127.0.0.1' : a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    if (key === undefined) {
      try { key = a.apiKey ?? readFileSync(a.apiKeyFile, 'utf8').trim(); } catch {
        throw new CliError(EXIT.denied, `no API key: ${a.apiKeyFile} is not readable (give --api-key or MAILCTL_API_KEY)`);
      }
    }
  }
  const ctx: Ctx = { url, key, json: v.json ?? false, out };
  const print = (data: unknown, text: () => string) => out(ctx.json ? `${JSON.stringify(data, null, 2)}\n` : text());
  const cmd = p.join(' ');
  const ipq = v.ip ? `&ip=${encodeURIComponent(v.ip)}` : '';
  if (p[0] === 'reload' && p.length === 1) {
    const r = await call(ctx, 'POST', '/v1/reload') as { nodes: number; errors: string[] };
    print(r, () => `reloaded ${r.nodes} node(s)${r.errors.length ? `; errors:\n  ${r.errors.join('\n  ')}` : ''}\n`);
    return r.errors.length ? EXIT.failed : EXIT.ok;
  }
  if (p[0] === 'who' && p.length <= 2) {
    const mask = p[1] ? `mask=${encodeURIComponent(p[1])}` : '';
    const r = await call(ctx, 'GET', `/v1/who?${mask}${ipq}`) as { sessions: SessionInfo[] };
    print(r, () => whoTable(r.sessions, v['1'] ?? false));
    return EXIT.ok;
  }
  if (p[0] === 'kick' && p.length === 2) {
    const r = await call(ctx, 'POST', '/v1/kick', { mask: p[1], ...(v.ip ? { ip: v.ip } : {}) }) as KickResult;
    print(r, () => `kicked ${r.kicked} connection(s) (${r.nodesAnswered}/${r.nodesAsked} nodes answered)\n`);
    return r.kicked > 0 ? EXIT.ok : EXIT.notFound;
  }
  if (cmd === 'quota get') {
    if (!v.user && !v.all) throw new CliError(EXIT.usage, 'quota get needs -u USER or -A');
    const r = await call(ctx, 'GET', v.all ? '/v1/quota?all=1' : `/v1/quota?user=${encodeURIComponent(v.user!)}`) as { quota: QuotaLine[] };
    print(r, () => table(['Username', 'Quota name', 'Type', 'Value', 'Limit', '%'],
      r.quota.map((q) => [q.user, q.quotaName, q.type, q.value, q.limit ?? '-', q.percent])));
    return EXIT.ok;
  }
  if (p[0] === 'auth' && p[1] === 'cache' && p[2] === 'flush') {
    const r = await call(ctx, 'POST', '/v1/auth/cache/flush', { users: p.slice(3) }) as { flushed: number | 'all' };
    print(r, () => `${r.flushed === 'all' ? 'all' : r.flushed} cache entries flushed\n`);
    return EXIT.ok;
  }
  if (p[0] === 'auth' && p[1] === 'test' && (p.length === 3 || p.length === 4)) {
    const password = p[3] ?? await readStdin();
    const r = await call(ctx, 'POST', '/v1/auth/test', { user: p[2], password }) as { ok: boolean; user?: string; error?: string };
    print(r, () => (r.ok ? `passdb: ${r.user} auth succeeded\n` : `passdb: ${p[2]} auth failed${r.error ? `: ${r.error}` : ''}\n`));
    return r.ok ? EXIT.ok : EXIT.failed;
  }
  if (p[0] === 'user' && p[1] === 'lookup' && p.length === 3) {
    const r = await call(ctx, 'GET', `/v1/user?user=${encodeURIComponent(p[2]!)}`) as UserLookup;
    print(r, () => table(['field', 'value'], [
      ['user', r.user], ['home server', r.homeServer ?? '-'], ['backend', r.backend ?? '-'],
      ['quota', r.quotaBytes === null ? 'unlimited' : `${Math.round(r.quotaBytes / 1048576)} MB`],
      ['aliases', r.aliases.join(' ') || '-'], ['groups', r.groups.join(' ') || '-'],
      ['forwards', r.forwards.join(' ') || '-'], ['disabled', r.disabled ? 'yes' : 'no'],
    ]));
    return EXIT.ok;
  }
  if (cmd === 'log test') {
    const r = await call(ctx, 'POST', '/v1/log/test') as { levels: string[] };
    print(r, () => `wrote a test line at levels: ${r.levels.join(' ')}\n`);
    return EXIT.ok;
  }
  if (cmd === 'log find') {
    const r = await call(ctx, 'GET', '/v1/log/find') as { logs: { destination: string; path: string | null }[] };
    print(r, () => table(['destination', 'path'], r.logs.map((l) => [l.destination, l.path ?? '-'])));
    return EXIT.ok;
  }
  if (cmd === 'backends') {
    const r = await call(ctx, 'GET', '/v1/backends') as { backends: BackendHealth[] };
    print(r, () => table(['backend', 'address', 'state'], r.backends.map((b) => [b.name, b.address, b.state])));
    return EXIT.ok;
  }
  throw new CliError(EXIT.usage, `unknown command: ${cmd}`);
}

