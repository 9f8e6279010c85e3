/**
 * The IMAP command AST produced by the codec (libs/imap-codec) and consumed by the server
 * (libs/imap-server). Pure data, no I/O. Strings are JS strings: atoms/quoted/literals are decoded
 * as UTF-8 (RFC 6855 / 9051 allow UTF-8 in quoted strings); mailbox names arrive already decoded
 * from modified UTF-7 (RFC 3501 §5.1.3) unless UTF8=ACCEPT is enabled, in which case they are taken as is.
 */

/** One range of a sequence set; '*' is the largest number in use. `start` may be > `end` (RFC 3501 §9: 4:2 == 2:4). */
export interface SeqRange { start: number | '*'; end: number | '*'; }
/** A sequence set (RFC 3501 §9 sequence-set) or "$" (SEARCHRES, RFC 5182). */
export type SeqSet = { kind: 'set'; ranges: SeqRange[] } | { kind: 'saved' };

export type SectionSpec =
  | { kind: 'full' }                                   // BODY[] / BODY[1.2]
  | { kind: 'header' }                                 // HEADER
  | { kind: 'header-fields'; not: boolean; fields: string[] } // HEADER.FIELDS[.NOT] (names upper-cased)
  | { kind: 'text' }                                   // TEXT
  | { kind: 'mime' };                                  // MIME (only with a part number)

export interface Section {
  part: number[];                                      // [] = whole message; [1,2] = "1.2"
  spec: SectionSpec;
}

export interface Partial { offset: number; length: number; }

export type FetchAtt =
  | { kind: 'uid' }
  | { kind: 'flags' }
  | { kind: 'internaldate' }
  | { kind: 'rfc822.size' }
  | { kind: 'envelope' }
  | { kind: 'body' }                                   // non-extensible BODY
  | { kind: 'bodystructure' }
  | { kind: 'modseq' }                                 // RFC 7162
  | { kind: 'rfc822' }                                 // == BODY[]  (sets \Seen)
  | { kind: 'rfc822.header' }                          // == BODY.PEEK[HEADER]
  | { kind: 'rfc822.text' }                            // == BODY[TEXT] (sets \Seen)
  | { kind: 'body-section'; peek: boolean; section: Section; partial: Partial | null }
  | { kind: 'binary'; peek: boolean; part: number[]; partial: Partial | null }   // RFC 3516
  | { kind: 'binary.size'; part: number[] };

export type SearchKey =
  | { kind: 'all' }
  | { kind: 'flag'; flag: string; set: boolean }      // ANSWERED/UNANSWERED, KEYWORD/UNKEYWORD, SEEN ... (flag like "\\Seen" or keyword)
  | { kind: 'new' } | { kind: 'old' } | { kind: 'recent' }
  | { kind: 'header'; field: string; value: string }   // BCC/CC/FROM/SUBJECT/TO map here with field upper-cased
  | { kind: 'body'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'date'; which: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; date: string } // date as YYYY-MM-DD
  | { kind: 'size'; op: 'larger' | 'smaller'; value: number }
  | { kind: 'seqset'; set: SeqSet }
  | { kind: 'uid'; set: SeqSet }
  | { kind: 'not'; key: SearchKey }
  | { kind: 'or'; a: SearchKey; b: SearchKey }
  | { kind: 'and'; keys: SearchKey[] }                 // parenthesised list or the implicit top-level AND
  | { kind: 'modseq'; value: number }                  // RFC 7162 MODSEQ (entry name/type ignored)
  | { kind: 'older' | 'younger'; seconds: number };    // RFC 5032 WITHIN

export type StatusItem = 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'SIZE' | 'HIGHESTMODSEQ' | 'DELETED';

export interface ListCommand {
  selection: string[];                                 // upper-cased: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE
  reference: string;
  patterns: string[];
  returnOpts: string[];                                // upper-cased: SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS
  returnStatus: StatusItem[] | null;                   // LIST-STATUS (RFC 5819)
  extended: boolean;                                   // true when LIST-EXTENDED syntax was used (RFC 5258)
}

export type Command = { tag: string; uid: boolean } & (
  | { name: 'CAPABILITY' } | { name: 'NOOP' } | { name: 'LOGOUT' } | { name: 'STARTTLS' }
  | { name: 'CHECK' } | { name: 'CLOSE' } | { name: 'UNSELECT' } | { name: 'IDLE' } | { name: 'NAMESPACE' }
  | { name: 'AUTHENTICATE'; mechanism: string; initialResponse: string | null }  // mechanism upper-cased; "=" means empty (RFC 4959)
  | { name: 'LOGIN'; username: string; password: string }
  | { name: 'ENABLE'; capabilities: string[] }
  | { name: 'ID'; params: Array<[string, string | null]> | null }
  | { name: 'SELECT' | 'EXAMINE'; mailbox: string; condstore: boolean; qresync: null | { uidValidity: number; modseq: number; knownUids: SeqSet | null } }
  | { name: 'CREATE'; mailbox: string; specialUse: string[] }
  | { name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE'; mailbox: string }
  | { name: 'RENAME'; from: string; to: string }
  | ({ name: 'LIST' } & ListCommand)
  | { name: 'LSUB'; reference: string; pattern: string }
  | { name: 'STATUS'; mailbox: string; items: StatusItem[] }
  | { name: 'EXPUNGE'; uidSet: SeqSet | null }         // uidSet only for UID EXPUNGE
  | { name: 'SEARCH'; charset: string | null; criteria: SearchKey; returnOpts: string[] | null } // returnOpts null = plain SEARCH; [] = ESEARCH default (ALL)
  | { name: 'FETCH'; set: SeqSet; items: FetchAtt[]; changedSince: number | null; vanished: boolean }
  | { name: 'STORE'; set: SeqSet; op: 'add' | 'remove' | 'replace'; silent: boolean; flags: string[]; unchangedSince: number | null }
  | { name: 'COPY' | 'MOVE'; set: SeqSet; mailbox: string }
  | { name: 'GETQUOTA'; root: string }
  | { name: 'GETQUOTAROOT'; mailbox: string }
  | { name: 'SETQUOTA'; root: string; limits: Array<[string, number]> }
);

export type CommandName = Command['name'];

/**
 * APPEND is streamed (its literals may be large): the receiver emits events instead of a Command.
 * Sequence: append-begin, (append-message, literal-chunk*, literal-end)+, append-end.
 * MULTIAPPEND (RFC 3502) simply repeats append-message.
 */
export interface AppendMessageMeta {
  flags: string[];
  internalDate: number | null;                         // epoch ms parsed from date-time, or null
  size: number;                                        // literal octets
  binary: boolean;                                     // literal8 "~{N}" (RFC 3516)
}

/** Events produced by ImapReceiver.push(). */
export type ReceiverEvent =
  | { type: 'command'; command: Command }
  /** A tagged command that failed to parse; the server answers `tag BAD text`. tag may be "*" when unknown. */
  | { type: 'bad'; tag: string; text: string }
  /**
   * A synchronising literal {N} was announced. The receiver is paused until the server calls
   * acceptLiteral() (server sends "+ OK") or rejectLiteral() (server sends tagged NO/BAD, receiver
   * discards the rest of that command line).
   */
  | { type: 'literal-request'; tag: string; size: number; command: string }
  | { type: 'append-begin'; tag: string; mailbox: string }
  | { type: 'append-message'; tag: string; meta: AppendMessageMeta }
  | { type: 'literal-chunk'; data: Buffer }
  | { type: 'literal-end' }
  | { type: 'append-end'; tag: string }
  /** A raw line, delivered when the server asked for one (AUTHENTICATE continuation, IDLE "DONE"). */
  | { type: 'line'; text: string }
  /** A line over the limit or other unrecoverable framing error: send BYE and close. */
  | { type: 'fatal'; text: string };
