/**
 * The one error type every lib throws for conditions a client should hear about.
 * Each protocol maps `code` to its reply in exactly one place (IMAP: imap-server/src/errors.ts,
 * POP3/LMTP/ManageSieve later). `message` is a fixed, safe text for users; internal detail goes
 * in `cause` and only to the log (as Dovecot's MAIL_ERRSTR_CRITICAL_MSG does).
 */
export type MailErrorCode =
  | 'NOTFOUND'     // mailbox / message / user does not exist       IMAP [NONEXISTENT]
  | 'EXISTS'       // mailbox already exists                          IMAP [ALREADYEXISTS]
  | 'PERM'         // not allowed (ACL, read-only, INBOX delete)      IMAP [NOPERM]
  | 'OVERQUOTA'    // quota exceeded                                   IMAP [OVERQUOTA]
  | 'TEMP'         // temporary failure, try again (LDAP/Redis down)  IMAP [UNAVAILABLE]
  | 'INUSE'        // locked by another session                        IMAP [INUSE]
  | 'LIMIT'        // a configured limit was hit                       IMAP [LIMIT]
  | 'TOOBIG'       // message or literal too big                       IMAP [TOOBIG]
  | 'BADNAME'      // invalid mailbox name                             IMAP [CANNOT]
  | 'EXPUNGED'     // message was expunged meanwhile                   IMAP [EXPUNGEISSUED]
  | 'AUTHFAILED'   // wrong user or password                           IMAP [AUTHENTICATIONFAILED]
  | 'PARSE'        // malformed protocol input                          IMAP BAD
  | 'CORRUPT'      // on-disk data damaged (and could not be healed)   IMAP [SERVERBUG]
  | 'INTERNAL';    // anything else                                    IMAP [SERVERBUG]

export class MailError extends Error {
  readonly code: MailErrorCode;
  constructor(code: MailErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'MailError';
  }
}

export function isMailError(e: unknown): e is MailError {
  return e instanceof MailError;
}

/** Wraps any thrown value as a MailError; non-MailErrors become INTERNAL with a safe text. */
export function toMailError(e: unknown): MailError {
  if (e instanceof MailError) return e;
  return new MailError('INTERNAL', 'Internal error occurred. Refer to server log for more information.', { cause: e });
}
