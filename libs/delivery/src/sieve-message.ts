/** The delivered message as the Sieve interpreter sees it: header fields from the spool, size, body on demand. */
import { LIMITS } from '../../core/src/limits.js';
import { fieldValue, splitHeaderFields } from '../../mime/src/headers.js';
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
  return {
    fields,
    size: src.size,
    header: (name: string) => byName.get(name.toLowerCase()) ?? [],
    // Bodies are read only when a script uses `body`; the text is bounded (LIMITS.sieveMaxBodyBytes).
    // MIME-aware :content/:text views are approximated by the whole body as text.
    async body(_req: BodyRequest) {
      return [(await readBody(src, LIMITS.sieveMaxBodyBytes)).toString('utf8')];
    },
  };
}
