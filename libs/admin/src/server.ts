/**
 * The admin HTTP API: JSON, authenticated with an API key (Authorization: Bearer <key>, compared in
 * constant time), bound to loopback by default. Routes map 1:1 to AdminOps; bodies are capped.
 */
import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AdminOps } from './types.js';
import type { SessionFilter, ServiceName } from '../../registry/src/types.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  apiKey: string;
  ops: AdminOps;
  onError?: (err: unknown, route: string) => void;
}

const MAX_BODY = 64 * 1024;

class HttpError extends Error { constructor(readonly status: number, message: string) { super(message); } }

function keyMatches(given: string, expected: string): boolean {
  // Hash both so lengths are equal and the comparison time does not depend on the key.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return expected.length > 0 && timingSafeEqual(a, b);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch { throw new HttpError(400, 'body must be a JSON object'); }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const SERVICES: readonly ServiceName[] = ['imap', 'pop3', 'sieve', 'lmtp', 'submission'];

function filterFrom(q: URLSearchParams | Record<string, unknown>): SessionFilter {
  const get = (k: string) => (q instanceof URLSearchParams ? q.get(k) ?? undefined : str(q[k]));
  const mask = get('mask');
  const ip = get('ip');
  const service = get('service');
  if (service !== undefined && !(SERVICES as readonly string[]).includes(service)) throw new HttpError(400, `unknown service ${service}`);
  return { ...(mask ? { userMask: mask } : {}), ...(ip ? { ip } : {}), ...(service ? { service: service as ServiceName } : {}) };
}

export async function startAdminServer(o: AdminServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const need = <K extends keyof AdminOps>(k: K): NonNullable<AdminOps[K]> => {
    const f = o.ops[k];
    if (!f) throw new HttpError(501, `${k} is not served by this node`);
    return f.bind(o.ops) as NonNullable<AdminOps[K]>;
  };
  const route = async (req: http.IncomingMessage, url: URL): Promise<unknown> => {
    const m = `${req.method} ${url.pathname}`;
    switch (m) {
      case 'POST /v1/reload': return need('reload')();
      case 'GET /v1/who': return { sessions: await need('who')(filterFrom(url.searchParams)) };
      case 'POST /v1/kick': {
        const f = filterFrom(await readJson(req));
        if (f.userMask === undefined && f.ip === undefined) throw new HttpError(400, 'kick needs a user mask or an IP');
        return need('kick')(f);
      }
      case 'GET /v1/quota': {
        const user = url.searchParams.get('user');
        if (user === null && url.searchParams.get('all') !== '1') throw new HttpError(400, 'give user=USER or all=1');
        return { quota: await need('quotaGet')(user) };
      }
      case 'POST /v1/auth/cache/flush': {
        const b = await readJson(req);
        const users = Array.isArray(b.users) ? b.users.filter((u): u is string => typeof u === 'string') : [];
        return need('authCacheFlush')(users);
      }
      case 'POST /v1/auth/test': {
        const b = await readJson(req);
        const user = str(b.user);
        if (!user || typeof b.password !== 'string') throw new HttpError(400, 'give user and password');
        return need('authTest')(user, b.password);
      }
      case 'GET /v1/user': {
        const user = url.searchParams.get('user');
        if (!user) throw new HttpError(400, 'give user=USER');
        const u = await need('userLookup')(user);
        if (!u) throw new HttpError(404, `user ${user} not found`);
        return u;
      }
      case 'POST /v1/log/test': return need('logTest')();
      case 'GET /v1/log/find': return { logs: await need('logFind')() };
      case 'GET /v1/backends': return { backends: await need('backends')() };
      default: throw new HttpError(404, `no route ${m}`);
    }
  };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !keyMatches(auth.slice(7), o.apiKey)) {
      req.resume();
      send(401, { error: 'missing or wrong API key' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    route(req, url).then((body) => send(200, body), (e: unknown) => {
      if (e instanceof HttpError) { send(e.status, { error: e.message }); return; }
      o.onError?.(e, url.pathname);
      send(500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(o.port, o.host, () => { server.off('error', rej); res(); }); });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
