/** Test helper: runs a receiver over chunks the way the server does and records what came out. */
import { LmtpReceiver } from './receiver.js';

export interface Trace {
  events: string[];
  bodies: Buffer[];
}

/** Feeds `chunks`; enters DATA after every DATA command, as a server that always says 354. */
export function runReceiver(chunks: Buffer[], maxLineLength = 512): Trace {
  const rx = new LmtpReceiver({ maxLineLength });
  const events: string[] = [];
  const bodies: Buffer[] = [];
  let body: Buffer[] | null = null;
  for (const c of chunks) {
    rx.push(c);
    for (let ev = rx.next(); ev; ev = rx.next()) {
      if (ev.type === 'command') {
        const cmd = ev.command;
        events.push(cmd.verb === 'ERROR' ? `ERROR ${cmd.code}` : cmd.verb);
        if (cmd.verb === 'DATA' || cmd.verb === 'BDAT') body = body ?? [];
        if (cmd.verb === 'DATA') rx.startData();
      } else if (ev.type === 'data') {
        (body ??= []).push(Buffer.from(ev.chunk));
      } else if (ev.type === 'dataEnd') {
        events.push('END');
        bodies.push(Buffer.concat(body ?? []));
        body = null;
      } else {
        events.push('TOOLONG');
      }
    }
  }
  return { events, bodies };
}

/** Splits a buffer at the given cut points. */
export function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) { out.push(buf.subarray(prev, p)); prev = p; }
  out.push(buf.subarray(prev));
  return out;
}
