/** BODY / BODYSTRUCTURE responses (RFC 3501 §7.4.2 and the body grammar of §9). */
import type { BodyPart } from '../../../mime/src/types.js';
import { formatEnvelope } from './envelope.js';
import { imapString, nstring } from './strings.js';

/** body-fld-param = "(" string SP string *(SP string SP string) ")" / nil. */
export function formatParams(params: ReadonlyArray<readonly [string, string]>): string {
  if (params.length === 0) return 'NIL';
  return '(' + params.map(([k, v]) => `${imapString(k.toUpperCase())} ${imapString(v)}`).join(' ') + ')';
}

/** body-fld-dsp = "(" string SP body-fld-param ")" / nil. */
function formatDisposition(part: BodyPart): string {
  const d = part.disposition;
  if (!d) return 'NIL';
  return `(${imapString(d.type.toUpperCase())} ${formatParams(d.params)})`;
}

/** body-fld-lang = nstring / "(" string *(SP string) ")". */
function formatLanguage(part: BodyPart): string {
  const l = part.language;
  if (!l || l.length === 0) return 'NIL';
  if (l.length === 1) return imapString(l[0]!);
  return '(' + l.map((x) => imapString(x)).join(' ') + ')';
}

/** body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets. */
function formatFields(part: BodyPart): string {
  return [
    formatParams(part.contentType.params),
    nstring(part.id),
    nstring(part.description),
    imapString(part.encoding.toUpperCase()),
    String(Math.max(0, part.bodyEnd - part.bodyStart)),
  ].join(' ');
}

/** Shown for a multipart without parts (broken input): RFC 3501 requires 1*body, Dovecot sends an empty text part. */
const EMPTY_PART = '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)';

/**
 * body = "(" (body-type-1part / body-type-mpart) ")".
 * extensible=false gives the BODY form (no extension data); true gives BODYSTRUCTURE with
 * md5/disposition/language/location for single parts and params/disposition/language/location
 * for multiparts.
 */
export function formatBodyStructure(part: BodyPart, extensible: boolean): string {
  const ct = part.contentType;
  const type = ct.type.toUpperCase();
  const subtype = ct.subtype.toUpperCase();
  if (type === 'MULTIPART') {
    const kids = part.children && part.children.length > 0
      ? part.children.map((c) => formatBodyStructure(c, extensible)).join('')
      : EMPTY_PART;
    let out = '(' + kids + ' ' + imapString(subtype);
    if (extensible) {
      // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
      out += ` ${formatParams(ct.params)} ${formatDisposition(part)} ${formatLanguage(part)} ${nstring(part.location)}`;
    }
    return out + ')';
  }
  let out = `(${imapString(type)} ${imapString(subtype)} ${formatFields(part)}`;
  if (type === 'MESSAGE' && (subtype === 'RFC822' || subtype === 'GLOBAL') && part.message) {
    // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    out += ` ${formatEnvelope(part.message.envelope)} ${formatBodyStructure(part.message.body, extensible)} ${part.bodyLines}`;
  } else if (type === 'TEXT') {
    // body-type-text = media-text SP body-fields SP body-fld-lines
    out += ` ${part.bodyLines}`;
  }
  if (extensible) {
    // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    out += ` ${nstring(part.md5)} ${formatDisposition(part)} ${formatLanguage(part)} ${nstring(part.location)}`;
  }
  return out + ')';
}
