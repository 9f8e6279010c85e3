/** RETR and TOP (RFC 1939 §7): the message from storage through the codec's MessageOutput (small ones in one write, big ones streamed). */
import type { Readable } from 'node:stream';
import { err, ok } from '../../../pop3-codec/src/responses.js';
import { MessageOutput } from '../../../pop3-codec/src/message-output.js';
import type { Pop3Command } from '../../../pop3-codec/src/types.js';
import type { Pop3Session } from '../session.js';
import { messageIndex } from './transaction.js';

export async function retr(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  if (cmd.args.length !== 1) { s.write(err('Invalid arguments.')); return false; }
  return send(s, cmd.args[0], undefined);
}

export async function top(s: Pop3Session, cmd: Pop3Command): Promise<boolean> {
  if (cmd.args.length !== 2 || !/^[0-9]{1,9}$/.test(cmd.args[1]!)) { s.write(err('Invalid arguments.')); return false; }
  return send(s, cmd.args[0], Number(cmd.args[1]));
}

async function send(s: Pop3Session, arg: string | undefined, topLines: number | undefined): Promise<boolean> {
  const i = messageIndex(s, arg);
  if (typeof i === 'string') { s.write(i); return false; }
  const d = s.drop!;
  // Opened before "+OK": a message expunged meanwhile by IMAP still gets a clean -ERR.
  const src = await s.mailbox!.open(d.uids[i]!);
  const w = s.config.workarounds;
  const out = new MessageOutput({ stripNuls: w.includes('outlook-no-nuls'), addMissingEoh: w.includes('oe-ns-eoh'), topLines });
  const first = topLines === undefined ? ok(`${d.sizes[i]} octets`) : ok();
  const whole = bufferedWhole(src, d.sizes[i]!);
  if (whole) {
    // Small message already in memory: "+OK", body and terminator in one write (one syscall,
    // one segment) instead of a stream of chunks.
    const body = out.push(whole);
    s.write(Buffer.concat([Buffer.from(first, 'latin1'), body, out.end()]));
  } else {
    let complete: boolean;
    try {
      s.cork(); // "+OK" leaves with the first chunk
      s.write(first);
      complete = await s.writeStream(src, (b) => out.push(b), () => out.done);
    } catch (e) {
      // After "+OK" there is no way to report an error in-band: the connection must go.
      s.log.warn({ err: e, uid: d.uids[i] }, 'message read failed mid-reply; closing');
      s.socket.destroy();
      return false;
    }
    if (!complete) return false;
    s.write(out.end());
  }
  if (!s.receiver.hasBuffered()) s.flush(); // pipelined commands keep the cork for their answers
  if (topLines === undefined) d.retrieved[i] = 1;
  return true;
}

/**
 * The whole message when the store handed it over already buffered (maildir does for small
 * files), else null (streamed). `size` is the message's size: less buffered means more to come.
 */
function bufferedWhole(src: Readable, size: number): Buffer | null {
  if (size === 0 || src.readableObjectMode || src.readableLength !== size) return null;
  const b = src.read() as Buffer | null;
  src.destroy();
  return b !== null && b.length === size ? b : null;
}
