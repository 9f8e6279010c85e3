/** FETCH attribute parsing (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ). */
import type { FetchAtt, Partial, Section, SectionSpec } from './types.js';
import type { Parser } from './parser.js';

const SIMPLE: Record<string, FetchAtt> = {
  UID: { kind: 'uid' },
  FLAGS: { kind: 'flags' },
  INTERNALDATE: { kind: 'internaldate' },
  'RFC822.SIZE': { kind: 'rfc822.size' },
  ENVELOPE: { kind: 'envelope' },
  BODYSTRUCTURE: { kind: 'bodystructure' },
  MODSEQ: { kind: 'modseq' },
  RFC822: { kind: 'rfc822' },
  'RFC822.HEADER': { kind: 'rfc822.header' },
  'RFC822.TEXT': { kind: 'rfc822.text' },
};

/** RFC 3501 §6.4.5 macros. */
const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** fetch-items: a macro, one att, or a parenthesised list of atts. */
export function parseFetchItems(p: Parser): FetchAtt[] {
  if (p.peek() === 0x28) {
    p.open();
    const out: FetchAtt[] = [parseFetchAtt(p)];
    while (p.trySp()) out.push(parseFetchAtt(p));
    p.close();
    return out;
  }
  const save = p.pos;
  const n = p.name();
  const macro = MACROS[n];
  if (macro && p.peek() !== 0x5b) return macro.map((m) => (m === 'BODY' ? { kind: 'body' } : SIMPLE[m]!));
  p.pos = save;
  return [parseFetchAtt(p)];
}

function parsePart(p: Parser): number[] {
  const part: number[] = [];
  for (;;) {
    const c = p.peek();
    if (c < 0x30 || c > 0x39) break;
    part.push(p.nzNumber());
    if (p.peek() !== 0x2e) break;
    const c2 = p.text.charCodeAt(p.pos + 1);
    if (c2 < 0x30 || c2 > 0x39) break; // "1.HEADER": the dot belongs to section-text
    p.pos++;
  }
  return part;
}

/** section = "[" [section-spec] "]" (RFC 3501 §9). */
function parseSection(p: Parser): Section {
  p.expect('[');
  const part = parsePart(p);
  let spec: SectionSpec = { kind: 'full' };
  if (p.peek() !== 0x5d) {
    if (part.length > 0) p.expect('.');
    const n = p.name();
    if (n === 'HEADER') spec = { kind: 'header' };
    else if (n === 'TEXT') spec = { kind: 'text' };
    else if (n === 'MIME') {
      if (part.length === 0) p.fail('MIME requires a part number');
      spec = { kind: 'mime' };
    } else if (n === 'HEADER.FIELDS' || n === 'HEADER.FIELDS.NOT') {
      p.sp();
      p.open();
      const fields = [p.astring().toUpperCase()];
      while (p.trySp()) fields.push(p.astring().toUpperCase());
      p.close();
      spec = { kind: 'header-fields', not: n === 'HEADER.FIELDS.NOT', fields };
    } else p.fail('Invalid section');
  }
  p.expect(']');
  return { part, spec };
}

/** section-binary = "[" [section-part] "]" (RFC 3516). */
function parseBinarySection(p: Parser): number[] {
  p.expect('[');
  const part = parsePart(p);
  p.expect(']');
  return part;
}

/** partial = "<" number "." nz-number ">" (RFC 3501 §6.4.5). */
function parsePartial(p: Parser): Partial | null {
  if (p.peek() !== 0x3c) return null;
  p.pos++;
  const offset = p.number();
  p.expect('.');
  const length = p.nzNumber();
  p.expect('>');
  return { offset, length };
}

export function parseFetchAtt(p: Parser): FetchAtt {
  const n = p.name();
  const simple = SIMPLE[n];
  if (simple) return { ...simple } as FetchAtt;
  switch (n) {
    case 'BODY':
      if (p.peek() !== 0x5b) return { kind: 'body' };
      return { kind: 'body-section', peek: false, section: parseSection(p), partial: parsePartial(p) };
    case 'BODY.PEEK':
      return { kind: 'body-section', peek: true, section: parseSection(p), partial: parsePartial(p) };
    case 'BINARY':
    case 'BINARY.PEEK':
      return { kind: 'binary', peek: n === 'BINARY.PEEK', part: parseBinarySection(p), partial: parsePartial(p) };
    case 'BINARY.SIZE':
      return { kind: 'binary.size', part: parseBinarySection(p) };
    default:
      return p.fail(`Unknown FETCH attribute ${n}`);
  }
}
