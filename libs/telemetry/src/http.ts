/**
 * The operator's HTTP endpoint (node:http): Prometheus /metrics and Kubernetes-style health checks.
 *   /healthz/live   200 while the process runs its event loop.
 *   /healthz/ready  200 when every readiness check passes, else 503; the body names each check.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface HttpOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Named readiness checks, e.g. { listeners: ..., storage: ... }. */
  checks: Record<string, ReadinessCheck>;
  /** How long one readiness check may take before it counts as failed. Default 2000 ms. */
  checkTimeoutMs?: number;
}

export interface HttpEndpoint {
  port: number;
  server: Server;
  close(): Promise<void>;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function startHttp(opts: HttpOptions): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, opts.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics failed\n'),
      );
    } else if (path === '/healthz/live') {
      send(200, 'text/plain', 'ok\n');
    } else if (path === '/healthz/ready') {
      const names = Object.keys(opts.checks);
      Promise.all(names.map((n) => runCheck(opts.checks[n]!, opts.checkTimeoutMs ?? 2000))).then((results) => {
        const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'ok' : 'fail']));
        const ready = results.every(Boolean);
        send(ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
      });
    } else {
      send(404, 'text/plain', 'not found\n');
    }
  });
  // Health probes are short requests; do not let idle keep-alive sockets hold shutdown.
  server.keepAliveTimeout = 2000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
