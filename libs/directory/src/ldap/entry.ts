/** Turning LDAP entries into directory records (UCS attribute semantics). */
import type { Entry } from 'ldapts';
import type { LdapAttributes } from './config.js';
import type { GroupRecord, SharedFolderRecord, UserRecord } from '../types.js';

/** ldapts gives one value as a string and several as an array (and binary as Buffer): always a list of strings. */
export function values(e: Entry, attr: string): string[] {
  // Attribute names are case-insensitive (RFC 4512 §2.5); the server may answer in its own spelling.
  const key = Object.keys(e).find((k) => k.toLowerCase() === attr.toLowerCase());
  if (key === undefined) return [];
  const v = e[key];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

export const first = (e: Entry, attr: string): string | null => values(e, attr)[0] ?? null;
const lowerList = (l: string[]) => [...new Set(l.map((a) => a.trim().toLowerCase()).filter((a) => a.length > 0))];

function quota(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  const mb = Number.parseInt(v, 10);
  return mb === 0 ? null : mb * 1024 * 1024;
}

/**
 * Disabled or locked as UCS marks an account (UDM users/user "disabled"/"locked"):
 * - sambaAcctFlags with D (disabled) or L (locked), e.g. "[UD         ]";
 * - krb5KDCFlags without bit 128: UCS writes 254 for an enabled and 126 for a disabled account;
 * - shadowExpire (days since 1970) reached: UCS writes 1 when disabling, a date for account expiry;
 * - a userPassword "{crypt}!..." (UCS prefixes the hash with "!" when disabling; seen in compare mode).
 */
export function isDisabled(e: Entry, passwordAttr: string, nowMs = Date.now()): boolean {
  const samba = first(e, 'sambaAcctFlags');
  if (samba !== null && /^\[[^\]]*[DL][^\]]*\]?/.test(samba)) return true;
  const krb = first(e, 'krb5KDCFlags');
  if (krb !== null && /^\d+$/.test(krb) && (Number.parseInt(krb, 10) & 128) === 0) return true;
  const shadow = first(e, 'shadowExpire');
  if (shadow !== null && /^-?\d+$/.test(shadow)) {
    const days = Number.parseInt(shadow, 10);
    if (days >= 0 && days <= Math.floor(nowMs / 86_400_000)) return true;
  }
  const pw = first(e, passwordAttr);
  if (pw !== null && /^\{crypt\}!/i.test(pw)) return true;
  return false;
}

export const DISABLED_ATTRIBUTES = ['sambaAcctFlags', 'krb5KDCFlags', 'shadowExpire'];

export function userAttributes(a: LdapAttributes): string[] {
  return [a.primaryAddress, a.alternativeAddress, a.homeServer, a.quota, a.forwardAddress, a.forwardCopyToSelf, ...DISABLED_ATTRIBUTES];
}

/** null when the entry has no primary address (not a mail user). */
export function toUserRecord(e: Entry, a: LdapAttributes): UserRecord | null {
  const user = first(e, a.primaryAddress)?.trim().toLowerCase();
  if (!user) return null;
  const copy = first(e, a.forwardCopyToSelf)?.trim().toLowerCase();
  const home = first(e, a.homeServer)?.trim().toLowerCase();
  return {
    user,
    aliases: lowerList(values(e, a.alternativeAddress)).filter((x) => x !== user),
    homeServer: home ? home : null,
    quotaBytes: quota(first(e, a.quota)),
    forwards: lowerList(values(e, a.forwardAddress)),
    forwardCopyToSelf: copy === '1' || copy === 'true' || copy === 'yes',
    disabled: isDisabled(e, a.password),
  };
}

/** UCS shared-folder rights (UDM mail/folder) as IMAP ACL rights (RFC 4314 §2.1), as UCS's Dovecot listener maps them. */
export const UCS_RIGHTS: Readonly<Record<string, string>> = {
  none: '',
  read: 'lrs',
  post: 'lrsp',
  append: 'lrsip',
  write: 'lrswipkxte',
  all: 'lrswipkxtecda',
};

/** univentionMailACL values "<user-or-group> <right>"; the identifier may contain spaces (group names), the right is the last word. */
export function parseAcl(list: string[]): Record<string, string> {
  const acl: Record<string, string> = {};
  for (const v of list) {
    const m = /^(.+?)\s+(\S+)\s*$/.exec(v.trim());
    if (!m) continue;
    const id = m[1]!.toLowerCase();
    const right = m[2]!.toLowerCase();
    const mapped = UCS_RIGHTS[right] ?? (/^[lrswipkxtecda]+$/.test(right) ? right : null);
    if (mapped !== null) acl[id] = mapped;
  }
  return acl;
}

export function toSharedFolder(e: Entry, a: LdapAttributes): SharedFolderRecord | null {
  const name = first(e, a.sharedFolderName)?.trim();
  if (!name) return null;
  const address = first(e, a.primaryAddress)?.trim().toLowerCase();
  const home = first(e, a.homeServer)?.trim().toLowerCase();
  return {
    name,
    address: address ? address : null,
    homeServer: home ? home : null,
    quotaBytes: quota(first(e, a.quota)),
    acl: parseAcl(values(e, a.sharedFolderAcl)),
  };
}

export function groupRecord(address: string, members: string[]): GroupRecord {
  return { address: address.toLowerCase(), members: lowerList(members) };
}
