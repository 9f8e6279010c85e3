/**
 * LDAP directory settings. The defaults are the schema of Univention Corporate Server, so the
 * platform can be pointed at a UCS directory as it is (UCS dovecot-ldap.conf: auth_bind = yes,
 * users found by mailPrimaryAddress).
 */
import type { ConnectionOptions } from 'node:tls';
import { LIMITS } from '../../../core/src/limits.js';

export type PasswordCheck = 'bind' | 'compare';

export interface LdapAttributes {
  primaryAddress: string;      // mailPrimaryAddress
  alternativeAddress: string;  // mailAlternativeAddress
  homeServer: string;          // univentionMailHomeServer
  quota: string;               // univentionMailUserQuota (MB, 0 = none)
  forwardAddress: string;      // mailForwardAddress
  forwardCopyToSelf: string;   // mailForwardCopyToSelf ("1"/"TRUE")
  password: string;            // userPassword (compare mode only)
  groupMemberDn: string;       // uniqueMember
  groupMemberUid: string;      // memberUid
  uid: string;                 // uid (what memberUid values name)
  listMember: string;          // univentionMailMember
  sharedFolderName: string;    // cn
  sharedFolderAcl: string;     // univentionMailACL
  domainName: string;          // cn of univentionMailDomainname
}

export interface LdapDirectoryConfig {
  /** Tried in order; the first that answers is used until it fails (failover). ldap:// or ldaps://. */
  uris: string[];
  base: string;
  scope: 'sub' | 'one' | 'base';
  /** Service account for searches; null = anonymous. */
  bindDn: string | null;
  bindPassword: string | null;
  startTls: boolean;
  /** Extra TLS options (CA, servername) for ldaps:// and StartTLS. */
  tls?: ConnectionOptions;
  passwordCheck: PasswordCheck;
  /** Also accept an alias (mailAlternativeAddress) as login name. */
  aliasLogin: boolean;
  /** Filter templates: %u/%s value, %n local part, %d domain (all RFC 4515-escaped). */
  filters: {
    login: string;
    aliasLogin: string;
    user: string;
    group: string;
    mailingList: string;
    sharedFolder: string;
    sharedFolders: string;
    domains: string;
  };
  attributes: LdapAttributes;
  poolSize: number;
  timeoutMs: number;
  connectTimeoutMs: number;
}

export const UCS_ATTRIBUTES: LdapAttributes = {
  primaryAddress: 'mailPrimaryAddress',
  alternativeAddress: 'mailAlternativeAddress',
  homeServer: 'univentionMailHomeServer',
  quota: 'univentionMailUserQuota',
  forwardAddress: 'mailForwardAddress',
  forwardCopyToSelf: 'mailForwardCopyToSelf',
  password: 'userPassword',
  groupMemberDn: 'uniqueMember',
  groupMemberUid: 'memberUid',
  uid: 'uid',
  listMember: 'univentionMailMember',
  sharedFolderName: 'cn',
  sharedFolderAcl: 'univentionMailACL',
  domainName: 'cn',
};

/** UCS users are univentionMail objects with a uid; groups carry mailPrimaryAddress too, hence (uid=*). */
export const UCS_FILTERS: LdapDirectoryConfig['filters'] = {
  login: '(&(objectClass=univentionMail)(uid=*)(mailPrimaryAddress=%u))',
  aliasLogin: '(&(objectClass=univentionMail)(uid=*)(|(mailPrimaryAddress=%u)(mailAlternativeAddress=%u)))',
  user: '(&(objectClass=univentionMail)(uid=*)(|(mailPrimaryAddress=%s)(mailAlternativeAddress=%s)))',
  group: '(&(|(objectClass=univentionGroup)(objectClass=posixGroup)(objectClass=groupOfUniqueNames)(objectClass=groupOfNames))(mailPrimaryAddress=%s))',
  mailingList: '(&(objectClass=univentionMailList)(mailPrimaryAddress=%s))',
  sharedFolder: '(&(objectClass=univentionMailSharedFolder)(mailPrimaryAddress=%s))',
  sharedFolders: '(objectClass=univentionMailSharedFolder)',
  domains: '(objectClass=univentionMailDomainname)',
};

export function ldapConfig(over: Partial<LdapDirectoryConfig> & { uris: string[]; base: string }): LdapDirectoryConfig {
  return {
    scope: 'sub', bindDn: null, bindPassword: null, startTls: false, passwordCheck: 'bind', aliasLogin: false,
    poolSize: LIMITS.ldapPoolSize, timeoutMs: LIMITS.ldapTimeoutMs, connectTimeoutMs: LIMITS.ldapConnectTimeoutMs,
    ...over,
    filters: { ...UCS_FILTERS, ...over.filters },
    attributes: { ...UCS_ATTRIBUTES, ...over.attributes },
  };
}
