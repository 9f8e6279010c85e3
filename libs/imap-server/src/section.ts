/**
 * Locates a BODY[section] in a message's cached structure (RFC 3501 §6.4.5 part numbering,
 * including parts inside message/rfc822) and filters header fields.
 */
import type { BodyPart, MessageStructure } from '../../mime/src/types.js';
import type { Section } from '../../imap-codec/src/types.js';
import { formatSection } from '../../imap-codec/src/encode/fetch.js';
import { selectHeaderFields } from '../../mime/src/headers.js';

export type SectionTarget =
  | { kind: 'range'; start: number; end: number }
  | { kind: 'fields'; start: number; end: number; not: boolean; fields: string[] }
  | { kind: 'nil' };

function isMessage(p: BodyPart): boolean {
  return p.contentType.type === 'message' && (p.contentType.subtype === 'rfc822' || p.contentType.subtype === 'global') && !!p.message;
}

function emptyPart(at: number): BodyPart {
  return {
    headerStart: at, bodyStart: at, bodyEnd: at, bodyLines: 0,
    contentType: { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] }, contentTypeGiven: false,
    encoding: '7BIT', id: null, description: null, md5: null, disposition: null, language: null, location: null,
  };
}

/** Finds part `path` ([] = the whole message). Returns null when it does not exist. */
export function findPart(st: MessageStructure, path: readonly number[]): BodyPart | null {
  let node: BodyPart | null = null;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    // The container whose children are numbered: top-level body, or the body of an
    // encapsulated message for a message/rfc822 part (§6.4.5: "2.1" is the first part inside).
    let container: BodyPart;
    if (node === null) container = st.body;
    else if (isMessage(node)) container = node.message!.body;
    else container = node;
    if (container.contentType.type === 'multipart') {
      const kids = container.children ?? [];
      // A multipart without parts shows one empty text/plain part in BODYSTRUCTURE (encode.ts
      // EMPTY_PART), so part 1 exists and is empty, as in Dovecot (RFC 3501 §6.4.5 numbering).
      if (kids.length === 0 && n === 1) { node = emptyPart(container.bodyEnd); continue; }
      if (n < 1 || n > kids.length) return null;
      node = kids[n - 1]!;
    } else {
      // A non-multipart has exactly one part, number 1: itself.
      if (n !== 1) return null;
      node = container;
    }
  }
  return node;
}

/** A section of the whole message (no part number): the header's end and the size are enough. */
export function locateTopSection(spec: Section['spec'], hdrEnd: number, size: number): SectionTarget {
  switch (spec.kind) {
    case 'full': return { kind: 'range', start: 0, end: size };
    case 'header': return { kind: 'range', start: 0, end: hdrEnd };
    case 'text': return { kind: 'range', start: hdrEnd, end: size };
    case 'header-fields': return { kind: 'fields', start: 0, end: hdrEnd, not: spec.not, fields: spec.fields };
    case 'mime': return { kind: 'nil' };
  }
}

export function locateSection(st: MessageStructure, section: Section): SectionTarget {
  const spec = section.spec;
  if (section.part.length === 0) return locateTopSection(spec, st.body.bodyStart, st.size);
  const part = findPart(st, section.part);
  if (!part) return { kind: 'nil' };
  switch (spec.kind) {
    case 'full': return { kind: 'range', start: part.bodyStart, end: part.bodyEnd };
    case 'mime': return { kind: 'range', start: part.headerStart, end: part.bodyStart };
    default: {
      // HEADER / TEXT / HEADER.FIELDS on a part refer to an encapsulated message (§6.4.5).
      if (!isMessage(part)) return { kind: 'nil' };
      const inner = part.message!.body;
      if (spec.kind === 'header') return { kind: 'range', start: inner.headerStart, end: inner.bodyStart };
      if (spec.kind === 'text') return { kind: 'range', start: inner.bodyStart, end: part.bodyEnd };
      return { kind: 'fields', start: inner.headerStart, end: inner.bodyStart, not: spec.not, fields: spec.fields };
    }
  }
}

/** Section name as echoed in the response: "1.2.HEADER.FIELDS (FROM TO)" (the codec's, field names as astrings). */
export const sectionName: (section: Section) => string = formatSection;

/** RFC 3501 §6.4.5 HEADER.FIELDS[.NOT]: delegated to the MIME lib's header splitter. */
export function filterHeaderFields(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  return selectHeaderFields(header, fields, not);
}
