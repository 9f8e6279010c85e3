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

export interface Directory {
  /** Checks a password. Returns the user for the right password; null for unknown user or wrong password. */
  authenticate(login: string, password: string): Promise<UserRecord | null>;
  /** Finds a user by login name or any of its addresses (primary or alias); null when none. */
  lookup(address: string): Promise<UserRecord | null>;
  /** Mail domains hosted here. */
  domains(): Promise<string[]>;
  close(): Promise<void>;
}
