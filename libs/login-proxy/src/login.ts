/**
 * The protocol-agnostic login of a proxied session: authenticate the client (same answer and delay for
 * an unknown user and a wrong password), take its slot under the cluster-wide user+IP limit, route it
 * to its backend and open the backend connection with the protocol's handshake. Adapters map the
 * outcome to their protocol's replies.
 */
import type { Socket } from 'node:net';
import { LIMITS } from '../../core/src/limits.js';
import { isMailError } from '../../core/src/errors.js';
import type { UserRecord } from '../../directory/src/types.js';
import type { KickHandler, Registration, ServiceName } from '../../registry/src/types.js';
import type { Backend } from './backend-pool.js';
import type { ClientInfo, ProxyDeps } from './types.js';
import { breakerValue, proxyMetrics } from './metrics.js';

export interface Credentials { readonly authcid: string; readonly password: string; readonly authzid: string | null }

export interface HandshakeContext { readonly user: string; readonly sessionId: string; readonly client: ClientInfo }

export type ProxyLogin<T> =
  | { ok: true; user: UserRecord; backend: Backend; socket: Socket; value: T; registration: Registration }
  | { ok: false; why: 'credentials' | 'temp' | 'limit' | 'unavailable' };

async function delayFrom(started: number): Promise<void> {
  const left = LIMITS.authFailureDelayMs - (Date.now() - started);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}

export async function proxyLogin<T>(
  deps: ProxyDeps, protocol: ServiceName, client: ClientInfo, creds: Credentials,
  onKick: KickHandler,
  handshake: (sock: Socket, signal: AbortSignal, ctx: HandshakeContext) => Promise<T>,
): Promise<ProxyLogin<T>> {
  const m = proxyMetrics(deps.metrics);
  const log = deps.logger.child({ protocol, remote: client.ip });
  const started = Date.now();
  let user: UserRecord | null;
  try {
    const out = await deps.sasl.login(creds.authcid, creds.password, creds.authzid, { service: protocol, remoteIp: client.ip, secure: client.secure });
    user = out.ok && !out.user.disabled ? out.user : null;
  } catch (e) {
    log.warn({ err: e }, 'directory unavailable');
    m.logins.inc({ protocol, result: 'temp' });
    if (!(isMailError(e) && e.code === 'TEMP')) log.error({ err: e }, 'login failed with an internal error');
    return { ok: false, why: 'temp' };
  }
  if (!user) {
    await delayFrom(started);
    m.logins.inc({ protocol, result: 'fail' });
    log.info({ login: creds.authcid.slice(0, 100) }, 'authentication failed');
    return { ok: false, why: 'credentials' };
  }
  let reg;
  try {
    reg = await deps.registry.register({ service: protocol, user: user.user, ip: client.ip, port: client.port, proxy: true, maxUserIp: deps.maxUserIp, onKick });
  } catch (e) {
    log.warn({ err: e }, 'session registry unavailable');
    m.logins.inc({ protocol, result: 'temp' });
    return { ok: false, why: 'temp' };
  }
  if (!reg.ok) {
    m.logins.inc({ protocol, result: 'limit' });
    log.info({ user: user.user, current: reg.current }, 'user+IP connection limit reached');
    return { ok: false, why: 'limit' };
  }
  const registration = reg.registration;
  const route = deps.pool.route(user.user, user.homeServer);
  if (!route.ok) {
    if (route.why === 'unknown-home-server') log.error({ user: user.user, homeServer: route.homeServer }, 'home server has no backend in proxy configuration');
    else log.warn({ user: user.user }, 'no healthy backend to place the user on');
    m.logins.inc({ protocol, result: 'unavailable' });
    await registration.unregister();
    return { ok: false, why: 'unavailable' };
  }
  const ctx: HandshakeContext = { user: user.user, sessionId: registration.info.id, client };
  const opened = await deps.pool.open(route.backend, (sock, signal) => handshake(sock, signal, ctx));
  m.breaker.set({ protocol, backend: route.backend.name }, breakerValue(deps.pool.breakerState(route.backend.name) ?? 'closed'));
  if (!opened.ok) {
    log.warn({ user: user.user, backend: route.backend.name, why: opened.why, err: opened.error?.message }, 'backend unavailable');
    if (opened.why === 'failed') m.backendFailures.inc({ protocol, backend: route.backend.name });
    m.logins.inc({ protocol, result: 'unavailable' });
    await registration.unregister();
    return { ok: false, why: 'unavailable' };
  }
  m.logins.inc({ protocol, result: 'ok' });
  log.info({ user: user.user, backend: route.backend.name, session: registration.info.id }, 'proxying');
  return { ok: true, user, backend: route.backend, socket: opened.socket, value: opened.value, registration };
}
