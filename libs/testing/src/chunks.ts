/** Test helper: bytes pushed into a pull receiver in pieces cut at the given offsets, every event collected. */

interface PullReceiver<E> { push(chunk: Buffer): void; next(): E | null }

/** `splits` are taken modulo the input length + 1, deduplicated and sorted (fast-check gives any numbers). */
export function feedInPieces<E>(r: PullReceiver<E>, buf: Buffer, splits: readonly number[]): E[] {
  const cuts = [...new Set(splits.map((s) => s % (buf.length + 1)))].sort((a, b) => a - b);
  const out: E[] = [];
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    r.push(buf.subarray(prev, c));
    prev = c;
    for (let e = r.next(); e; e = r.next()) out.push(e);
  }
  return out;
}
