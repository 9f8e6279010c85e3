/**
 * Applies RFC 5293 editheader changes to the header block of the stored copy: added fields before
 * or after the original ones, deleted occurrences dropped. The body is not touched (streamed after).
 */
import { splitHeaderFields } from '../../mime/src/headers.js';
import type { HeaderEdits } from '../../sieve/src/types.js';

/** RFC 5322 §2.2.3: long added values are folded at spaces so lines stay under 998 octets. */
function field(name: string, value: string): string {
  const v = value.replace(/[\r\n]+/g, ' ');
  const out: string[] = [];
  let line = `${name}: `;
  for (const word of v.split(' ')) {
    if (line.length + word.length > 76 && line.trim().length > name.length + 1) { out.push(line.trimEnd()); line = ' '; }
    line += word + ' ';
  }
  out.push(line.trimEnd());
  return out.join('\r\n') + '\r\n';
}

export function applyHeaderEdits(header: Buffer, edits: HeaderEdits): Buffer {
  const drop = new Set(edits.deleted.map((d) => `${d.name.toLowerCase()}\u0000${d.index}`));
  const counts = new Map<string, number>();
  const parts: Buffer[] = [Buffer.from(edits.prepend.map((f) => field(f.name, f.value)).join(''), 'utf8')];
  const fields = splitHeaderFields(header);
  for (const f of fields) {
    const n = f.name.toLowerCase();
    const i = counts.get(n) ?? 0;
    counts.set(n, i + 1);
    if (!drop.has(`${n}\u0000${i}`)) parts.push(header.subarray(f.start, f.end));
  }
  parts.push(Buffer.from(edits.append.map((f) => field(f.name, f.value)).join(''), 'utf8'));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
