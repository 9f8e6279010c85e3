/**
 * The storage boundary. IMAP, POP3, LMTP and the deliver command talk to mail only through these
 * interfaces; the Maildir++ engine (libs/maildir) implements them, and every implementation must
 * pass the one contract suite (libs/mailstore/src/contract.ts).
 *
 * Conventions
 * - Mailbox names are what clients see, decoded to UTF-8, hierarchy separator "/", INBOX
 *   case-insensitive and always spelled "INBOX". Encoding to disk names (mUTF-7, Maildir++ dots) is
 *   the engine's business.
 * - Failures throw MailError (libs/core) with a code; nothing else escapes except bugs.
 * - Message content is always served with CRLF line endings; sizes and offsets count CRLF.
 * - Flags are strings: system flags with backslash ("\\Seen", "\\Answered", "\\Flagged",
 *   "\\Deleted", "\\Draft") and keywords as atoms. "\\Recent" is never stored; it is per session
 *   (see MailboxSnapshot.recent).
 */
import type { Readable } from 'node:stream';
import type { MessageStructure } from '../../mime/src/types.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;
export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash';

/** One row of a mailbox's index. Immutable snapshot value: a change produces a new record. */
export interface MessageRecord {
  readonly uid: number;
  readonly flags: readonly string[];  // sorted, no duplicates, no \Recent
  readonly internalDate: number;      // epoch milliseconds
  readonly size: number;              // RFC822.SIZE: octets with CRLF line endings
  readonly modseq: number;            // bumped on every flag change (CONDSTORE-ready, RFC 7162)
}

export interface MailboxSnapshot {
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly highestModseq: number;
  /** All messages, sorted by ascending UID. Sequence number = index + 1 for a fresh view. */
  readonly messages: readonly MessageRecord[];
  /** UIDs that are \Recent for *this* handle (claimed by it; RFC 3501 §2.3.2: one session only). */
  readonly recent: ReadonlySet<number>;
  /** Keywords defined in this mailbox (for the FLAGS / PERMANENTFLAGS responses). */
  readonly keywords: readonly string[];
  /**
   * Optional: the UIDs whose records differ between an earlier snapshot's `messages` and these
   * (changed, added or removed; ascending), or null when the store cannot tell. Lets a session's
   * view look at a few messages per command instead of comparing every record.
   */
  changedSince?(earlier: readonly MessageRecord[]): readonly number[] | null;
}

export interface MailboxInfo {
  readonly name: string;              // "INBOX", "Sent", "Archive/2024"
  readonly specialUse: readonly SpecialUse[];
  readonly subscribed: boolean;
  /** True for a name that exists only as a parent of others (\NonExistent / \Noselect). */
  readonly noSelect: boolean;
  /** A subscribed name with no mailbox (RFC 3501 §6.3.6: subscriptions outlive mailboxes); LSUB only. */
  readonly nonExistent?: boolean;
}

export interface MailboxStatus {
  readonly messages: number;
  readonly recent: number;
  readonly uidNext: number;
  readonly uidValidity: number;
  readonly unseen: number;
  readonly size: number;              // STATUS=SIZE (RFC 8438): sum of RFC822.SIZE
  readonly highestModseq: number;
  readonly deleted: number;           // messages with \Deleted (STATUS DELETED, RFC 9051)
}

export interface QuotaUsage {
  readonly storageUsed: number;       // octets
  readonly storageLimit: number | null; // octets, null = unlimited
  readonly messagesUsed: number;
  readonly messagesLimit: number | null;
}

export interface AppendOptions {
  readonly flags?: readonly string[];
  readonly internalDate?: number;     // epoch ms; default now
  /** Octets the stream will deliver, when known (APPEND literal): lets quota refuse before writing. */
  readonly sizeHint?: number;
  /** Delivery (LMTP / deliver command): store in new/ as a \Recent message rather than cur/. */
  readonly delivery?: boolean;
  /**
   * With `delivery` and no flags: the caller needs no UID (LMTP), so the store may leave assigning
   * it to the next reader, as Dovecot's maildir delivery does; the result's uid is then 0.
   */
  readonly lazyUid?: boolean;
}

export interface AppendResult {
  readonly uidValidity: number;
  readonly uid: number;
  readonly size: number;
}

export interface CopyResult {
  readonly uidValidity: number;       // of the destination (UIDPLUS COPYUID, RFC 4315)
  readonly sourceUids: readonly number[];
  readonly destUids: readonly number[];
}

export type FlagOp = 'add' | 'remove' | 'replace';

export interface StoreResult {
  /** Records after the change, for every UID that still exists (changed or not). */
  readonly updated: readonly MessageRecord[];
  /** UIDs refused by UNCHANGEDSINCE (RFC 7162 §3.1.3 MODIFIED). */
  readonly modified: readonly number[];
}

/** A selected (or examined) mailbox as one session sees it. Not shared between sessions. */
export interface Mailbox {
  readonly name: string;
  readonly readOnly: boolean;

  /**
   * Brings this handle up to date with the disk (other sessions and processes, files added or
   * removed by hand) and returns the current state. Cheap when nothing changed (stat only).
   * On a read-write handle it also claims new messages as \Recent for this handle.
   * `maxStaleMs`: a disk check that recent is good enough (changes through this process are
   * always seen at once); callers that must see other processes' changes now pass nothing.
   */
  sync(opts?: { maxStaleMs?: number }): Promise<MailboxSnapshot>;

  /** Parsed structure (envelope, bodystructure, cached headers); from the index/cache when present. */
  structure(uid: number): Promise<MessageStructure>;

  /**
   * ENVELOPE of each of `uids` as RFC 3501 §7.4.2 text, exactly as formatEnvelope
   * (libs/mime/src/envelope-imap.ts) writes it for structure(uid).envelope; null for a message that
   * no longer exists. Made from the header alone (no body is parsed) and kept in the store's cache,
   * as Dovecot keeps "imap.envelope". Optional: without it, callers format structure().envelope.
   */
  envelopes?(uids: readonly number[]): Promise<Array<string | null>>;

  /**
   * The top-level header block, blank line included, exactly the bytes open(uid, 0,
   * structure(uid).body.bodyStart) gives, read without parsing the message (FETCH
   * BODY[HEADER.FIELDS (...)] of many messages). Throws MailError EXPUNGED when the message is
   * gone. Optional: without it, callers use structure() and open().
   */
  header?(uid: number): Promise<Buffer>;

  /** Optional: header(uid) and envelopes([uid])[0] together (one read of the message where they are not cached). */
  headerAndEnvelope?(uid: number): Promise<{ header: Buffer; envelope: string }>;

  /**
   * The message bytes (CRLF) from `start` (inclusive) to `end` (exclusive, default: the end).
   * The stream has backpressure; the caller must consume or destroy it.
   * Throws MailError EXPUNGED when the message is gone.
   */
  open(uid: number, start?: number, end?: number): Promise<Readable>;

  /** Changes flags. Read-only handles throw PERM. `\\Recent` in `flags` is ignored. */
  store(uids: readonly number[], op: FlagOp, flags: readonly string[], unchangedSince?: number): Promise<StoreResult>;

  /**
   * Removes messages that have \Deleted. With `uids`, only those (UID EXPUNGE, RFC 4315).
   * Returns the UIDs removed, ascending.
   */
  expunge(uids?: readonly number[]): Promise<number[]>;

  /** Copies messages (keeping flags and internal date) into another mailbox of the same account. */
  copy(uids: readonly number[], dest: string): Promise<CopyResult>;

  /** Moves messages (RFC 6851): copy, then remove from this mailbox, atomically per message. */
  move(uids: readonly number[], dest: string): Promise<CopyResult>;

  /**
   * In-process change notification (another session of this process appended, stored or expunged).
   * Cross-process changes are found by sync(); IDLE polls it every LIMITS.idlePollMs.
   * Returns an unsubscribe function.
   */
  watch(onChange: () => void): () => void;

  /** Releases the handle (and, on a read-write handle, its \Recent claims are dropped). */
  close(): Promise<void>;

  /**
   * IDLE hibernation: closes the handle (and what the store keeps for the mailbox, when no other
   * handle holds it) but keeps a light watch: `onChange` is called once when the mailbox may have
   * changed since this handle's last sync(), by this process or another. Resolves to the watch, on
   * which cancel(onChange) stops it. Optional: without it a session does not hibernate in a mailbox.
   */
  sleep?(onChange: () => void): Promise<MailboxWatch>;

  /**
   * POP3 UIDLs the storage keeps for some messages (UID → UIDL), e.g. Dovecot's dovecot-uidlist
   * "P" field for mail migrated from another POP3 server. POP3 sends these instead of its
   * pop3_uidl_format, as Dovecot does. Reads no message file. Optional: absent = none kept.
   */
  pop3Uidls?(): Promise<ReadonlyMap<number, string>>;
}

/** What Mailbox.sleep leaves: may be one object shared by every sleeper of the mailbox, so cancel names the callback. */
export interface MailboxWatch {
  cancel(onChange: () => void): void;
}

export interface MailAccount {
  readonly user: string;

  /** Every mailbox, INBOX first. Parents that do not exist on disk come with noSelect. */
  list(): Promise<MailboxInfo[]>;
  create(name: string, opts?: { specialUse?: readonly SpecialUse[] }): Promise<void>;
  /** RFC 3501 §6.3.4: INBOX cannot be deleted; a mailbox with children becomes \Noselect. */
  delete(name: string): Promise<void>;
  /** RFC 3501 §6.3.5: renaming INBOX moves its messages to the new name and leaves INBOX empty. */
  rename(from: string, to: string): Promise<void>;
  subscribe(name: string): Promise<void>;
  unsubscribe(name: string): Promise<void>;
  status(name: string): Promise<MailboxStatus>;
  open(name: string, opts?: { readOnly?: boolean }): Promise<Mailbox>;
  /** Atomic, durable: returns only after the file and its directory entry are fsynced. */
  append(name: string, message: Readable, opts?: AppendOptions): Promise<AppendResult>;
  quota(): Promise<QuotaUsage>;
  close(): Promise<void>;
}

export interface AccountRef {
  readonly user: string;              // login name, e.g. "alice@example.org"
  readonly home: string;              // mail home: <mail_root>/<domain>/<localpart>
  readonly quotaBytes?: number | null;    // null/0/undefined = unlimited
  readonly quotaMessages?: number | null;
}

export interface MailStore {
  openAccount(ref: AccountRef): Promise<MailAccount>;
  close(): Promise<void>;
}
