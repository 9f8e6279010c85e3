/** State of one mail transaction (MAIL … DATA/BDAT LAST), reset by RSET and after each message. */
import type { ResolvedRecipient } from '../../delivery/src/resolve.js';
import type { Spool } from '../../delivery/src/spool.js';

export interface Transaction {
  from: string;
  recipients: ResolvedRecipient[];
  /** Body being received, once DATA or the first BDAT started. */
  spool: Spool | null;
  /** How the body arrives; they cannot be mixed in one transaction (RFC 3030 §2). */
  mode: 'none' | 'data' | 'bdat';
  /** The body went over the size limit: keep reading, refuse at the end (552 5.3.4). */
  tooBig: boolean;
  /** A spool write failed: keep reading, answer 451 at the end. */
  failed: unknown;
}

export function newTransaction(from: string): Transaction {
  return { from, recipients: [], spool: null, mode: 'none', tooBig: false, failed: null };
}
