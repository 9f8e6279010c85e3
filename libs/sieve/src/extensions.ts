/** The Sieve capabilities this lib implements, as announced in ManageSieve's SIEVE capability (RFC 5804 §1.7). */
export const SUPPORTED_EXTENSIONS: readonly string[] = [
  'fileinto', 'reject', 'ereject', 'envelope', 'encoded-character', 'variables', 'vacation', 'vacation-seconds',
  'imap4flags', 'relational', 'subaddress', 'body', 'copy', 'date', 'index', 'mailbox', 'include', 'regex',
  'spamtest', 'spamtestplus', 'virustest', 'editheader',
  'comparator-i;octet', 'comparator-i;ascii-casemap', 'comparator-i;ascii-numeric',
];

/** Capabilities a script may `require` (the list ManageSieve announces). */
export function supportedExtensions(): string[] {
  return [...SUPPORTED_EXTENSIONS];
}
