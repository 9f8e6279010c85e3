/** CAPABILITY, NOOP, CHECK, LOGOUT (RFC 3501 §6.1, §6.4.1), ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342). */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { imapString } from '../encode.js';
import { CONDSTORE_ENABLED } from '../capabilities.js';
import { sessionLogger } from '../session-log.js';

export async function capability(s: Session): Promise<void> {
  s.write(`* CAPABILITY ${s.capabilities().join(' ')}\r\n`);
}

/** NOOP/CHECK: the mailbox sync at command end delivers pending updates (RFC 3501 §6.1.2). */
export async function noop(): Promise<void> {}
export async function check(): Promise<void> {}

export async function logout(s: Session): Promise<Reply> {
  return {
    status: 'OK', text: 'Logout completed.', bye: 'Logging out', skipSync: true,
    after: async () => { s.state = 'logout'; },
  };
}

export async function id(s: Session, cmd: CmdOf<'ID'>): Promise<void> {
  // Dovecot's proxies send the client's address as x-originating-ip; believed only before login and from
  // sasl.trustedNetworks, it then stands for the client in logs and the user+IP limit.
  const fwd = cmd.params && s.state === 'notauth' && s.host.deps.sasl?.isTrusted(s.remoteAddress)
    ? new Map(cmd.params.map(([k, v]) => [k.toLowerCase(), v])) : null;
  const origin = fwd?.get('x-originating-ip');
  if (fwd && origin && /^[0-9A-Fa-f.:]{2,45}$/.test(origin)) {
    s.clientAddress = origin;
    s.log = sessionLogger(s.log, { client: origin, proxy: s.remoteAddress, remotePort: fwd.get('x-originating-port') ?? undefined, session: fwd.get('x-session-id')?.slice(0, 64) ?? undefined });
  }
  if (cmd.params) s.log.info({ clientId: Object.fromEntries(cmd.params.slice(0, 30).map(([k, v]) => [k.slice(0, 64), v?.slice(0, 200) ?? null])) }, 'client ID');
  s.write(`* ID (${imapString('name')} ${imapString('ucs-mail')} ${imapString('vendor')} ${imapString('Univention')})\r\n`);
}

export async function enable(s: Session, cmd: CmdOf<'ENABLE'>): Promise<void> {
  const on: string[] = [];
  for (const c of cmd.capabilities) {
    const u = c.toUpperCase();
    // RFC 5161 §3.1: only capabilities not yet enabled are listed in ENABLED.
    if (u === 'CONDSTORE' && CONDSTORE_ENABLED && !s.enabled.has(u)) {
      s.enabled.add(u);
      if (s.view) s.view.condstore = true;
      on.push(u);
    }
  }
  s.write(`* ENABLED${on.map((c) => ' ' + c).join('')}\r\n`);
}

export async function namespace(s: Session): Promise<void> {
  s.write('* NAMESPACE (("" "/")) NIL NIL\r\n');
}
