/**
 * The user directory. Two implementations behind this one interface: the file directory of the
 * embedded default (libs/directory/src/file/) and LDAP (issue 3, UCS schema).
 * Failures that mean "directory unreachable" throw MailError('TEMP'); a wrong password or an
 * unknown user is NOT an error: authenticate() returns null for both, in the same time.
 */
export interface UserRecord {
  /** Canonical login name and primary address, lower-case: "alice@example.org". */
  readonly user: string;
  readonly aliases: readonly string[];          // mailAlternativeAddress
  readonly homeServer: string | null;           // univentionMailHomeServer (FQDN), null = any / local
  readonly quotaBytes: number | null;           // null = unlimited (UCS: MB * 1024 * 1024, 0 = none)
  readonly forwards: readonly string[];         // mailForwardAddress
  readonly forwardCopyToSelf: boolean;
  readonly disabled: boolean;
}

/** A group or mailing-list address (UCS groups with mailPrimaryAddress, univentionMailMember lists). */
export interface GroupRecord {
  readonly address: string;
  /** Member addresses (each resolved again by the caller: a member can be a user, alias or group). */
  readonly members: readonly string[];
}

/** A UCS shared folder (univentionMailSharedFolder). */
export interface SharedFolderRecord {
  readonly name: string;                       // cn, e.g. "support@example.org" or "support"
  readonly address: string | null;             // mailPrimaryAddress: mail to it goes into the folder
  readonly homeServer: string | null;
  readonly quotaBytes: number | null;
  /** univentionMailACL: identifier (user address, group name, "anyone") -> IMAP rights (RFC 4314), e.g. "lrswipkxtecda". */
  readonly acl: Readonly<Record<string, string>>;
}

/** What an envelope address means (LMTP recipient resolution, quota-status, the proxies' routing). */
export type Recipient =
  | { readonly kind: 'user'; readonly user: UserRecord }
  | { readonly kind: 'group'; readonly group: GroupRecord }
  | { readonly kind: 'shared'; readonly folder: SharedFolderRecord };

/** Where a login comes from: for the auth penalty, trusted networks and logs. */
export interface AuthContext {
  readonly service?: string;                   // imap, pop3, sieve, smtp, lmtp
  readonly remoteIp?: string;
  readonly secure?: boolean;                   // TLS (or a trusted local socket)
}

export interface Directory {
  /** Checks a password. Returns the user for the right password; null for unknown user or wrong password. */
  authenticate(login: string, password: string, ctx?: AuthContext): Promise<UserRecord | null>;
  /** Finds a user by login name or any of its addresses (primary or alias); null when none. */
  lookup(address: string): Promise<UserRecord | null>;
  /**
   * Resolves an envelope address (already without +detail) to a user (primary or alias), a group /
   * mailing list, or a shared folder; null when it names nothing here.
   */
  resolve(address: string): Promise<Recipient | null>;
  /** Shared folders with their ACLs. */
  sharedFolders(): Promise<SharedFolderRecord[]>;
  /** Mail domains hosted here. */
  domains(): Promise<string[]>;
  close(): Promise<void>;
}
