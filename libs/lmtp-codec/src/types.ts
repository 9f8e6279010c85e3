/** The LMTP command AST (RFC 2033 on top of RFC 5321 syntax). Pure data, no I/O. */

/** A parsed envelope path. `address` is '' for the null reverse-path `<>` (RFC 5321 §4.5.5). */
export interface Path {
  readonly address: string;
}

export type Command =
  | { readonly verb: 'LHLO'; readonly domain: string }
  | { readonly verb: 'HELO' | 'EHLO'; readonly domain: string }
  | { readonly verb: 'MAIL'; readonly from: Path; readonly params: ReadonlyMap<string, string | true> }
  | { readonly verb: 'RCPT'; readonly to: Path; readonly params: ReadonlyMap<string, string | true> }
  | { readonly verb: 'DATA' }
  | { readonly verb: 'BDAT'; readonly size: number; readonly last: boolean }
  | { readonly verb: 'RSET' }
  | { readonly verb: 'NOOP' }
  | { readonly verb: 'QUIT' }
  | { readonly verb: 'VRFY'; readonly arg: string };

/** A command line that could not be parsed: the reply the server should send. */
export interface CommandError {
  readonly verb: 'ERROR';
  readonly code: 500 | 501 | 502;
  readonly enhanced: string;
  readonly text: string;
  /** The verb we recognised, if any (so BDAT errors still know a chunk may follow). */
  readonly known?: string;
}

/** What the receiver hands the server, one at a time (pull model: the server asks when ready). */
export type ReceiverEvent =
  | { readonly type: 'command'; readonly command: Command | CommandError }
  /** A command line longer than the limit; it was skipped up to its end (RFC 5321 §4.5.3.1.4). */
  | { readonly type: 'lineTooLong' }
  /** Message bytes, dot-unstuffed (DATA) or raw (BDAT). A view into the receiver's buffer: consume before next(). */
  | { readonly type: 'data'; readonly chunk: Buffer }
  /** End of DATA (the CRLF.CRLF line) or of one BDAT chunk. */
  | { readonly type: 'dataEnd' };
