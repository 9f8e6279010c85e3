/**
 * The deliver command's way into the delivery path (dovecot-lda style): the message comes on a
 * stream (stdin), is spooled once (a leading mbox "From " line dropped), then goes through the
 * same Deliverer as LMTP, Sieve included. `folder` is the implicit-keep folder (-m).
 */
import type { Readable } from 'node:stream';
import { MailError } from '../../core/src/errors.js';
import { transactionId, type Deliverer } from './deliverer.js';
import { stripMboxFromLine } from './from-line.js';
import { Spool } from './spool.js';

export interface StreamDelivery {
  recipient: string;
  /** Envelope sender for Return-Path ('' = <>). */
  from: string;
  folder?: string;
  spoolDir: string;
}

/** Throws MailError: NOTFOUND for an unknown recipient, or the delivery's error. */
export async function deliverFromStream(d: Deliverer, o: StreamDelivery, input: Readable): Promise<void> {
  const r = await d.resolve(o.recipient.trim());
  if (!r) { input.resume(); throw new MailError('NOTFOUND', 'No such user here'); }
  const spool = new Spool(o.spoolDir);
  try {
    for await (const chunk of input.pipe(stripMboxFromLine())) await spool.write(chunk as Buffer);
    const src = await spool.finish();
    const env = { from: o.from, heloName: 'localhost', remote: 'local', id: transactionId(), ...(o.folder ? { defaultMailbox: o.folder } : {}) };
    const [out] = await d.deliver(env, [r], src);
    if (!out || !out.ok) throw out ? out.error : new MailError('INTERNAL', 'no outcome');
  } finally {
    await spool.discard();
  }
}
