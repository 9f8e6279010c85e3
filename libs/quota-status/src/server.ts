/**
 * The quota-status policy server for Postfix `check_policy_service inet:127.0.0.1:12340`
 * (UCS mail/dovecot/quota-status/ip and /port). One request at a time per connection, in order;
 * Postfix reuses connections. Bad requests and lookup failures get the configured fail answer and
 * a log line; the connection stays usable.
 */
import type { Logger } from 'pino';
import { quotaStatus, type StatusDeps } from '../../quota/src/status.js';
import type { PolicyEvent } from './codec.js';
import { PolicyListener } from './policy-listener.js';

export interface QuotaStatusServerDeps extends StatusDeps {
  logger: Logger;
}

export class QuotaStatusServer {
  private readonly listener = new PolicyListener((sock) => {
    const log = this.deps.logger.child({ remote: sock.remoteAddress });
    return { answer: (ev) => this.answer(ev, log), socketError: (err) => log.debug({ err }, 'socket error') };
  });

  constructor(private deps: QuotaStatusServerDeps) {}

  listen(opts: { host: string; port: number }): Promise<number> {
    return this.listener.listen(opts.host, opts.port);
  }

  updateDeps(deps: QuotaStatusServerDeps): void {
    this.deps = deps;
  }

  /** SIGHUP: new answers apply to the next request. */
  updateAnswers(answers: QuotaStatusServerDeps['answers']): void {
    this.deps = { ...this.deps, answers };
  }

  private async answer(ev: PolicyEvent, log: Logger): Promise<string> {
    const deps = this.deps;
    if (ev.type === 'invalid') {
      log.warn({ reason: ev.reason }, 'quota-status: bad policy request');
      return deps.answers.fail;
    }
    try {
      const r = await quotaStatus(deps, ev.attrs);
      log.debug({ recipient: ev.attrs.recipient, size: ev.attrs.size, verdict: r.verdict }, 'quota-status');
      return r.action;
    } catch (err) {
      log.warn({ err, recipient: ev.attrs.recipient }, 'quota-status: lookup failed');
      return deps.answers.fail;
    }
  }

  connections(): number {
    return this.listener.connections();
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
