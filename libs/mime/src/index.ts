/** Public API of the pure, I/O-free MIME library. */
export type { Address, BodyPart, ContentType, Disposition, Envelope, MessageStructure } from './types.js';
export { StructureParser, parseStructure, normalizedSize, emptyEnvelope, CACHED_HEADER_FIELDS } from './structure.js';
export { parseEnvelope, envelopeFromFields, parseAddressList, MISSING_MAILBOX, MISSING_DOMAIN } from './envelope.js';
export {
  parseHeaderBlock, getHeader, getHeaders, selectHeaderFields, splitHeaderFields, headerBlockLength,
  headerBytesToString, unfold, type RawHeaderField,
} from './headers.js';
export { parseContentType, parseDisposition, parseLanguage, parseParams, paramValue, decodeParam, decodeExtendedValue } from './params.js';
export { decodeCharset, createCharsetDecoder, normalizeCharset, charsetKnown } from './charset.js';
export {
  decodeWords, decodeMimeValue, decodeBinary, decodeBinaryBuffer, createBodyDecoder, isKnownEncoding, type ByteDecoder,
} from './decode.js';
export {
  TextSearcher, headerMatches, foldText, parseDateHeader, parseDateHeaderDetailed, type SearchScope, type ParsedDate,
} from './search.js';
