/** Small FETCH response helpers: flags, INTERNALDATE, and the response name of a fetch att (RFC 3501 §7.4.2). */
import type { FetchAtt, Section } from '../types.js';
import { astring } from './strings.js';

/** flag-list: "(" [flag *(SP flag)] ")". */
export function formatFlags(flags: readonly string[]): string {
  return '(' + flags.join(' ') + ')';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? '0' + n : String(n));

/** date-time (RFC 3501 §9) in UTC: "17-Jul-1996 09:44:25 +0000" (unquoted; wrap in quotes on the wire). */
export function formatInternalDate(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** section text as in the request: "1.HEADER.FIELDS (FROM TO)", "" for the whole message. */
export function formatSection(section: Section): string {
  const part = section.part.join('.');
  let spec = '';
  switch (section.spec.kind) {
    case 'full': break;
    case 'header': spec = 'HEADER'; break;
    case 'text': spec = 'TEXT'; break;
    case 'mime': spec = 'MIME'; break;
    case 'header-fields':
      spec = `HEADER.FIELDS${section.spec.not ? '.NOT' : ''} (${section.spec.fields.map((f) => astring(f)).join(' ')})`;
      break;
  }
  return part && spec ? `${part}.${spec}` : part + spec;
}

/**
 * The name a fetch att carries in the FETCH response: BODY.PEEK answers as BODY, and a partial
 * shows only its origin octet ("BODY[]<0>", RFC 3501 §7.4.2); BINARY likewise (RFC 3516 §4.2).
 */
export function fetchResponseName(att: FetchAtt): string {
  switch (att.kind) {
    case 'uid': return 'UID';
    case 'flags': return 'FLAGS';
    case 'internaldate': return 'INTERNALDATE';
    case 'rfc822.size': return 'RFC822.SIZE';
    case 'envelope': return 'ENVELOPE';
    case 'body': return 'BODY';
    case 'bodystructure': return 'BODYSTRUCTURE';
    case 'modseq': return 'MODSEQ';
    case 'rfc822': return 'RFC822';
    case 'rfc822.header': return 'RFC822.HEADER';
    case 'rfc822.text': return 'RFC822.TEXT';
    case 'body-section':
      return `BODY[${formatSection(att.section)}]${att.partial ? `<${att.partial.offset}>` : ''}`;
    case 'binary':
      return `BINARY[${att.part.join('.')}]${att.partial ? `<${att.partial.offset}>` : ''}`;
    case 'binary.size':
      return `BINARY.SIZE[${att.part.join('.')}]`;
  }
}
