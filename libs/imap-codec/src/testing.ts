/** Test helpers for the codec (not a test file itself). */
import { ImapReceiver, type ReceiverOptions } from './receiver.js';
import type { ReceiverEvent } from './types.js';

/** An event with literal data as a string, consecutive literal chunks merged (chunking depends on how input arrived). */
export type Ev = Exclude<ReceiverEvent, { type: 'literal-chunk' }> | { type: 'literal-chunk'; data: string };

export type Policy = (ev: Extract<ReceiverEvent, { type: 'literal-request' }>) => 'accept' | 'reject' | 'wait';

const acceptAll: Policy = () => 'accept';

/** Simple deterministic PRNG so random chunking is reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export type Mode = 'whole' | 'bytes' | 'random';

/** Feeds input in the given mode, draining events after every push; returns normalised events. */
export function run(input: string | Buffer, mode: Mode = 'whole', opts: ReceiverOptions = {}, policy: Policy = acceptAll, seed = 7, onEvent?: (ev: ReceiverEvent, r: ImapReceiver) => void): Ev[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const r = new ImapReceiver(opts);
  const out: Ev[] = [];
  const drain = () => {
    let ev: ReceiverEvent | null;
    while ((ev = r.next())) {
      onEvent?.(ev, r);
      if (ev.type === 'literal-chunk') {
        const last = out[out.length - 1];
        const s = ev.data.toString('latin1');
        if (last && last.type === 'literal-chunk') last.data += s;
        else out.push({ type: 'literal-chunk', data: s });
        continue;
      }
      out.push(ev);
      if (ev.type === 'literal-request') {
        const d = policy(ev);
        if (d === 'accept') r.acceptLiteral();
        else if (d === 'reject') r.rejectLiteral();
      }
    }
  };
  if (mode === 'whole') { r.push(buf); drain(); }
  else if (mode === 'bytes') { for (let i = 0; i < buf.length; i++) { r.push(buf.subarray(i, i + 1)); drain(); } }
  else {
    const rand = rng(seed);
    let i = 0;
    while (i < buf.length) {
      const n = 1 + Math.floor(rand() * 17);
      r.push(buf.subarray(i, i + n));
      i += n;
      drain();
    }
  }
  drain();
  return out;
}
