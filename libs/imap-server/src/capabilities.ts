/** CAPABILITY lists (RFC 3501 §6.1.1, §6.2: STARTTLS / LOGINDISABLED / AUTH= only before login). */
import type { ImapServerConfig } from './deps.js';

export const CONDSTORE_ENABLED = true;

export function baseCapabilities(config: ImapServerConfig): string[] {
  const caps = [
    'IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT',
    'CHILDREN', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'ESEARCH',
    `APPENDLIMIT=${config.maxMessageSize}`, 'QUOTA', 'QUOTA=RES-STORAGE', 'QUOTA=RES-MESSAGE', 'MULTIAPPEND', 'STATUS=SIZE',
  ];
  if (CONDSTORE_ENABLED) caps.push('CONDSTORE');
  return caps;
}

export function preAuthCapabilities(config: ImapServerConfig, secure: boolean, tlsAvailable: boolean): string[] {
  const caps = baseCapabilities(config);
  if (!secure && tlsAvailable) caps.push('STARTTLS');
  if (!secure && !config.allowPlaintextAuth) caps.push('LOGINDISABLED');
  else caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
  return caps;
}

export function postAuthCapabilities(config: ImapServerConfig): string[] {
  return baseCapabilities(config);
}
