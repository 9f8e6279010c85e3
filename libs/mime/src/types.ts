/**
 * Parsed MIME structure of one message, as the storage index caches it (JSON-serialisable).
 * All offsets are byte offsets into the message *as served to IMAP clients*: CRLF line endings
 * (a stored file with bare LF is normalised to CRLF before offsets are counted).
 * Header values are kept raw (unfolded is NOT applied; IMAP ENVELOPE wants the raw bytes decoded
 * as UTF-8/latin1 string); decoding of RFC 2047 words is a separate helper.
 */
export interface ContentType {
  type: string;                      // lower-case, e.g. "text"
  subtype: string;                   // lower-case, e.g. "plain"
  params: Array<[string, string]>;   // attribute lower-case, value as given (RFC 2231 continuations joined)
}

export interface Disposition {
  type: string;                      // as given, e.g. "attachment"
  params: Array<[string, string]>;
}

export interface Address {
  name: string | null;               // display name, raw (may contain RFC 2047 words)
  adl: string | null;                // obs-route "@a,@b" of <@a,@b:user@host> (RFC 3501 §7.4.2 at-domain-list), else null
  mailbox: string | null;            // local part; for group start: group name; null for group end
  host: string | null;               // domain; null marks a group (RFC 3501 §7.4.2)
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;          // defaults to from (RFC 3501 §7.4.2) — filled by the parser
  replyTo: Address[] | null;         // defaults to from
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

export interface BodyPart {
  /** Offset of the first header byte of this part (for the top-level message: 0). */
  headerStart: number;
  /** Offset of the first body byte (after the blank line; equals headerStart+header size). */
  bodyStart: number;
  /** Offset after the last body byte. */
  bodyEnd: number;
  /** Number of lines in the body (text/* and message/rfc822 only, but always counted). */
  bodyLines: number;
  contentType: ContentType;          // defaults text/plain; charset=us-ascii (RFC 2045 §5.2)
  contentTypeGiven: boolean;         // false when the header was absent or unparseable
  encoding: string;                  // Content-Transfer-Encoding, upper-case, default "7BIT"
  id: string | null;
  description: string | null;
  md5: string | null;
  disposition: Disposition | null;
  language: string[] | null;
  location: string | null;
  /** multipart/*: the child parts (may be empty for a broken multipart). */
  children?: BodyPart[];
  /** message/rfc822 (and message/global): the encapsulated message's envelope and body. */
  message?: { envelope: Envelope; body: BodyPart };
}

export interface MessageStructure {
  size: number;                      // total octets (CRLF normalised) = RFC822.SIZE
  headerSize: number;                // octets of the top-level header incl. the blank line
  envelope: Envelope;
  body: BodyPart;
  /** Selected raw header fields cached for fast FETCH BODY.PEEK[HEADER.FIELDS (...)] and SORT. */
  cachedHeaders?: Record<string, string[]>;
}
