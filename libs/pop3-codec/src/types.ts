/** The POP3 command AST and the receiver's events (RFC 1939, RFC 2449, RFC 5034, RFC 2595). */

/** One command line: the keyword upper-cased, its arguments, and the raw rest of the line. */
export interface Pop3Command {
  /** Upper-cased keyword: "USER", "RETR", ... (RFC 1939 §3: keywords are case-insensitive). */
  readonly name: string;
  /** Arguments split on spaces (RFC 1939 §3: separated by a single SPACE; runs of spaces are tolerated). */
  readonly args: readonly string[];
  /** Everything after the keyword and its separating space, unsplit (PASS may contain spaces, RFC 1939 §7). */
  readonly rest: string;
}

export type Pop3Event =
  | { readonly type: 'command'; readonly command: Pop3Command }
  /** A raw line, delivered instead of a command after expectLine() (SASL continuation, RFC 5034 §4). */
  | { readonly type: 'line'; readonly text: string }
  /** A line that is not a command (empty, too long, not a keyword): answer -ERR and go on. */
  | { readonly type: 'bad'; readonly text: string };
