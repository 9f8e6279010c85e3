/**
 * The per-connection logger. pino's child() appends each binding to the parent's JSON by string
 * concatenation, and V8 keeps such a string as a rope of pieces (~32 bytes each, ~40 for an IMAP
 * session's two children) for as long as the child lives: ~1.3 KB per idle session on a node holding
 * tens of thousands (issue 6). One flat copy of the bindings costs their length.
 */
import { pino, type Logger } from 'pino';

const CHINDINGS = pino.symbols.chindingsSym;

export function sessionLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const child = parent.child(bindings);
  const slot = child as unknown as Record<symbol, unknown>;
  const text = slot[CHINDINGS];
  // The bindings are JSON text (pino escapes lone surrogates), so a UTF-8 round trip is exact.
  if (typeof text === 'string') slot[CHINDINGS] = Buffer.from(text, 'utf8').toString('utf8');
  return child;
}
