/**
 * quota-status on a proxy node (issue 6): Postfix's policy service answered by the recipient's home
 * backend. The recipient (+detail stripped) is resolved through the directory; its home server
 * (univentionMailHomeServer, or the rendezvous placement for users without one, as the IMAP proxy
 * places them) picks the backend from proxy.quotaStatusBackends, which gets the request as Postfix
 * sent it; its answer is relayed. Unknown users get quotaStatus.nouser; a backend that is down,
 * slow or answers garbage gets quotaStatus.fail (default DUNNO: fail open, as libs/quota-status does;
 * LMTP enforces the quota anyway), a log line and a metric.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { LIMITS } from '../../libs/core/src/limits.js';
import type { Directory } from '../../libs/directory/src/types.js';
import type { MailConfig } from '../../libs/config/src/schema.js';
import { stripDetail, type QuotaStatusAnswers } from '../../libs/quota/src/status.js';
import { PolicyReceiver, type PolicyEvent } from '../../libs/quota-status/src/codec.js';
import { PolicyListener } from '../../libs/quota-status/src/policy-listener.js';
import { placeUser } from '../../libs/routing/src/index.js';

export interface QuotaStatusProxyOptions {
  directory: Directory;
  /** Home server name (lower case) -> host:port of its quota-status service. */
  backends: Record<string, string>;
  answers: QuotaStatusAnswers;
  logger: Logger;
  registry: Registry;
  recipientDelimiter?: string;
  timeoutMs?: number;
}

type Result = 'relayed' | 'nouser' | 'skip' | 'backend-failed' | 'invalid';

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** One request to one backend on a connection of its own; resolves the backend's action or rejects. */
export function askBackend(addr: string, attrs: Readonly<Record<string, string>>, timeoutMs: number): Promise<string> {
  const { host, port } = splitHostPort(addr);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const rx = new PolicyReceiver(LIMITS.quotaStatusMaxRequestBytes);
    const done = (err: Error | null, action?: string) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(action!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${addr} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`${addr} closed the connection without an answer`)));
    sock.on('connect', () => {
      // Values come from Postfix through our own codec: no CR/LF inside them.
      sock.write(`${Object.entries(attrs).map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`);
    });
    sock.on('data', (c: Buffer) => {
      rx.push(c);
      const ev = rx.next();
      if (!ev) return;
      if (ev.type === 'invalid' || typeof ev.attrs.action !== 'string' || ev.attrs.action === '') done(new Error(`bad answer from ${addr}`));
      else done(null, ev.attrs.action);
    });
  });
}

export class QuotaStatusProxy {
  private readonly listener = new PolicyListener(() => ({ answer: (ev) => this.answer(ev), socketError: () => { /* Postfix went away */ } }));
  private readonly counter: Counter<'result'>;
  private backends: Map<string, string>;

  constructor(private opts: QuotaStatusProxyOptions) {
    this.backends = new Map(Object.entries(opts.backends).map(([k, v]) => [k.toLowerCase(), v]));
    const have = opts.registry.getSingleMetric('mail_quota_status_proxy_requests_total');
    this.counter = (have as Counter<'result'> | undefined) ?? new Counter({
      name: 'mail_quota_status_proxy_requests_total', help: 'quota-status requests on a proxy by result (relayed, nouser, skip, backend-failed, invalid)',
      labelNames: ['result'] as const, registers: [opts.registry],
    });
  }

  /** Reload: requests from now on go to the new backends and get the new answers. */
  update(backends: Record<string, string>, answers: QuotaStatusAnswers): void {
    this.opts = { ...this.opts, backends, answers };
    this.backends = new Map(Object.entries(backends).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** The answer for one request, and what happened (for the metric and the log). */
  async decide(attrs: Readonly<Record<string, string>>): Promise<{ action: string; result: Result; backend?: string }> {
    const a = this.opts.answers;
    // As the backends (libs/quota/src/status.ts): only RCPT with a recipient is a question.
    if (attrs.protocol_state !== undefined && attrs.protocol_state.toUpperCase() !== 'RCPT') return { action: 'DUNNO', result: 'skip' };
    const rcpt = (attrs.recipient ?? '').trim().replace(/^<|>$/g, '');
    if (rcpt === '') return { action: 'DUNNO', result: 'skip' };
    const r = await this.opts.directory.resolve(stripDetail(rcpt.toLowerCase(), this.opts.recipientDelimiter ?? '+'));
    if (!r) return { action: a.nouser, result: 'nouser' };
    // Groups and shared folders have no one quota: LMTP decides per member (as the backends answer).
    if (r.kind !== 'user') return { action: a.success, result: 'skip' };
    const home = r.user.homeServer?.toLowerCase() ?? placeUser(r.user.user, [...this.backends.keys()]);
    const addr = home === null ? undefined : this.backends.get(home);
    if (addr === undefined) {
      this.opts.logger.warn({ user: r.user.user, homeServer: home }, 'quota-status: no proxy.quotaStatusBackends entry for the home server');
      return { action: a.fail, result: 'backend-failed', backend: home ?? undefined };
    }
    try {
      return { action: await askBackend(addr, attrs, this.opts.timeoutMs ?? LIMITS.quotaStatusBackendTimeoutMs), result: 'relayed', backend: home! };
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, backend: home, address: addr, user: r.user.user }, 'quota-status: home backend unavailable; answering quotaStatus.fail');
      return { action: a.fail, result: 'backend-failed', backend: home! };
    }
  }

  listen(host: string, port: number): Promise<number> {
    return this.listener.listen(host, port);
  }

  /** One request's answer, counted by result. */
  private async answer(ev: PolicyEvent): Promise<string> {
    let out: { action: string; result: Result };
    if (ev.type === 'invalid') {
      this.opts.logger.warn({ reason: ev.reason }, 'quota-status: bad policy request');
      out = { action: this.opts.answers.fail, result: 'invalid' };
    } else {
      try { out = await this.decide(ev.attrs); } catch (err) {
        this.opts.logger.warn({ err, recipient: ev.attrs.recipient }, 'quota-status: lookup failed');
        out = { action: this.opts.answers.fail, result: 'backend-failed' };
      }
    }
    this.counter.inc({ result: out.result });
    return out.action;
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}

/** Starts the proxy's quota-status listener when quotaStatus.port and proxy.quotaStatusBackends are set. */
export async function startQuotaStatusProxy(c: MailConfig, directory: Directory, logger: Logger, registry: Registry): Promise<{ port: number; proxy: QuotaStatusProxy; close(): Promise<void> } | null> {
  const q = c.quotaStatus;
  if (q.port === null || Object.keys(c.proxy.quotaStatusBackends).length === 0) return null;
  const p = new QuotaStatusProxy({
    directory, backends: c.proxy.quotaStatusBackends, logger: logger.child({ service: 'quota-status' }), registry,
    answers: { success: q.success, nouser: q.nouser, overquota: q.overquota, fail: q.fail },
  });
  const port = await p.listen(q.host, q.port);
  return { port, proxy: p, close: () => p.close() };
}
