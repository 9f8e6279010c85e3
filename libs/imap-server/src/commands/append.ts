/**
 * APPEND (RFC 3501 §6.3.11), MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID (RFC 4315), APPENDLIMIT
 * (RFC 7889). The message literal is streamed from receiver events into account.append() with
 * backpressure; nothing holds a whole message.
 */
import { PassThrough } from 'node:stream';
import type { Session } from '../session.js';
import type { AppendResult } from '../../../mailstore/src/types.js';
import { MailError } from '../../../core/src/errors.js';
import { mapError, formatTagged } from '../errors.js';
import { formatUidList } from '../seqset.js';

/** Runs one APPEND from its append-begin event to append-end; returns the result for metrics. */
export async function handleAppend(s: Session, tag: string, mailbox: string): Promise<string> {
  let error: unknown = null;
  const results: AppendResult[] = [];
  let pass: PassThrough | null = null;
  let pending: Promise<AppendResult> | null = null;
  let settled = false;
  if (s.state === 'notauth' || s.state === 'logout') error = new MailError('PARSE', 'Command not valid in this state');

  for (;;) {
    const ev = await s.nextEvent();
    if (!ev) { pass?.destroy(); return 'ABORT'; }
    switch (ev.type) {
      case 'literal-request': {
        if (error) {
          s.write(formatTagged(tag, mapError(error, s.log, { tryCreate: true })));
          s.receiver.rejectLiteral();
          return 'NO';
        }
        if (ev.size > s.config.maxMessageSize) {
          s.write(`${tag} NO [TOOBIG] Message too big (APPENDLIMIT ${s.config.maxMessageSize})\r\n`);
          s.receiver.rejectLiteral();
          return 'NO';
        }
        s.write('+ OK\r\n');
        s.receiver.acceptLiteral();
        break;
      }
      case 'append-message': {
        if (error) break;
        if (ev.meta.size > s.config.maxMessageSize) { error = new MailError('TOOBIG', 'Message too big'); break; }
        pass = new PassThrough({ highWaterMark: 64 * 1024 });
        settled = false;
        const flags = ev.meta.flags.filter((f) => f.toLowerCase() !== '\\recent');
        pending = s.account!.append(mailbox, pass, {
          flags, internalDate: ev.meta.internalDate ?? undefined, sizeHint: ev.meta.size,
        });
        pending.then(() => { settled = true; }, (e) => { settled = true; error ??= e; });
        break;
      }
      case 'literal-chunk': {
        if (!pass || error || settled) break;
        if (!pass.write(ev.data)) {
          const p = pass;
          const pend = pending!;
          await new Promise<void>((r) => {
            const done = () => { p.off('drain', done); r(); };
            p.on('drain', done);
            pend.then(done, done);
          });
        }
        break;
      }
      case 'literal-end': {
        if (pass && pending) {
          pass.end();
          try {
            results.push(await pending);
          } catch (e) {
            error ??= e;
            pass.destroy();
          }
          pass = null;
          pending = null;
        }
        break;
      }
      case 'append-end': {
        if (s.state === 'selected') {
          try { await s.syncView(true); } catch (e) { s.log.warn({ err: e }, 'view sync failed'); }
        }
        if (error) {
          const m = mapError(error, s.log, { tryCreate: true });
          s.write(formatTagged(tag, m));
          return m.status;
        }
        const first = results[0];
        const code = first ? `APPENDUID ${first.uidValidity} ${formatUidList(results.map((r) => r.uid))}` : '';
        s.write(`${tag} OK ${code ? `[${code}] ` : ''}APPEND completed\r\n`);
        return 'OK';
      }
      case 'bad':
        pass?.destroy();
        s.write(`${ev.tag || tag} BAD ${ev.text}\r\n`);
        return 'BAD';
      case 'fatal':
        pass?.destroy();
        s.write(`* BYE ${ev.text}\r\n`);
        s.state = 'logout';
        return 'BAD';
      default:
        s.log.debug({ type: ev.type }, 'unexpected event inside APPEND');
    }
  }
}
