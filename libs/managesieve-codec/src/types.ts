/** What the ManageSieve receiver (RFC 5804 §4 grammar) hands the server. */

/** One command argument: a string (quoted or literal, RFC 5804 §4 "string") or a number. */
export type Arg =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  /** A bare atom: only XCLIENT's "KEY=value" parameters (Dovecot extension, no RFC) arrive as atoms. */
  | { readonly type: 'atom'; readonly value: string };

export type ReceiverEvent =
  /** A complete command; the name is upper-cased, the arguments in order. */
  | { readonly type: 'command'; readonly name: string; readonly args: readonly Arg[] }
  /** A continuation line in an AUTHENTICATE exchange (RFC 5804 §2.1): one string. */
  | { readonly type: 'continuation'; readonly value: string }
  /** The client aborted AUTHENTICATE with "*" (RFC 5804 §2.1). */
  | { readonly type: 'cancel' }
  /** A malformed line; the line (and any literal it announced) has been consumed. */
  | { readonly type: 'bad'; readonly message: string }
  /** A literal above the size limit; it is skipped without being buffered, then the rest of its line. */
  | { readonly type: 'tooBig'; readonly name: string; readonly size: number }
  /** A line above the length limit; the rest of it is skipped. */
  | { readonly type: 'lineTooLong' };

export interface ReceiverOptions {
  /** Longest line in octets, literals not counted. */
  maxLineLength: number;
  /** Largest literal accepted (a script plus slack). */
  maxLiteralSize: number;
  /** Arguments per command. */
  maxArgs: number;
}

/** Response codes of RFC 5804 §1.3 (hierarchical ones written with "/"). */
export type ResponseCode =
  | 'AUTH-TOO-WEAK' | 'ENCRYPT-NEEDED' | 'QUOTA' | 'QUOTA/MAXSCRIPTS' | 'QUOTA/MAXSIZE' | 'REFERRAL'
  | 'SASL' | 'TRANSITION-NEEDED' | 'TRYLATER' | 'ACTIVE' | 'NONEXISTENT' | 'ALREADYEXISTS' | 'WARNINGS' | 'TAG';

export interface Response {
  readonly status: 'OK' | 'NO' | 'BYE';
  readonly code?: ResponseCode | null;
  /** Extra data of the code, e.g. the SASL server-final string (RFC 5804 §1.3 "SASL"). */
  readonly codeArg?: string;
  readonly text?: string;
}
