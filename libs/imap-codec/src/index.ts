/** Public API of the IMAP codec: pure framing/parsing of client input and formatting of responses. */
export type * from './types.js';
export { ImapReceiver, type ReceiverOptions } from './receiver.js';
export { parseCommand } from './parse-command.js';
export { ParseError } from './parser.js';
export {
  parseSeqSet, formatSeqSet, resolveSeqSet, seqSetToList, seqSetHas, seqSetMax, compressUids, MAX_SEQ_NUMBER,
} from './seqset.js';
export { mutf7Encode, mutf7Decode } from '../../core/src/mutf7.js';
export { imapString, nstring, astring, quoted, literal, literalHeader, isAtom, mailboxName } from './encode/strings.js';
export { formatEnvelope, formatAddress, formatAddressList } from './encode/envelope.js';
export { formatBodyStructure, formatParams } from './encode/bodystructure.js';
export { formatFlags, formatInternalDate, formatSection, fetchResponseName } from './encode/fetch.js';
export {
  formatCapability, formatEnabled, formatList, formatLsub, formatStatus, formatSearch, formatEsearch, formatId,
  formatNamespace, formatQuota, formatQuotaRoot, formatFlagsResponse, formatVanished,
  type ListEntry, type EsearchResult, type NamespaceList,
} from './encode/responses.js';
