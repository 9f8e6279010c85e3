/**
 * The Sieve contract: script AST, what the caller gives the interpreter (SieveContext) and what it
 * gets back (SieveResult). The lib is pure: every lookup that needs I/O (mailbox existence,
 * vacation history, included scripts, message body) is a callback the caller supplies; the
 * interpreter only returns actions, the LMTP server carries them out.
 */

// ---------------------------------------------------------------- AST (RFC 5228 §8.2 grammar)

/** Position of a token in the script: 1-based line and column (column counts UTF-16 units). */
export interface Pos { line: number; column: number }

export interface StringArg extends Pos { kind: 'string'; value: string }
export interface StringListArg extends Pos { kind: 'stringlist'; values: StringArg[] }
export interface NumberArg extends Pos { kind: 'number'; value: number }
export interface TagArg extends Pos { kind: 'tag'; name: string }  // name lower-case, without ':'
export type Arg = StringArg | StringListArg | NumberArg | TagArg;

export interface TestNode extends Pos { name: string; args: Arg[]; tests: TestNode[] }
export interface CommandNode extends Pos { name: string; args: Arg[]; test: TestNode | null; tests: TestNode[]; block: CommandNode[] | null }

export interface Script {
  /** Capabilities named by `require`, lower-case, in order. */
  requires: string[];
  commands: CommandNode[];
  /** Script length in characters (what was checked against the size limit). */
  size: number;
}

export interface ParseError extends Pos { message: string }
export type ParseResult = { ok: true; script: Script } | { ok: false; error: ParseError };

export interface ParseOptions {
  /** Extensions the server allows (default: all of supportedExtensions()). `require` of others is an error. */
  extensions?: string[];
  /** Largest script in characters (default LIMITS.sieveMaxScriptSize). */
  maxSize?: number;
}

// ---------------------------------------------------------------- what the caller provides

/** Which view of the body the `body` test wants (RFC 5173 §5). */
export interface BodyRequest {
  /** raw: the undecoded body after the header; content: decoded MIME parts of the listed types; text: decoded text parts. */
  transform: 'raw' | 'content' | 'text';
  /** For `content`: the content types asked for ("text", "text/html", "" = every part); empty for raw/text. */
  contentTypes: string[];
}

/**
 * Read access to the message being delivered. Header values are raw (unfolded, RFC 2047 words not
 * decoded); the lib decodes where RFC 5228 §2.7.2 asks for it. Bodies are only touched by the
 * `body` test, through `body()`, so callers can stream the message through libs/mime.
 */
export interface SieveMessage {
  /** Unfolded raw values of every field with this name (case-insensitive), top to bottom. */
  header(name: string): string[];
  /** Message size in octets (RFC 5228 §5.9). */
  size: number;
  /**
   * Texts the `body` test matches against, one string per part (decoded to UTF-8 for content/text,
   * the raw body for raw). Each yielded string is matched as a whole. Absent: body tests are false.
   */
  body?(req: BodyRequest): Iterable<string> | AsyncIterable<string> | Promise<Iterable<string>>;
}

export interface SieveEnvelope {
  /** MAIL FROM reverse-path without brackets ("" for the null sender <>). */
  from: string;
  /** RCPT TO of this delivery (the recipient whose script runs). */
  to: string;
  /** Original recipient when known (ORCPT, RFC 3461, or the address before alias expansion): `envelope "to"` tests it, as Pigeonhole does. */
  origTo?: string;
  /** SMTP AUTH identity, for `envelope "auth"`. */
  auth?: string;
}

/** Spam/virus scores as RFC 5235 defines them; the caller maps its scanner's headers to these. */
export interface SpamScores {
  /** spamtest value 0..10 (0 = not tested, 1 = certainly not spam, 10 = certainly spam). */
  spam?: number;
  /** spamtestplus :percent value 0..100, or undefined when not tested. */
  spamPercent?: number;
  /** virustest value 0..5 (0 = not tested, 1 = clean, 5 = infected beyond repair). */
  virus?: number;
}

export interface SieveContext {
  envelope: SieveEnvelope;
  message: SieveMessage;
  /** The recipient's own addresses (primary first): vacation never answers mail from them, and they count as "addressed to me". */
  user: { address: string; aliases?: string[] };
  /** Time of delivery (currentdate, vacation). Default: new Date() at evaluate(). */
  now?: Date;
  /** Local zone offset in minutes east of UTC for `date`/`currentdate` without :zone (default 0 = UTC). */
  zoneOffsetMinutes?: number;
  /** mailboxexists (RFC 5490 §3.1). Absent: every mailbox is treated as missing except INBOX. */
  mailboxExists?(name: string): boolean | Promise<boolean>;
  scores?: SpamScores;
  /**
   * Vacation response tracking (RFC 5230 §4.2): has `sender` been answered for `handle` within
   * `periodSeconds`? Absent: never answered before. The caller records the reply when it sends it.
   */
  vacationAnswered?(sender: string, handle: string, periodSeconds: number): boolean | Promise<boolean>;
}

/** Where `include` finds scripts (RFC 6609 §3.2): personal = the user's sieve dir, global = admin scripts. */
export type IncludeLocation = 'personal' | 'global';
/** Returns the script text, or null when there is no such script. */
export type IncludeResolver = (name: string, location: IncludeLocation) => string | null | Promise<string | null>;

export interface EvaluateOptions {
  includeResolver?: IncludeResolver;
  /** Overrides of the run-time limits in LIMITS (e.g. from config). */
  limits?: Partial<SieveLimits>;
  /** Extensions allowed for included scripts (same as parseScript's). */
  extensions?: string[];
}

export interface SieveLimits {
  maxActions: number;
  maxRedirects: number;
  maxIncludeDepth: number;
  maxIncludes: number;
  maxSteps: number;
}

// ---------------------------------------------------------------- what the interpreter returns

export interface KeepAction { type: 'keep'; flags: string[] }
export interface FileIntoAction { type: 'fileinto'; mailbox: string; flags: string[]; create: boolean; copy: boolean }
export interface RedirectAction { type: 'redirect'; address: string; copy: boolean }
/** reject (RFC 5429 §2.2: DSN/MDN after delivery) or ereject (§2.1: refuse in the LMTP/SMTP reply). */
export interface RejectAction { type: 'reject'; reason: string; ereject: boolean }
export interface DiscardAction { type: 'discard' }
/**
 * A vacation reply the caller should send (RFC 5230). The engine already checked lists/bulk,
 * auto-submitted, own address, :addresses and the response history; the caller builds the
 * message (Auto-Submitted: auto-replied, In-Reply-To, References) and records the reply.
 */
export interface VacationAction {
  type: 'vacation';
  /** Recipient of the reply (the envelope sender of the incoming message). */
  to: string;
  /** From of the reply (:from, else the user's address that the message was sent to). */
  from: string;
  subject: string;
  /** Reply text; with `mime` true it is a MIME entity (headers + body) to use as is (RFC 5230 §5.8). */
  body: string;
  mime: boolean;
  /** Tracking handle (RFC 5230 §4.2): :handle or derived from the reason/subject/from/mime. */
  handle: string;
  /** Period in seconds (from :days or :seconds) the caller records for this sender and handle. */
  periodSeconds: number;
  /** Message-ID of the incoming message for In-Reply-To/References, if any. */
  inReplyTo: string | null;
}

export type SieveAction = KeepAction | FileIntoAction | RedirectAction | RejectAction | DiscardAction | VacationAction;

/** Header changes (RFC 5293) to apply to the delivered copy; original header indices are 0-based per field name. */
export interface HeaderEdits {
  /** Fields to put before the original header, in order (addheader without :last). */
  prepend: Array<{ name: string; value: string }>;
  /** Fields to put after the original header, in order (addheader :last). */
  append: Array<{ name: string; value: string }>;
  /** Original fields to drop: field name (lower-case) and its 0-based occurrence among fields of that name. */
  deleted: Array<{ name: string; index: number }>;
}

export interface SieveRuntimeError extends Pos { message: string }

export interface SieveResult {
  /** False after a runtime error: actions is empty and implicitKeep is true (the message goes to INBOX). */
  ok: boolean;
  /** Explicit actions in script order, duplicates merged (RFC 5228 §2.10.3). */
  actions: SieveAction[];
  /** True when no action cancelled the implicit keep (RFC 5228 §2.10.2): store in INBOX with keepFlags. */
  implicitKeep: boolean;
  /** IMAP flags for the implicit keep (imap4flags internal variable, RFC 5232 §3). */
  keepFlags: string[];
  /** Header edits, or null when the script made none. */
  headerEdits: HeaderEdits | null;
  /** The runtime error that ended the run (at most one: the run stops at the first), with its position. */
  errors: SieveRuntimeError[];
  /** Steps the interpreter took (for metrics and limit tuning). */
  steps: number;
}
