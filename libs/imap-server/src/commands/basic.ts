/** CAPABILITY, NOOP, CHECK, LOGOUT (RFC 3501 §6.1, §6.4.1), ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342). */
import type { Session } from '../session.js';
import type { CmdOf, Reply } from './index.js';
import { imapString } from '../encode.js';
import { CONDSTORE_ENABLED } from '../capabilities.js';

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
