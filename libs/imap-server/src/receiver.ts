/** The one place the codec's receiver is constructed. */
import { ImapReceiver } from '../../imap-codec/src/receiver.js';
import { LIMITS } from '../../core/src/limits.js';
import type { ReceiverEvent } from '../../imap-codec/src/types.js';

export interface Receiver {
  push(buf: Buffer): void;
  next(): ReceiverEvent | null;
  acceptLiteral(): void;
  rejectLiteral(): void;
  expectLine(): void;
  /** Bytes pushed but not yet consumed (IDLE hibernation needs none pending). */
  readonly buffered: number;
}

/**
 * `maxMessageSize` (APPENDLIMIT, RFC 7889) is enforced by the server, which answers NO [TOOBIG];
 * the receiver's own bound is the hard limit above it.
 */
export function createReceiver(maxMessageSize: number): Receiver {
  return new ImapReceiver({ maxLiteralSize: Math.max(maxMessageSize, LIMITS.imapMaxLiteralSize) });
}
