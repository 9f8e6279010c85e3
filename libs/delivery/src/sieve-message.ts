/** The delivered message as the Sieve interpreter sees it: header fields from the spool, size, body on demand. */
import { LIMITS } from '../../core/src/limits.js';
import { fieldValue, splitHeaderFields } from '../../mime/src/headers.js';
import { bodyTexts } from '../../sieve/src/index.js';
import type { BodyRequest, SieveMessage } from '../../sieve/src/types.js';
import { readBody, type MessageSource } from './source.js';

export async function sieveMessage(src: MessageSource): Promise<SieveMessage & { fields: Array<[string, string]> }> {
  const { raw } = await src.header();
  const fields = splitHeaderFields(raw).map((f) => [f.name, fieldValue(raw, f)] as [string, string]);
  const byName = new Map<string, string[]>();
  for (const [k, v] of fields) {
    const n = k.toLowerCase();
    const list = byName.get(n);
    if (list) list.push(v); else byName.set(n, [v]);
  }
  // Read once, on the first body test: header + body bounded by LIMITS.sieveMaxBodyBytes (a part cut
  // there is matched on what was read, as Pigeonhole's body limit does).
  let bounded: Promise<Buffer> | null = null;
  return {
    fields,
    size: src.size,
    header: (name: string) => byName.get(name.toLowerCase()) ?? [],
    // RFC 5173 §5: :raw is the undecoded body; :content / :text get each MIME part decoded
    // (transfer encoding and charset), one text per part.
    async body(req: BodyRequest) {
      bounded ??= readBody(src, LIMITS.sieveMaxBodyBytes).then((b) => Buffer.concat([raw, b]));
      return [...bodyTexts(await bounded, req)];
    },
  };
}
